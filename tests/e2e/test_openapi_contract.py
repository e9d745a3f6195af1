"""GET /openapi.json over HTTP, and the check that holds every e2e answer to that document."""

from __future__ import annotations

import json

import requests
from openapi_spec_validator import validate

from http_api.openapi_document import OPENAPI_FILE
from tests.e2e.openapi_contract import ORIGINAL_SEND, check

RESULTS_URL = "http://127.0.0.1:9/pro-mode/content-analyzers/prebuilt-invoice/results/op-1?api-version=x"


def made_up(method: str, url: str, status: int, body: object, **headers: str) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = json.dumps(body).encode()
    response.headers.update({"Content-Type": "application/json", **headers})
    response.request = requests.Request(method, url).prepare()
    response.url = url
    return response


def test_the_app_serves_its_openapi_document_anonymously(stack):
    response = requests.get(f"{stack.base_url}/openapi.json", timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    document = response.json()
    assert document == json.loads(OPENAPI_FILE.read_text(encoding="utf-8"))
    validate(document)


def test_every_response_in_this_package_is_checked():
    assert requests.Session.send is not ORIGINAL_SEND  # the autouse fixture in conftest.py installed the check


def test_a_response_the_document_does_not_allow_is_reported_clearly():
    wrong_error = made_up("GET", RESULTS_URL, 404, {"error": {"message": "nested"}})
    message = check(wrong_error)
    assert message and "answered 404" in message and "'code' is a required property" in message
    no_retry_after = made_up("GET", RESULTS_URL, 202, {"status": "processing"}, Location="/x")
    assert "Retry-After" in (check(no_retry_after) or "")
    assert "418" in (check(made_up("GET", RESULTS_URL, 418, {})) or "")


def test_answers_that_match_or_are_not_described_pass():
    not_found = {"error": "Not found", "message": "No such analysis operation.", "code": "OperationNotFound"}
    assert check(made_up("GET", RESULTS_URL, 404, not_found)) is None
    service_code = {**not_found, "code": "SomeServiceCode"}  # codes are an open string
    assert check(made_up("GET", RESULTS_URL, 404, service_code)) is None
    assert check(made_up("GET", "http://127.0.0.1:9/_sim/stats", 200, {})) is None


def test_the_hosts_no_route_answer_is_not_the_apps():
    no_route = made_up("POST", "http://127.0.0.1:9/pro-mode/content-analyzers/:analyze", 404, None)
    no_route._content = b""
    del no_route.headers["Content-Type"]
    assert check(no_route) is None
    empty_json_404 = made_up("GET", RESULTS_URL, 404, None)
    empty_json_404._content = b""
    assert "MissingData" in (check(empty_json_404) or "")  # the app itself always answers with a body
