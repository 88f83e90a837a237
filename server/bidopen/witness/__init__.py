"""`bidopen witness`: a small C2SP tlog-witness that a supervisory body can run on its own."""
