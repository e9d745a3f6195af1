"""Structured logs: every app log line carries the operation's ids as properties, not only in its text."""
