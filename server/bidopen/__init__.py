"""The opening hub: sessions, persistence, REST and sockets for remote bid openings."""
