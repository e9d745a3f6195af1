"""Auth (key vs cached bearer token), connection reuse, env factory, and secret-free logs."""

from __future__ import annotations

import logging

import pytest

from content_understanding import (
    PermanentServiceError,
    redact_url,
)
from content_understanding.auth import COGNITIVE_SERVICES_SCOPE
from tests.content_understanding.stubs import TEST_KEY, CannedResponse, CountingCredential

DOC = "https://example.com/doc.pdf"
SAS_DOC = "https://acct.blob.core.windows.net/c/doc.pdf?sv=2024&sig=SAS-SIGNATURE-SECRET&sim_duration=0"


def test_fifty_status_calls_use_one_connection_and_one_token(sim, make_client):
    credential = CountingCredential()
    client = make_client(sim.base_url, credential=credential)
    sim.reset()

    op = client.submit("prebuilt-read", f"{DOC}?sim_duration=1000&sim_outcome=stuck")
    statuses = {client.get_status(op).status for _ in range(50)}

    assert statuses == {"NotStarted"}
    stats = sim.stats()
    assert stats["status_calls"] == 50
    assert stats["connections"] == 1
    assert credential.calls == [(COGNITIVE_SERVICES_SCOPE,)]


def test_token_close_to_expiry_is_fetched_again(sim, make_client):
    credential = CountingCredential(lifetime_seconds=120)  # inside the 5-minute refresh margin
    client = make_client(sim.base_url, credential=credential)
    op = client.submit("prebuilt-read", DOC)
    client.get_status(op)
    client.get_status(op)
    assert len(credential.calls) == 3


def test_bearer_header_is_sent_instead_of_key(scripted, make_client):
    server = scripted([CannedResponse(200, {"id": "x", "status": "Running"})])
    make_client(server.base_url, credential=CountingCredential()).get_status(f"{server.base_url}/r/x")
    (request,) = server.requests
    assert request.headers["Authorization"] == "Bearer token-SECRET-1"
    assert "Ocp-Apim-Subscription-Key" not in request.headers


def test_logs_never_contain_key_token_or_sas(sim, make_client, scripted, caplog):
    caplog.set_level(logging.DEBUG)
    key_client = make_client(sim.base_url)
    op = key_client.submit("prebuilt-read", SAS_DOC)
    key_client.get_status(op)
    token_client = make_client(sim.base_url, credential=CountingCredential())
    token_client.get_status(op)
    with pytest.raises(PermanentServiceError):
        key_client.get_status(key_client.operation_for_id("missing"))
    echo = scripted(
        [CannedResponse(400, {"error": {"code": "InvalidRequest", "message": f"Cannot download {SAS_DOC} now"}})]
    )
    with pytest.raises(PermanentServiceError) as info:
        make_client(echo.base_url).submit("prebuilt-read", SAS_DOC)

    assert "CU POST /contentunderstanding/analyzers/prebuilt-read:analyze -> 202" in caplog.text
    for secret in (TEST_KEY, "token-SECRET", "SAS-SIGNATURE-SECRET"):
        assert secret not in caplog.text
        assert secret not in str(info.value)
    assert "https://acct.blob.core.windows.net/c/doc.pdf" in info.value.message


def test_redact_url_strips_query_and_userinfo():
    assert redact_url("https://user:pw@acct.blob.core.windows.net:443/c/d.pdf?sig=abc#frag") == (
        "https://acct.blob.core.windows.net:443/c/d.pdf"
    )
    assert redact_url("http://127.0.0.1:8080/x") == "http://127.0.0.1:8080/x"
