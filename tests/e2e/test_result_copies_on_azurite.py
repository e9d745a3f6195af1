"""The claim-check copy of a finished result in Blob Storage (a real Azurite), end to end through devhost: a file
id and a URL analysed, the result read from the service once per file however often and wherever it is asked
for, the copy a JSON blob in RESULT_STORE's container (created by the app), and gone with the purge."""

from __future__ import annotations

import json
import uuid
from urllib.parse import unquote, urlsplit

import requests

from tests.e2e.conftest import INPUT_CONTAINER, storage_settings
from tests.e2e.helpers import ANALYZER, HOST_KEY_HEADER
from tests.support import blob_container, wait_until


def service_reads(simulator_process, operations: list[str]) -> list[int]:
    counts = requests.get(f"{simulator_process.ready_url}/_sim/stats", timeout=10).json()["status_calls_by_operation"]
    return [counts.get(operation, 0) for operation in operations]


def completed_output(host, operation_id: str) -> dict:
    """The orchestration's output once it has completed, without asking the results endpoint."""
    url = f"{host.ready_url}/runtime/webhooks/durabletask/instances/{operation_id}"

    def completed():
        status = requests.get(url, headers=HOST_KEY_HEADER, timeout=10).json()
        return status if status.get("runtimeStatus") == "Completed" else None

    output = wait_until(completed, timeout=30, interval=0.2, message="the analysis did not complete")["output"]
    return output if isinstance(output, dict) else json.loads(output)


def test_a_finished_result_is_kept_in_azurite_and_read_from_the_service_once(private_host, simulator_process, azurite):
    from azure.storage.blob import ContainerClient

    inputs = blob_container(azurite, INPUT_CONTAINER)
    file_id = f"invoices/{uuid.uuid4().hex}.pdf"
    inputs.upload_blob(file_id, b"%PDF-1.7 an invoice")
    copies_container = f"result-copies-{uuid.uuid4().hex[:12]}"  # not there yet: the app's first write makes it
    settings = {
        **storage_settings(azurite),
        "RESULT_STORE": azurite.container_url(copies_container),
        "RESULT_STORE_CONNECTION_STRING": azurite.connection_string,
        "RESULT_TTL_SECONDS": "1",
    }
    host = private_host(**settings)
    base = f"{host.ready_url}/pro-mode/content-analyzers/{ANALYZER}"
    files = [file_id, "https://files.example.com/b.pdf?sim_duration=0.3&sim_result_kb=64"]
    started = requests.post(f"{base}:analyze", json={"inputFiles": files}, timeout=10)
    assert started.status_code == 202, started.text
    operation_id = started.json()["operationId"]
    output = completed_output(host, operation_id)
    operations = [unquote(urlsplit(f["operationLocation"]).path.rsplit("/", 1)[-1]) for f in output["files"]]
    assert len(operations) == 2
    before = service_reads(simulator_process, operations)

    url = f"{base}/results/{operation_id}"
    answers = [requests.get(url, timeout=30) for _ in range(2)]
    assert [a.status_code for a in answers] == [200, 200], answers[0].text
    assert answers[0].content == answers[1].content
    assert len(answers[0].json()["result"]["contents"]) >= 2
    assert [after - b for after, b in zip(service_reads(simulator_process, operations), before, strict=True)] == [1, 1]

    copies = ContainerClient.from_connection_string(azurite.connection_string, copies_container)
    names = list(copies.list_blob_names())
    assert len(names) == 1 and names[0].startswith(operation_id)
    blob = copies.get_blob_client(names[0])
    assert blob.download_blob().readall() == answers[0].content
    assert blob.get_blob_properties().content_settings.content_type == "application/json"

    other_instance = private_host(**settings)  # same task hub state, same container: the copy serves it
    again = requests.get(url.replace(host.ready_url, other_instance.ready_url), timeout=30)
    assert again.status_code == 200 and again.content == answers[0].content
    assert [after - b for after, b in zip(service_reads(simulator_process, operations), before, strict=True)] == [1, 1]

    def purged() -> bool:
        requests.post(
            f"{host.ready_url}/admin/functions/purge_finished_operations", json={}, headers=HOST_KEY_HEADER, timeout=5
        )
        return not list(copies.list_blob_names())

    wait_until(purged, timeout=20, interval=0.5, message="the purge never deleted the result copy")
    assert requests.get(url, timeout=10).status_code == 404
    copies.delete_container()
