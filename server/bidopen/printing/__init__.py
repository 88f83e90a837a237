"""Printable signed documents: A4 PDF/A-3b renderings that embed the signed JSON they show."""
