"""The application layer: load, decide, append in one transaction, then publish."""
