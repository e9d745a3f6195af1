"""Claim-check copies of finished results in a real Azurite (BlobCopies): written once, read back whole by any
number of instances at once, nothing stored is none, purged by age, and never read past MAX_RESULT_BYTES."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from result_copies.stores import BlobCopies, ResultTooLarge
from tests.support import wait_until

KEY = "an-0123456789abcdef-0011223344556677"
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def copies_in(container, azurite) -> BlobCopies:
    """Another instance's store on the same container."""
    return BlobCopies(container[0], azurite.connection_string)


def body_of(size: int) -> bytes:
    """A JSON body of about `size` bytes (the copies are what the results endpoint serves)."""
    return json.dumps({"status": "Succeeded", "result": {"pad": "x" * max(size - 40, 0)}}).encode()


def test_the_first_write_creates_the_container_and_the_copy_reads_back_as_json(azurite):
    from azure.storage.blob import ContainerClient

    name = f"t{uuid.uuid4().hex[:20]}"  # azd creates the container in Azure; a fresh Azurite has none
    store = BlobCopies(azurite.container_url(name), azurite.connection_string)
    assert store.read(KEY, 10**9) is None  # no container yet: nothing kept
    body = body_of(100_000)
    store.write(KEY, body)
    assert store.read(KEY, 10**9) == body
    container = ContainerClient.from_connection_string(azurite.connection_string, name)
    properties = container.get_blob_client(f"{KEY}.json").get_blob_properties()
    assert properties.content_settings.content_type == "application/json"
    container.delete_container()


def test_a_missing_copy_is_none_and_a_purge_without_a_container_deletes_nothing(container, azurite):
    store = copies_in(container, azurite)
    assert store.read(KEY, 10**9) is None
    missing = BlobCopies(azurite.container_url(f"t{uuid.uuid4().hex[:20]}"), azurite.connection_string)
    assert missing.delete_older_than(datetime.now(timezone.utc) + timedelta(days=1)) == 0


def test_readers_on_every_instance_get_the_whole_copy_while_it_is_written(container, azurite):
    """Readers racing the first write see nothing or all of it (a copy spans several ranges here)."""
    body = body_of(3 * BlobCopies.CHUNK_BYTES + 12345)
    readers = [copies_in(container, azurite) for _ in range(6)]
    writer = copies_in(container, azurite)
    start = threading.Barrier(len(readers) + 1)
    seen: list[bytes] = []
    errors: list[BaseException] = []

    def read_until_there(store):
        try:
            start.wait()
            seen.append(wait_until(lambda: store.read(KEY, 10**9), timeout=30, interval=0.01))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=read_until_there, args=(store,)) for store in readers]
    for thread in threads:
        thread.start()
    start.wait()
    writer.write(KEY, body)
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(seen) == len(readers) and all(copy == body for copy in seen)


def test_a_second_writer_never_breaks_a_reader_half_way_through(container, azurite):
    """Two instances build the same copy: the later write must not change the blob under a reader that has read
    its first range (the SDK reads the rest If-Match the first ETag and would fail)."""
    body = body_of(2 * BlobCopies.CHUNK_BYTES + 1)
    first, second, reader = (copies_in(container, azurite) for _ in range(3))
    first.write(KEY, body)
    real = reader.container.get_blob_client

    def blob_written_again_after_the_first_range(name):
        blob = real(name)
        download = blob.download_blob

        def first_range_then_another_write(*args, **kwargs):
            started = download(*args, **kwargs)  # the first range has been read
            second.write(KEY, body)
            return started

        blob.download_blob = first_range_then_another_write
        return blob

    reader.container.get_blob_client = blob_written_again_after_the_first_range
    assert reader.read(KEY, 10**9) == body


def test_the_purge_deletes_the_copies_written_before_its_cutoff(container, azurite):
    store = copies_in(container, azurite)
    store.write("an-old", b"{}")
    old_time = container[1].get_blob_client("an-old.json").get_blob_properties().last_modified
    # Last-Modified has whole seconds: the next copy is written in a later second than the old one.
    wait_until(lambda: datetime.now(timezone.utc) >= old_time + timedelta(seconds=1.05), timeout=5, interval=0.05)
    store.write("an-new", b"{}")
    assert store.delete_older_than(old_time + timedelta(seconds=0.5)) == 1
    assert sorted(container[1].list_blob_names()) == ["an-new.json"]
    assert store.read("an-old", 10**9) is None and store.read("an-new", 10**9) == b"{}"
    assert store.delete_older_than(datetime.now(timezone.utc) + timedelta(days=1)) == 1
    assert list(container[1].list_blob_names()) == []


def test_a_copy_over_the_cap_is_refused_without_being_read(container, azurite):
    store = copies_in(container, azurite)
    store.write(KEY, body_of(3 * BlobCopies.CHUNK_BYTES))
    responses = []
    # Every response this store's pipeline receives: the storage SDK's raw_response_hook, set on its policy.
    hook = next(p for p in store.container._pipeline._impl_policies if type(p).__name__ == "StorageResponseHook")
    hook._response_callback = responses.append
    with pytest.raises(ResultTooLarge) as refused:
        store.read(KEY, 1_048_576)
    assert refused.value.size > 3 * BlobCopies.CHUNK_BYTES and refused.value.limit == 1_048_576
    assert len(responses) == 1  # the first range told the size; the rest was never downloaded
    assert int(responses[0].http_response.headers["Content-Length"]) <= BlobCopies.CHUNK_BYTES


def test_reading_a_copy_holds_it_once_not_twice(container, azurite):
    """With the SDK's default range sizes a 30 MB copy is one GET whose body is copied again (peak 30 + 36 MB);
    the store reads it range by range. Measured in a process of its own: the peak resident memory of the read,
    over what the process held before it."""
    size = 30 * 1_048_576
    store = copies_in(container, azurite)
    store.write(KEY, body_of(size))
    probe = (
        "import json, sys\n"
        "from result_copies.stores import BlobCopies\n"
        "def mb(name):\n"
        "    line = next(l for l in open('/proc/self/status') if l.startswith(name))\n"
        "    return int(line.split()[1]) / 1024\n"
        "store = BlobCopies(sys.argv[1], sys.argv[2])\n"
        "store.read('an-warm-up', 1)\n"
        "open('/proc/self/clear_refs', 'w').write('5')\n"
        "before = mb('VmRSS')\n"
        "body = store.read(sys.argv[3], 10**9)\n"
        "print(json.dumps({'bytes': len(body), 'peak_mb': mb('VmHWM') - before}))\n"
    )
    if not os.path.exists("/proc/self/clear_refs"):
        pytest.skip("measuring peak memory needs Linux's /proc/self/clear_refs")
    answer = subprocess.run(
        [sys.executable, "-c", probe, container[0], azurite.connection_string, KEY],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    figures = json.loads(answer.stdout)
    assert figures["bytes"] >= size
    # The copy once, plus a few ranges in flight (measured: 30 + 9.7 MB; SDK defaults: 30 + 36 MB).
    assert figures["peak_mb"] < size / 1_048_576 + 20, figures


# ---- through result_body (what the results endpoint calls), with the simulator as Content Understanding


@pytest.fixture
def copies_on_azurite(container, azurite, app_settings):
    """result_body on this test's container, Content Understanding simulated; returns (apply settings, sim)."""
    from tools.simulator import start_simulator

    sim = start_simulator(port=0, quiet=True, duration=0.1, key="sim-key")

    def apply(**values: str) -> None:
        app_settings(
            CONTENT_UNDERSTANDING_ENDPOINT=sim.base_url,
            CONTENT_UNDERSTANDING_KEY="sim-key",
            RESULT_STORE=container[0],
            RESULT_STORE_CONNECTION_STRING=azurite.connection_string,
            **values,
        )

    apply()
    yield apply, sim
    sim.stop()


def finished_operations(sim, count: int, result_kb: int) -> tuple[str, ...]:
    """Service operations that have succeeded, each with a result of about `result_kb` KB."""
    from config.service_clients import content_understanding_client

    client = content_understanding_client()
    operations = [
        client.submit("prebuilt-invoice", f"https://files.example.com/{i}.pdf?sim_result_kb={result_kb}")
        for i in range(count)
    ]
    for operation in operations:
        wait_until(lambda op=operation: client.get_status(op).status == "Succeeded", timeout=10)
    return tuple(operation.operation_location for operation in operations)


def test_an_over_the_cap_result_is_remembered_in_azurite_and_no_instance_reads_it_again(copies_on_azurite, container):
    from config.per_process import reset_per_process
    from result_copies import ResultTooLarge, result_body

    apply, sim = copies_on_azurite
    apply(MAX_RESULT_BYTES="65536")
    locations = finished_operations(sim, 2, 48)
    with pytest.raises(ResultTooLarge):
        result_body("an-big", locations)
    (name,) = container[1].list_blob_names()
    assert container[1].get_blob_client(name).get_blob_properties().size < 100  # a marker, not 96 KB
    calls = sim.stats()["status_calls"]
    reset_per_process()  # another instance: nothing in memory, the marker in the container
    with pytest.raises(ResultTooLarge) as refused:
        result_body("an-big", locations)
    assert refused.value.size > 65536 and sim.stats()["status_calls"] == calls


def test_a_copy_kept_under_a_larger_cap_is_refused_once_the_cap_is_lowered(copies_on_azurite):
    from result_copies import ResultTooLarge, result_body

    apply, sim = copies_on_azurite
    locations = finished_operations(sim, 1, 96)
    assert len(result_body("an-kept", locations)) > 65536
    calls = sim.stats()["status_calls"]
    apply(MAX_RESULT_BYTES="65536")  # lowered, and every instance restarted with it
    with pytest.raises(ResultTooLarge):
        result_body("an-kept", locations)
    assert sim.stats()["status_calls"] == calls  # refused from the copy's size, without the service
