"""One subpackage per vendor: the only code that knows a vendor's wire format."""
