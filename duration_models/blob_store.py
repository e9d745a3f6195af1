"""Azure Blob Storage: per analyzer, a snapshot blob plus one small blob per recorded operation, compacted.

Why not read-modify-write of one blob (the first design): N operations finishing together raced for one ETag;
with 50 at once against Azurite 32 observations were lost after 8 attempts each, and every conflict cost a
read and a write more. Here recording never conflicts and costs one request (see docs/performance.md):

- `record()` writes `<key>/pending/<time ns>-<uuid>.json` with If-None-Match: * (one PUT). Nothing can
  overwrite it, so nothing recorded is lost, however many instances record at once.
- Now and then (one record in COMPACT_EVERY, at random) the recorder also compacts: leases the snapshot
  `<key>.json` (one compactor at a time; the others stop after that one request), reads it and its ETag, lists
  the pending blobs, folds up to MAX_FOLD the snapshot has not folded yet (oldest first), writes the snapshot
  with If-Match, then deletes the folded blobs (one Blob Batch request) and releases the lease. The
  snapshot lists the names it has folded whose blobs may still exist (`folded`), so a compactor or reader that
  lists them before they are deleted never counts them twice; a compactor that loses the If-Match race simply
  stops (the winner folded what it saw; the rest waits for the next compaction).
- `read()` = the snapshot, plus the pending blobs it has not folded (at most about COMPACT_EVERY of them in
  steady state, more only just after a burst).

Migrate on read: a model stored by the first design is `<key>.json` without `folded`: it is the snapshot.

Authentication: a connection string (DURATION_MODEL_STORAGE_CONNECTION_STRING, e.g. Azurite's) or the app's
identity through DefaultAzureCredential (AZURE_CLIENT_ID names a user-assigned identity); the identity needs
Storage Blob Data Contributor on the container (write, list, delete).
"""

from __future__ import annotations

import contextlib
import json
import logging
import random
import time
import uuid

from config.blob_containers import container_client, upload_new
from duration_models.store import StoreError, check_key, fold

COMPACT_EVERY = 16
READ_ATTEMPTS = 3
BATCH_LIMIT = 256  # sub-requests per Blob Batch request
MAX_FOLD = 64  # pending blobs folded by one compaction: bounds its time and requests
LEASE_SECONDS = 15  # a compactor that dies frees the snapshot after this long
FOLDED = "folded"

log = logging.getLogger("analysis.duration_models")


class BlobStore:
    def __init__(self, container_url: str, connection_string: str | None = None, compact_every: int = COMPACT_EVERY):
        self.compact_every = compact_every
        self.container = container_client(container_url, connection_string)

    # ---- names

    @staticmethod
    def _snapshot_name(key: str) -> str:
        return f"{check_key(key)}.json"

    @staticmethod
    def _pending_prefix(key: str) -> str:
        return f"{check_key(key)}/pending/"

    # ---- record

    def record(self, key: str, entry: dict) -> None:
        name = f"{self._pending_prefix(key)}{time.time_ns():020d}-{uuid.uuid4().hex}.json"
        data = json.dumps(entry, separators=(",", ":")).encode()
        try:
            self._put_new(name, data)
        except Exception as exc:
            raise StoreError(f"cannot record for duration model {key!r}: {type(exc).__name__}") from exc
        if random.random() * self.compact_every < 1:  # spreading work over recorders, not security
            try:
                self.compact(key)
            except StoreError as exc:  # the observation is kept; the next compaction folds it
                log.info("[DurationModel] Compaction of %s postponed: %s", key, exc)

    def _put_new(self, name: str, data: bytes) -> None:
        upload_new(self.container, name, data)

    # ---- read

    def read(self, key: str) -> dict | None:
        for _ in range(READ_ATTEMPTS):
            # List first, then the snapshot: a blob listed and folded meanwhile is in the snapshot's `folded`;
            # one folded and deleted meanwhile answers 404 below.
            listed = self._pending_names(key)
            snapshot, _etag = self._snapshot(key)
            folded = set((snapshot or {}).get(FOLDED) or [])
            entries = self._entries([name for name in listed if name not in folded])
            if entries is not None:
                document = snapshot
                for recorded in entries:
                    document = fold(document, recorded)
                return _without_bookkeeping(document)
            # A pending blob vanished between the listing and its read: a compaction folded it into a newer
            # snapshot than ours. Read again.
        raise StoreError(f"duration model {key!r} kept being compacted while read")

    # ---- compaction

    def compact(self, key: str) -> bool:
        """Fold up to MAX_FOLD pending blobs into the snapshot; False when another compactor holds it or won."""
        blob = self.container.get_blob_client(self._snapshot_name(key))
        lease = self._lease(blob)
        if not lease:
            return False  # another recorder is compacting: nothing to do here
        try:
            return self._compact(key, blob, lease)
        finally:
            with contextlib.suppress(Exception):  # it expires on its own after LEASE_SECONDS
                lease.release()

    def _compact(self, key: str, blob, lease) -> bool:
        from azure.core import MatchConditions
        from azure.core.exceptions import ResourceExistsError, ResourceModifiedError

        # The snapshot first, then the list: a folded name missing from the later list is deleted for good, and
        # a blob folded by a snapshot newer than ours makes our If-Match write fail.
        snapshot, etag = self._snapshot(key)
        listed = self._pending_names(key)
        folded_before = set((snapshot or {}).get(FOLDED) or [])
        already = folded_before & set(listed)
        new = [name for name in listed if name not in already][:MAX_FOLD]
        if not new and already == folded_before:
            self._delete(sorted(already))
            return True
        entries = self._entries(new)
        if entries is None:
            return False  # someone compacted meanwhile
        document = snapshot
        for recorded in entries:
            document = fold(document, recorded)
        document = dict(document or {})
        document[FOLDED] = sorted(already | set(new))
        data = json.dumps(document, separators=(",", ":")).encode()
        try:
            if etag is None:
                blob.upload_blob(data, overwrite=False)
            else:
                blob.upload_blob(
                    data, overwrite=True, lease=lease, etag=etag, match_condition=MatchConditions.IfNotModified
                )
        except (ResourceModifiedError, ResourceExistsError):
            return False
        except Exception as exc:
            raise StoreError(f"cannot write duration model {key!r}: {type(exc).__name__}") from exc
        self._delete(document[FOLDED])
        return True

    @staticmethod
    def _lease(blob):
        """A lease on the snapshot (one compactor at a time, so racing ones do not read for nothing), False when
        someone holds it. An analyzer's first compaction creates an empty snapshot to lease (If-None-Match)."""
        from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError

        for _ in range(2):
            try:
                return blob.acquire_lease(lease_duration=LEASE_SECONDS)
            except ResourceNotFoundError:
                with contextlib.suppress(ResourceExistsError):
                    blob.upload_blob(json.dumps({FOLDED: []}).encode(), overwrite=False)
            except HttpResponseError as exc:
                if exc.status_code == 409:
                    return False
                raise StoreError(f"cannot lease duration model: {type(exc).__name__}") from exc
        return False

    # ---- storage calls

    def _snapshot(self, key: str) -> tuple[dict | None, str | None]:
        from azure.core.exceptions import ResourceNotFoundError

        try:
            downloader = self.container.get_blob_client(self._snapshot_name(key)).download_blob()
            return json.loads(downloader.readall()), downloader.properties.etag
        except ResourceNotFoundError:
            return None, None
        except Exception as exc:
            raise StoreError(f"cannot read duration model {key!r}: {type(exc).__name__}") from exc

    def _pending_names(self, key: str) -> list[str]:
        from azure.core.exceptions import ResourceNotFoundError

        try:
            return sorted(self.container.list_blob_names(name_starts_with=self._pending_prefix(key)))
        except ResourceNotFoundError:
            return []  # no container yet: nothing recorded
        except Exception as exc:
            raise StoreError(f"cannot list duration model {key!r}: {type(exc).__name__}") from exc

    def _entries(self, names: list[str]) -> list[dict] | None:
        """The recorded entries, oldest first; None when one of them is gone (compacted meanwhile)."""
        from azure.core.exceptions import ResourceNotFoundError

        entries = []
        for name in names:
            try:
                entries.append(json.loads(self.container.download_blob(name).readall()))
            except ResourceNotFoundError:
                return None
            except ValueError:
                log.warning("[DurationModel] Skipped unreadable observation blob %s", name)
            except Exception as exc:
                raise StoreError(f"cannot read observation {name!r}: {type(exc).__name__}") from exc
        return entries

    def _delete(self, names: list[str]) -> None:
        """Best effort, one batch request per BATCH_LIMIT names: a blob left behind stays listed in the snapshot's
        `folded`, so it is never counted twice, and the next compaction deletes it."""
        for start in range(0, len(names), BATCH_LIMIT):
            try:
                self.container.delete_blobs(*names[start : start + BATCH_LIMIT], raise_on_any_failure=False)
            except Exception as exc:
                log.info("[DurationModel] Left folded observations for the next compaction: %s", exc)
                return


def _without_bookkeeping(document: dict | None) -> dict | None:
    """The model as the domain knows it; None for a snapshot that has folded nothing yet."""
    if document is None or FOLDED not in document:
        return document
    model = {name: value for name, value in document.items() if name != FOLDED}
    return model or None
