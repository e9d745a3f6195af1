"""The duration models' blob store against a real Azurite: nothing recorded is lost, however many record at once,
and a model stored by the first design (one blob, ETag read-modify-write) keeps working."""

from __future__ import annotations

import json
import threading
import uuid

import pytest

from domain.duration_model import ALL_SIZES, observe
from duration_models.blob_store import FOLDED, BlobStore
from duration_models.store import StoreError, observation_entry

KEY = "prebuilt-invoice"


def store_on(container, azurite, compact_every=16):
    return BlobStore(container[0], azurite.connection_string, compact_every=compact_every)


def two_stores(container, azurite, records):
    """Two clients of one container that never compact on their own, the first having recorded `records`."""
    stores = store_on(container, azurite, 10**9), store_on(container, azurite, 10**9)
    for _ in range(records):
        record(stores[0])
    return stores


def count(document):
    return (document or {}).get("buckets", {}).get(ALL_SIZES, {}).get("count", 0)


def pending(container):
    return sorted(container[1].list_blob_names(name_starts_with=f"{KEY}/pending/"))


def record(store, seconds=10.0):
    store.record(KEY, observation_entry(KEY, ALL_SIZES, [[seconds - 1, seconds + 1]]))


def test_each_record_is_one_blob_and_read_folds_them_in_order(container, azurite):
    store = store_on(container, azurite, compact_every=10**9)  # never compacts on its own
    assert store.read(KEY) is None
    for seconds in (10, 20, 30):
        record(store, seconds)
    assert len(pending(container)) == 3
    document = store.read(KEY)
    assert count(document) == 3
    assert [o[0] for o in document["buckets"][ALL_SIZES]["observations"]] == [9, 19, 29]  # oldest first


def test_compaction_folds_into_the_snapshot_and_deletes_what_it_folded(container, azurite):
    store = store_on(container, azurite, compact_every=10**9)
    for _ in range(5):
        record(store)
    assert store.compact(KEY)
    assert pending(container) == []
    assert count(store.read(KEY)) == 5
    record(store)
    assert count(store.read(KEY)) == 6 and FOLDED not in store.read(KEY)


def test_fifty_concurrent_records_lose_nothing_while_compactions_race(container, azurite):
    store = store_on(container, azurite, compact_every=4)  # many compactions, racing each other and the records
    barrier = threading.Barrier(50)
    errors = []

    def finish():
        try:
            barrier.wait()
            record(store)
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=finish) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert count(store.read(KEY)) == 50
    store.compact(KEY)
    assert count(store.read(KEY)) == 50 and pending(container) == []


def test_folded_blobs_that_could_not_be_deleted_are_never_counted_twice(container, azurite, monkeypatch):
    store = store_on(container, azurite, compact_every=10**9)
    for _ in range(3):
        record(store)

    def deletion_fails(*names, **options):
        raise ConnectionError("storage went away")

    monkeypatch.setattr(store.container, "delete_blobs", deletion_fails)  # a fault Azurite cannot produce
    assert store.compact(KEY)
    assert len(pending(container)) == 3  # folded, still there
    record(store)
    assert count(store.read(KEY)) == 4
    monkeypatch.undo()
    assert store.compact(KEY)
    assert pending(container) == [] and count(store.read(KEY)) == 4


def test_one_compactor_at_a_time_and_the_others_stop_after_one_request(container, azurite):
    first, second = two_stores(container, azurite, 3)
    step = first._entries
    others = []

    def meanwhile_another_tries(names):
        others.append(second.compact(KEY))  # first holds the snapshot's lease
        return step(names)

    first._entries = meanwhile_another_tries
    assert first.compact(KEY) is True and others == [False]
    assert pending(container) == [] and count(second.read(KEY)) == 3
    record(second)
    assert second.compact(KEY) is True  # the lease was released
    assert count(first.read(KEY)) == 4


def test_a_reader_racing_a_compaction_counts_every_observation_once(container, azurite):
    compactor, reader = two_stores(container, azurite, 4)
    seen = []
    for step_name in ("_entries", "_delete"):  # while it reads the pending blobs, and after its write
        step = getattr(compactor, step_name)

        def read_meanwhile(names, step=step):
            seen.append(count(reader.read(KEY)))
            return step(names)

        setattr(compactor, step_name, read_meanwhile)
    assert compactor.compact(KEY)
    assert seen == [4, 4] and count(reader.read(KEY)) == 4


def test_a_model_stored_by_the_first_design_is_read_and_extended(container, azurite):
    old = observe(None, KEY, ALL_SIZES, [[5, 6]] * 7)  # one blob, no pending records
    container[1].upload_blob(f"{KEY}.json", json.dumps(old).encode())
    store = store_on(container, azurite, compact_every=10**9)
    assert store.read(KEY) == old
    record(store)
    assert count(store.read(KEY)) == 8
    assert store.compact(KEY)
    assert count(store.read(KEY)) == 8


def test_unreachable_storage_is_a_store_error(azurite):
    connection = azurite.connection_string.replace(azurite.blob_endpoint, "http://127.0.0.1:9/devstoreaccount1")
    store = BlobStore("http://127.0.0.1:9/devstoreaccount1/models", connection)
    store.container._config.retry_policy.total_retries = 0
    with pytest.raises(StoreError):
        store.read(KEY)
    with pytest.raises(StoreError):
        record(store)


def test_a_compaction_between_the_readers_steps_is_read_again_not_missed(container, azurite):
    compactor, reader = two_stores(container, azurite, 4)
    snapshot_read = reader._snapshot
    compactions = []

    def then_a_compaction(key):
        result = snapshot_read(key)
        if not compactions:
            compactions.append(compactor.compact(key))  # folds and deletes what the reader may have listed
        return result

    reader._snapshot = then_a_compaction
    assert count(reader.read(KEY)) == 4 and compactions == [True]


def test_the_benchmark_measures_the_store_it_names(azurite):
    from tools.benchmarks.model_store import blob_store_factory, measure

    figures = measure(blob_store_factory(azurite), azurite, 10)
    assert figures["backend"] == "azurite" and figures["observations_sent"] == figures["observations_kept"] == 10
    assert 1 <= figures["storage_requests_per_observation"] <= 5 and figures["p99_update_ms"] > 0


def test_a_missing_container_means_no_model_and_the_first_record_creates_it(azurite):
    from azure.storage.blob import ContainerClient

    name = f"t{uuid.uuid4().hex[:20]}"
    store = BlobStore(azurite.container_url(name), azurite.connection_string, compact_every=1)
    assert store.read(KEY) is None
    record(store)
    assert count(store.read(KEY)) == 1
    ContainerClient.from_connection_string(azurite.connection_string, name).delete_container()
