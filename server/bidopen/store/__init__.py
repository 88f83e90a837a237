"""Persistence of the hub: tables, engine and one repository module per kind of record."""
