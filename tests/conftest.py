"""Suite-wide set-up: the app's modules read settings at import, so give them a harmless default."""

import os

# A closed loopback port: nothing in the unit tests may reach it; suites that talk to a service set their own.
os.environ.setdefault("CONTENT_UNDERSTANDING_ENDPOINT", "http://127.0.0.1:9")
