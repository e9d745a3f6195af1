"""A command-line client for the app's HTTP API: ``python -m tools.cli analyze|status|cancel|wait``.

It talks HTTP only (the same contract the frontend uses) and never imports the app. See tools/docs/cli.md.
"""
