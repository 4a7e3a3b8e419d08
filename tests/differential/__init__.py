"""A standing differential test: one app in microasgi and in Starlette, same requests.

Read in this order: ``site.py`` (the files both apps serve), ``microasgi_app.py``
and ``starlette_app.py`` (the same app twice), ``cases/`` (the requests, one
module per area), ``client.py`` (how a case is sent), ``compare.py`` (what
counts as the same answer), ``differences.py`` (the answers that differ, and
why) and ``test_differential.py``.
"""
