"""Constants shared by the simulator contract tests."""

API = "api-version=2025-11-01"
KEY_HEADERS = {"Ocp-Apim-Subscription-Key": "test-key"}
