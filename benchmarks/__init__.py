"""Benchmarks of microasgi against a raw ASGI app and other frameworks."""
