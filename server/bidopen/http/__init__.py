"""Thin REST views: parse the request, call a service, shape the JSON."""
