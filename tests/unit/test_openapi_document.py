"""The OpenAPI 3.1 document the app serves at /openapi.json: valid, complete, read once."""

from __future__ import annotations

import json

import azure.functions as func
import pytest
from openapi_spec_validator import validate

from config.per_process import reset_per_process
from domain.results_contract import ERROR_TITLES
from http_api import openapi_document as module

DOCUMENT = json.loads(module.OPENAPI_FILE.read_text(encoding="utf-8"))
ANALYZE = "/pro-mode/content-analyzers/{analyzerId}:analyze"
RESULTS = "/pro-mode/content-analyzers/{analyzerId}/results/{operationId}"
CODES_TODAY = [
    "InvalidJson",
    "InvalidRequest",
    "MissingInputFiles",
    "InvalidInputFiles",
    "TooManyInputFiles",
    "AnalyzerIdMismatch",
    "InvalidAnalyzerId",
    "InvalidInputUrl",
    "InvalidFileId",
    "RequestTooLarge",
    "InvalidGroupId",
    "InvalidIdempotencyKey",
    "FileIdsNotSupported",
    "IdempotencyKeyReused",
    "OperationNotFound",
    "AlreadyFinished",
    "ServiceUnavailable",
    "UpstreamError",
    "UpstreamUnavailable",
    "MissingToken",
    "InvalidToken",
    "GroupNotGranted",
    "TooManyRequests",
    "InternalError",
    "InputHostNotAllowed",
    "ResultUnavailable",
]


def test_the_document_is_valid_openapi_3_1():
    assert DOCUMENT["openapi"].startswith("3.1.")
    validate(DOCUMENT)


def test_every_endpoint_is_described():
    assert {path: sorted(k for k in item if k != "parameters") for path, item in DOCUMENT["paths"].items()} == {
        ANALYZE: ["post"],
        RESULTS: ["delete", "get"],
        "/health": ["get"],
        "/openapi.json": ["get"],
    }


def test_health_and_the_document_itself_are_anonymous_and_the_rest_is_not_only_anonymous():
    assert DOCUMENT["paths"]["/health"]["get"]["security"] == []
    assert DOCUMENT["paths"]["/openapi.json"]["get"]["security"] == []
    schemes = DOCUMENT["components"]["securitySchemes"]
    assert schemes["bearer"]["scheme"] == "bearer" and schemes["bearer"]["bearerFormat"] == "JWT"
    assert "appservice" in schemes
    assert {"bearer": []} in DOCUMENT["security"] and {"appservice": []} in DOCUMENT["security"]


def test_error_codes_are_an_open_string_listing_every_known_code():
    code = DOCUMENT["components"]["schemas"]["ErrorCode"]
    assert code["type"] == "string" and "enum" not in code
    assert set(CODES_TODAY) <= set(code["examples"])
    for name in CODES_TODAY:
        assert f"`{name}`" in code["description"]


def test_error_statuses_use_the_error_shape_and_401_carries_the_challenge():
    responses = DOCUMENT["components"]["responses"]
    assert set(DOCUMENT["components"]["schemas"]["Error"]["required"]) == {"error", "message", "code"}
    for operation in (DOCUMENT["paths"][ANALYZE]["post"], *(DOCUMENT["paths"][RESULTS][m] for m in ("get", "delete"))):
        for status, response in operation["responses"].items():
            if int(status) >= 400:
                assert int(status) in ERROR_TITLES
                resolved = responses[response["$ref"].rsplit("/", 1)[1]] if "$ref" in response else response
                assert "application/json" in resolved["content"], status
        assert "WWW-Authenticate" in responses["Unauthorized"]["headers"]


def test_the_endpoint_serves_the_file_and_reads_it_once(monkeypatch):
    reset_per_process()
    reads = []
    original = type(module.OPENAPI_FILE).read_bytes
    monkeypatch.setattr(type(module.OPENAPI_FILE), "read_bytes", lambda self: reads.append(self) or original(self))
    request = func.HttpRequest(method="GET", url="http://localhost/openapi.json", body=b"")
    first = module.openapi_document(request)
    second = module.openapi_document(request)
    assert first.status_code == second.status_code == 200
    assert first.mimetype == "application/json"
    assert json.loads(first.get_body()) == DOCUMENT
    assert len(reads) == 1


def _parameter_names(path: str, method: str) -> set[str]:
    item = DOCUMENT["paths"][path]
    refs = [*item.get("parameters", []), *item[method].get("parameters", [])]
    return {DOCUMENT["components"]["parameters"][p["$ref"].rsplit("/", 1)[1]]["name"] for p in refs}


def test_parameters_and_headers_of_the_contract():
    assert _parameter_names(ANALYZE, "post") == {"analyzerId", "X-Group-ID", "Idempotency-Key"}
    assert _parameter_names(RESULTS, "get") == {"analyzerId", "operationId", "X-Group-ID", "api-version"}
    assert _parameter_names(RESULTS, "delete") == {"analyzerId", "operationId", "X-Group-ID"}
    submitted = DOCUMENT["paths"][ANALYZE]["post"]["responses"]["202"]
    processing = DOCUMENT["paths"][RESULTS]["get"]["responses"]["202"]
    assert set(submitted["headers"]) == set(processing["headers"]) == {"Location", "Retry-After"}


def test_the_documents_patterns_are_the_codes():
    """Code and document agree on what an id, a group and a key look like."""
    from domain.analyze_request import ANALYZER_ID_PATTERN, IDEMPOTENCY_KEY_PATTERN
    from domain.caller_scope import GROUP_ID_PATTERN
    from domain.operation_ids import OPERATION_ID_PATTERN

    parameters = DOCUMENT["components"]["parameters"]
    assert parameters["analyzerId"]["schema"]["pattern"] == ANALYZER_ID_PATTERN.pattern
    assert parameters["operationId"]["schema"]["pattern"] == OPERATION_ID_PATTERN.pattern
    assert parameters["groupId"]["schema"]["pattern"] == GROUP_ID_PATTERN.pattern
    assert parameters["idempotencyKey"]["schema"]["pattern"] == IDEMPOTENCY_KEY_PATTERN.pattern


@pytest.mark.parametrize(
    "pages",
    ["", "1-3,5", "9-", "1-3,5,9-", " 1 - 3 , 5 ", "12 3", "   ", "1-3,", "-3", "1234567890", "1,,2", "٣", "1.5"],
)
def test_the_documents_page_ranges_are_the_parsers(pages):
    """The pattern accepts exactly what the parser accepts, less the ascending rule the description states."""
    import re

    from domain.analyze_request import ValidationError, parse_analyze_request

    schema = DOCUMENT["components"]["schemas"]["AnalyzeRequest"]["properties"]["pages"]["anyOf"][1]
    body = json.dumps({"inputFiles": ["doc.pdf"], "pages": pages}).encode()
    try:
        parse_analyze_request("a", body, max_inputs=10, max_bytes=10_000)
        accepted = True
    except ValidationError as refused:
        accepted = "ascending" in refused.message
    assert bool(re.search(schema["pattern"], pages)) == accepted


def test_bad_analyzer_ids_are_400_on_every_route_and_unknown_operations_404():
    for operation in (DOCUMENT["paths"][ANALYZE]["post"], *(DOCUMENT["paths"][RESULTS][m] for m in ("get", "delete"))):
        assert "400" in operation["responses"]
    assert "404" not in DOCUMENT["paths"][ANALYZE]["post"]["responses"]
    assert "InvalidAnalyzerId" in DOCUMENT["components"]["responses"]["BadRequestIds"]["description"]
    for operation in (DOCUMENT["paths"][ANALYZE]["post"], *(DOCUMENT["paths"][RESULTS][m] for m in ("get", "delete"))):
        assert "429" in operation["responses"]  # the per-caller limits (CALLER_STARTS/READS_PER_MINUTE)


def test_merged_results_are_documented_as_labelled_by_input():
    result = DOCUMENT["components"]["schemas"]["AnalysisResult"]
    assert '`path: "inputN"`' in result["description"] and "stringEncoding" in result["description"]
    assert "path" in result["properties"]["result"]["properties"]["contents"]["items"]["properties"]
