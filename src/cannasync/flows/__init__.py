"""The integration use cases, one module each. Flows speak connector protocols and the store, never a wire format."""
