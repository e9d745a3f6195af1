"""The shared Content Understanding client is built from the validated settings, once per process."""

import threading

import pytest

from config.service_clients import content_understanding_client, reset_service_clients
from config.settings import get_settings
from content_understanding import PermanentServiceError
from tools.simulator import start_simulator


def test_one_client_per_process_built_from_the_settings(monkeypatch):
    with start_simulator(port=0, quiet=True, duration=0, key="shared-key") as sim:
        monkeypatch.setenv("CONTENT_UNDERSTANDING_ENDPOINT", sim.base_url)
        monkeypatch.setenv("CONTENT_UNDERSTANDING_KEY", "shared-key")
        monkeypatch.setenv("CONTENT_UNDERSTANDING_API_VERSION", "2025-05-01-preview")
        get_settings.cache_clear()
        reset_service_clients()
        try:
            seen = []
            threads = [threading.Thread(target=lambda: seen.append(content_understanding_client())) for _ in range(8)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert len({id(client) for client in seen}) == 1
            # The configured version reaches the service: the GA-only simulator refuses the retired preview.
            with pytest.raises(PermanentServiceError) as refused:
                seen[0].submit("prebuilt-read", ["https://files.example.com/a.pdf"])
            assert refused.value.code == "UnsupportedApiVersionValue"
            assert "'2025-05-01-preview'" in str(refused.value)
        finally:
            get_settings.cache_clear()
            reset_service_clients()
