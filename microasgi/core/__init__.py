"""The core: app, routing, requests, responses, errors, and the HTTP grammar.

The core imports only the standard library and itself; never a battery, the
testing layer or a tool. See ``docs/explanation/design.md`` for the map.
"""
