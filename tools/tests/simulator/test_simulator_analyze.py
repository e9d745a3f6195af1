"""Submit side of the simulator: GA 202 answer, validation errors, auth, injected submit faults."""

from __future__ import annotations

import base64
import re
import uuid

import pytest
import requests

from tools.simulator import start_simulator
from tools.tests.simulator.helpers import API, KEY_HEADERS

OPERATION_LOCATION = re.compile(
    r"^http://127\.0\.0\.1:\d+/contentunderstanding/analyzerResults/(?P<id>[0-9a-f-]{36})\?api-version=2025-11-01$"
)


def test_analyze_answers_202_with_ga_operation_location(submit):
    response = submit()

    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "NotStarted"
    match = OPERATION_LOCATION.match(response.headers["Operation-Location"])
    assert match, response.headers["Operation-Location"]
    assert match["id"] == body["id"]
    assert response.headers["apim-request-id"]


def test_client_request_id_is_echoed(sim, http):
    request_id = str(uuid.uuid4())
    response = http.post(
        f"{sim.base_url}/contentunderstanding/analyzers/prebuilt-read:analyze?{API}",
        json={"inputs": [{"url": "https://example.com/a.pdf"}]},
        headers={"x-ms-client-request-id": request_id},
    )
    assert response.headers["x-ms-client-request-id"] == request_id


@pytest.mark.parametrize("version", ["2026-01-01", "latest", "2025-11-01-preview"])
def test_only_the_ga_api_version_is_accepted(sim, http, version):
    response = http.post(
        f"{sim.base_url}/contentunderstanding/analyzers/prebuilt-read:analyze?api-version={version}",
        json={"inputs": [{"url": "https://example.com/a.pdf"}]},
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == response.headers["x-ms-error-code"] == "UnsupportedApiVersionValue"
    assert error["message"] == f"Unsupported api-version '{version}'. The supported api-versions are '2025-11-01'."
    assert error["target"] == "api-version"
    assert sim.stats()["operations_created"] == 0


@pytest.mark.parametrize("version", ["2025-05-01-preview", "2024-12-01-preview"])
def test_retired_previews_answer_410_api_version_retired(sim, http, version):
    """The previews were retired on 2026-07-15: the service answers 410 with inner code ApiVersionRetired."""
    response = http.post(
        f"{sim.base_url}/contentunderstanding/analyzers/prebuilt-read:analyze?api-version={version}",
        json={"inputs": [{"url": "https://example.com/a.pdf"}]},
    )
    assert response.status_code == 410
    error = response.json()["error"]
    assert error["innererror"] == {"code": "ApiVersionRetired"}
    assert error["target"] == "api-version" and version in error["message"]
    assert sim.stats()["operations_created"] == 0


def test_preview_versions_are_refused_on_every_route(sim, http):
    for method, path in [
        ("GET", "analyzerResults/some-id"),
        ("GET", "analyzers"),
        ("GET", "analyzers/prebuilt-read"),
        ("GET", "defaults"),
    ]:
        url = f"{sim.base_url}/contentunderstanding/{path}?api-version=2025-05-01-preview"
        assert http.request(method, url).status_code == 410, path


def test_several_inputs_in_one_request_are_refused(sim, http):
    response = http.post(
        f"{sim.base_url}/contentunderstanding/analyzers/prebuilt-invoice:analyze?{API}",
        json={"inputs": [{"url": "https://example.com/a.pdf"}, {"url": "https://example.com/b.pdf"}]},
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == response.headers["x-ms-error-code"] == "InvalidRequest"
    assert error["target"] == "inputs"
    assert error["innererror"] == {"code": "TooManyInputs"}
    assert "one input" in error["message"]
    assert error["details"] == []
    assert sim.stats()["operations_created"] == 0


def test_chunked_request_body_is_read(sim, http):
    def chunks():
        yield b'{"inputs": [{"url": '
        yield b'"https://example.com/a.pdf"}]}'

    response = http.post(
        f"{sim.base_url}/contentunderstanding/analyzers/prebuilt-read:analyze?{API}",
        data=chunks(),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 202, response.text


def test_analyze_binary_answers_202(sim, http):
    response = http.post(
        f"{sim.base_url}/contentunderstanding/analyzers/prebuilt-layout:analyzeBinary?{API}",
        data=b"%PDF-1.7 fake",
        headers={"Content-Type": "application/pdf"},
    )
    assert response.status_code == 202
    assert "/contentunderstanding/analyzerResults/" in response.headers["Operation-Location"]


def test_data_input_is_accepted(sim, http):
    data = base64.b64encode(b"hello").decode()
    response = http.post(
        f"{sim.base_url}/contentunderstanding/analyzers/prebuilt-read:analyze?{API}",
        json={"inputs": [{"data": data, "mimeType": "text/plain"}]},
    )
    assert response.status_code == 202


def test_missing_api_version_is_400(sim, http):
    response = http.post(
        f"{sim.base_url}/contentunderstanding/analyzers/prebuilt-read:analyze",
        json={"inputs": [{"url": "https://example.com/a.pdf"}]},
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "MissingApiVersionParameter"
    assert response.headers["x-ms-error-code"] == "MissingApiVersionParameter"


@pytest.mark.parametrize(
    ("raw_body", "why"),
    [
        (b"not json", "not JSON"),
        (b'{"something": 1}', "no inputs"),
        (b'{"inputs": []}', "empty inputs"),
        (b'{"inputs": [{"name": "x"}]}', "input without url or data"),
        (b'{"inputs": [{"url": "ftp://example.com/a.pdf"}]}', "non-http url"),
        (b'{"inputs": [{"url": "not a url"}]}', "relative url"),
        (b'{"inputs": [{"data": "***"}]}', "data not base64"),
        (b'{"inputs": [{"url": "https://example.com/a.pdf?sim_outcome=exploded"}]}', "bad scenario control"),
    ],
)
def test_bad_analyze_body_is_400_with_error_body(sim, http, raw_body, why):
    response = http.post(
        f"{sim.base_url}/contentunderstanding/analyzers/prebuilt-read:analyze?{API}",
        data=raw_body,
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400, why
    error = response.json()["error"]
    assert error["code"] and error["message"]
    assert error["details"] == []
    assert response.headers["x-ms-error-code"] == error["code"]


def test_unknown_analyzer_is_404_model_not_found(submit):
    response = submit(analyzer="no-such-analyzer")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "ModelNotFound"


@pytest.mark.parametrize("analyzer_id", ["a" * 65, "bad%20id", "bad!id"])
def test_invalid_analyzer_id_is_400(submit, analyzer_id):
    response = submit(analyzer=analyzer_id)
    assert response.status_code == 400
    assert response.json()["error"]["target"] == "analyzerId"


def test_invalid_processing_location_is_400(sim, http):
    response = http.post(
        f"{sim.base_url}/contentunderstanding/analyzers/prebuilt-read:analyze?{API}&processingLocation=moon",
        json={"inputs": [{"url": "https://example.com/a.pdf"}]},
    )
    assert response.status_code == 400


def test_missing_credentials_are_401(sim):
    response = requests.post(
        f"{sim.base_url}/contentunderstanding/analyzers/prebuilt-read:analyze?{API}",
        json={"inputs": [{"url": "https://example.com/a.pdf"}]},
    )
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "401"
    assert response.headers["x-ms-error-code"] == "401"


def test_bearer_token_is_accepted(sim):
    response = requests.post(
        f"{sim.base_url}/contentunderstanding/analyzers/prebuilt-read:analyze?{API}",
        json={"inputs": [{"url": "https://example.com/a.pdf"}]},
        headers={"Authorization": "Bearer some-token"},
    )
    assert response.status_code == 202


def test_configured_key_is_enforced():
    with start_simulator(port=0, quiet=True, key="right-key") as sim:
        url = f"{sim.base_url}/contentunderstanding/analyzers/prebuilt-read:analyze?{API}"
        body = {"inputs": [{"url": "https://example.com/a.pdf"}]}
        wrong = requests.post(url, json=body, headers={"Ocp-Apim-Subscription-Key": "wrong-key"})
        empty = requests.post(url, json=body, headers={"Ocp-Apim-Subscription-Key": ""})
        right = requests.post(url, json=body, headers={"Ocp-Apim-Subscription-Key": "right-key"})
    assert (wrong.status_code, empty.status_code, right.status_code) == (401, 401, 202)
    assert "right-key" not in wrong.text


def test_submit_fail_option_answers_503_then_recovers():
    with start_simulator(port=0, quiet=True, submit_fail=2) as sim:
        url = f"{sim.base_url}/contentunderstanding/analyzers/prebuilt-read:analyze?{API}"
        body = {"inputs": [{"url": "https://example.com/a.pdf"}]}
        codes = [requests.post(url, json=body, headers=KEY_HEADERS).status_code for _ in range(3)]
        assert codes == [503, 503, 202]
        assert sim.stats()["analyze_calls"] == 3


def test_submit_throttle_option_answers_429_with_retry_after():
    with start_simulator(port=0, quiet=True, submit_throttle=1, submit_retry_after=3) as sim:
        url = f"{sim.base_url}/contentunderstanding/analyzers/prebuilt-read:analyze?{API}"
        body = {"inputs": [{"url": "https://example.com/a.pdf"}]}
        first = requests.post(url, json=body, headers=KEY_HEADERS)
        second = requests.post(url, json=body, headers=KEY_HEADERS)
    assert first.status_code == 429
    assert first.headers["Retry-After"] == "3"
    assert first.json()["error"]["code"] == "TooManyRequests"
    assert second.status_code == 202


def test_faults_can_be_armed_at_runtime_over_http(sim, submit):
    armed = requests.post(f"{sim.base_url}/_sim/config", json={"submit_fail": 1, "submit_fail_status": 500})
    assert armed.status_code == 200
    assert [submit().status_code, submit().status_code] == [500, 202]


def test_expect_100_continue_body_is_read(sim):
    import socket

    body = b'{"inputs": [{"url": "https://example.com/a.pdf"}]}'
    head = (
        f"POST /contentunderstanding/analyzers/prebuilt-read:analyze?{API} HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{sim.port}\r\nOcp-Apim-Subscription-Key: k\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", sim.port), timeout=5) as conn:
        conn.sendall(head)
        interim = conn.recv(64)
        conn.sendall(body)
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    assert interim.startswith(b"HTTP/1.1 100 Continue")
    assert answer.split(b"\r\n", 1)[0] == b"HTTP/1.1 202 Accepted"
