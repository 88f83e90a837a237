"""The public transparency log: RFC 6962 Merkle trees served in the C2SP formats (pure core)."""
