"""Server-rendered pages: the merchant's console (signed in) and the shopper's store (public), Jinja2 + htmx.

The pages call the same flows and stores the REST API does; nothing here talks to a vendor's wire format.
"""
