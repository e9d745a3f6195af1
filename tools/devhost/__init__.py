"""devhost: a local Azure Functions host for this project's Python v2 + Durable Functions app.

It runs ``function_app.py`` on the real azure-functions / azure-functions-durable libraries the way the
Functions host and the Durable extension do, for machines without Azure Functions Core Tools.
Run it with ``python -m tools.devhost``; see docs/devhost.md.
"""
