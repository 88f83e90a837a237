"""What travels between clients and the hub, declared once: request bodies and their decoding."""
