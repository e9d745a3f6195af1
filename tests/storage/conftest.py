"""Storage tests run against a real Azurite (the session fixture `azurite` in tests/conftest.py)."""

from __future__ import annotations

import uuid

import pytest


@pytest.fixture
def container(azurite):
    """A fresh container of the test's own: (its URL, a ContainerClient on it)."""
    from azure.storage.blob import ContainerClient

    name = f"t{uuid.uuid4().hex[:20]}"
    client = ContainerClient.from_connection_string(azurite.connection_string, name)
    client.create_container()
    yield azurite.container_url(name), client
    client.delete_container()
