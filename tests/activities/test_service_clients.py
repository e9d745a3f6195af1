"""The shared Content Understanding client is built from the validated settings, once per process."""

import threading

from config.service_clients import content_understanding_client
from tools.simulator import start_simulator


def test_one_client_per_process_built_from_the_settings(app_settings):
    with start_simulator(port=0, quiet=True, duration=0, key="shared-key") as sim:
        app_settings(CONTENT_UNDERSTANDING_ENDPOINT=sim.base_url, CONTENT_UNDERSTANDING_KEY="shared-key")
        seen = []
        threads = [threading.Thread(target=lambda: seen.append(content_understanding_client())) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len({id(client) for client in seen}) == 1
        operation = seen[0].submit("prebuilt-read", "https://files.example.com/a.pdf")
        assert "api-version=2025-11-01" in operation.operation_location
        assert sim.stats()["analyze_calls"] == 1
