"""Suite-wide set-up. The app validates its settings on import of function_app; tests that build settings
pass their own mapping to load_settings, and fixtures that need the process-wide ones use `app_settings`."""

from __future__ import annotations

import tempfile

import pytest

from config.per_process import reset_per_process

# What the app needs to import at all; a closed loopback port, so nothing here can reach a service by accident.
MINIMAL_SETTINGS = {
    "CONTENT_UNDERSTANDING_ENDPOINT": "http://127.0.0.1:9",
    "DURABLE_TASK_HUB_NAME": "UnitTests",
    "PURGE_SCHEDULE": "0 */5 * * * *",
    "AUTH_MODE": "none",
    "AZURE_FUNCTIONS_ENVIRONMENT": "Development",
    "CALLER_STARTS_PER_MINUTE": "100000",  # tests of the limits set their own
    "CALLER_READS_PER_MINUTE": "1000000",
    # Result copies of this run only (unset, they would go to a folder shared by every run on the machine).
    "RESULT_STORE": f"file:{tempfile.mkdtemp(prefix='result-copies-')}",
}


@pytest.fixture
def app_settings(monkeypatch):
    """Set app settings for one test (on top of MINIMAL_SETTINGS); all per-process state is rebuilt from them."""

    def apply(**values: str) -> None:
        for name, value in {**MINIMAL_SETTINGS, **values}.items():
            monkeypatch.setenv(name, value)
        reset_per_process()

    apply()
    yield apply
    reset_per_process()


@pytest.fixture(scope="session")
def azurite_if_installed():
    """A real Azurite blob service on a free loopback port, in memory, for the whole session; None when Node.js
    or the package (`make azurite-deps`) is missing here. Under CI=true a missing Azurite fails instead."""
    import os

    from tools.azurite import missing_reason, start_azurite

    reason = missing_reason()
    if reason:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI requires Azurite: {reason}")
        yield None
        return
    server = start_azurite()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def azurite(azurite_if_installed):
    """Azurite for tests that need it: they skip with the one-line reason when it is not installed."""
    if azurite_if_installed is None:
        from tools.azurite import missing_reason

        pytest.skip(missing_reason())
    return azurite_if_installed
