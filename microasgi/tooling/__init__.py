"""Tools on top of everything: the CLI, trace, explain, the debug checks and page.

Nothing below imports a tool; debug tools attach through entry points.
"""
