"""SAS URLs for file ids against a real Azurite: they read exactly the one blob, only read it, and only until
they expire."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit, urlunsplit

import requests

from input_files.sas_urls import SasUrlFactory
from tests.support import blob_container

GROUP = {"kind": "group", "id": "0a1b2c3d-0000-4000-8000-00000000abcd"}
CONTENT = b"%PDF-1.7 an invoice"


def factory(azurite, base="sasfiles"):
    return SasUrlFactory(azurite.container_url(base), azurite.connection_string, ttl_seconds=900)


def test_a_minted_url_reads_the_blob_in_the_scopes_container(azurite):
    file_id = f"in/{uuid.uuid4().hex}/a b.pdf"
    blob_container(azurite, f"sasfiles-g-{GROUP['id']}").upload_blob(file_id, CONTENT)
    url = factory(azurite).url_for(file_id, GROUP)
    answer = requests.get(url, timeout=10)
    assert answer.status_code == 200 and answer.content == CONTENT


def test_the_url_only_reads(azurite):
    file_id = f"{uuid.uuid4().hex}.pdf"
    blob_container(azurite, "sasfiles").upload_blob(file_id, CONTENT)
    url = factory(azurite).url_for(file_id, None)
    assert requests.put(url, data=b"x", headers={"x-ms-blob-type": "BlockBlob"}, timeout=10).status_code == 403
    assert requests.delete(url, timeout=10).status_code == 403
    assert requests.get(url, timeout=10).content == CONTENT


def test_the_signature_does_not_open_another_blob_or_another_scopes_container(azurite):
    mine, theirs = f"{uuid.uuid4().hex}.pdf", f"{uuid.uuid4().hex}.pdf"
    blob_container(azurite, f"sasfiles-g-{GROUP['id']}").upload_blob(mine, CONTENT)
    blob_container(azurite, f"sasfiles-g-{GROUP['id']}").upload_blob(theirs, CONTENT)
    other_user = blob_container(azurite, "sasfiles-u-0a1b2c3d-0000-4000-8000-000000000001")
    other_user.upload_blob(mine, CONTENT)
    parts = urlsplit(factory(azurite).url_for(mine, GROUP))
    for path in (
        parts.path.replace(mine, theirs),
        parts.path.replace(f"sasfiles-g-{GROUP['id']}", "sasfiles-u-0a1b2c3d-0000-4000-8000-000000000001"),
    ):
        assert requests.get(urlunsplit(parts._replace(path=path)), timeout=10).status_code == 403


def test_an_expired_url_is_refused(azurite):
    file_id = f"{uuid.uuid4().hex}.pdf"
    blob_container(azurite, "sasfiles").upload_blob(file_id, CONTENT)
    an_hour_ago = datetime.now(timezone.utc) - timedelta(hours=1)
    url = factory(azurite).url_for(file_id, None, now=an_hour_ago)  # expired 45 minutes ago
    assert requests.get(url, timeout=10).status_code == 403


def test_a_missing_blob_is_a_404_the_simulator_reports(azurite):
    url = factory(azurite).url_for(f"{uuid.uuid4().hex}.pdf", None)
    blob_container(azurite, "sasfiles")
    answer = requests.get(url, timeout=10)
    assert answer.status_code == 404 and answer.headers["x-ms-error-code"] == "BlobNotFound"
