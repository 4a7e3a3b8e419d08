"""Batteries: features built on the core (files, SSE, templates, WSGI, middleware, hub).

A battery imports the core and its own third-party package, lazily and alone.
"""
