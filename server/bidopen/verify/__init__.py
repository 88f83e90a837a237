"""`bidopen verify BUNDLE`: check an opening's bundle offline, with no server."""
