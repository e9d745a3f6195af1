"""File ids end to end against a real Azurite: the app signs a read SAS for the caller's container, the simulator
reads the blob through it as the service would, and an unreadable one fails the operation naming the file."""

from __future__ import annotations

import uuid

import pytest

from tests.e2e.conftest import INPUT_CONTAINER, Stack, storage_settings
from tests.e2e.helpers import poll, results, start
from tests.support import blob_container


@pytest.fixture
def input_files(stack, azurite):
    if stack.azurite is None:
        pytest.skip("file ids need the local stack on Azurite (not available with E2E_BASE_URL)")
    return blob_container(azurite, INPUT_CONTAINER)


def test_a_file_id_whose_blob_exists_is_analysed(stack, input_files):
    file_id = f"invoices/{uuid.uuid4().hex}/a b.pdf"
    input_files.upload_blob(file_id, b"%PDF-1.7 an invoice")
    final = poll(stack, start(stack, file_id))[-1]
    assert final.status_code == 200, final.text
    assert final.json()["status"] == "Succeeded"


def test_a_file_id_whose_blob_is_missing_fails_naming_the_file(stack, input_files):
    file_id = f"invoices/{uuid.uuid4().hex}.pdf"
    operation_id = start(stack, "https://files.example.com/ok.pdf?sim_duration=0.3", file_id)
    final = poll(stack, operation_id)[-1]
    assert final.status_code == 500, final.text
    body = final.json()
    assert (body["error"], body["status"]) == ("Analysis failed", "failed")
    assert f"inputFiles[1] ({file_id})" in body["message"]
    assert "ContentSourceNotAccessible" in body["message"] and "sig=" not in body["message"]
    assert results(stack, operation_id).status_code == 500  # and it stays that way


def test_a_sas_for_the_wrong_container_fails_naming_the_file(private_host, azurite, input_files):
    file_id = f"invoices/{uuid.uuid4().hex}.pdf"
    input_files.upload_blob(file_id, b"%PDF-1.7 an invoice")  # in pro-input-files...
    settings = storage_settings(azurite)
    settings["INPUT_CONTAINER_URL"] = azurite.container_url("other-input-files")  # ...signed for another one
    host = private_host(**settings)
    other = Stack(host.ready_url, None, host, azurite)
    final = poll(other, start(other, file_id))[-1]
    assert final.status_code == 500, final.text
    assert f"inputFiles[0] ({file_id})" in final.json()["message"]
