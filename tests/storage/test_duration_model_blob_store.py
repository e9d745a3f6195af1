"""The duration models' blob store against a real Azurite: nothing recorded is lost, however many record at once,
and a model stored by the first design (one blob, ETag read-modify-write) keeps working."""

from __future__ import annotations

import json
import threading

import pytest

from domain.duration_model import ALL_SIZES, observe
from duration_models.blob_store import FOLDED, BlobStore
from duration_models.store import StoreError, observation_entry

KEY = "prebuilt-invoice"


def store_on(container, azurite, compact_every=16):
    return BlobStore(container[0], azurite.connection_string, compact_every=compact_every)


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


@pytest.mark.parametrize("other_wins_after", ["_pending_names", "_entries"])
def test_a_compactor_that_loses_the_race_writes_nothing(container, azurite, other_wins_after):
    first, second = store_on(container, azurite, 10**9), store_on(container, azurite, 10**9)
    record(first)
    record(first)
    step = getattr(second, other_wins_after)

    def then_the_other_compacts(*args):
        result = step(*args)
        assert first.compact(KEY)  # folds and deletes between our read and our write
        return result

    setattr(second, other_wins_after, then_the_other_compacts)
    assert second.compact(KEY) is False
    assert count(first.read(KEY)) == 2 and pending(container) == []


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
