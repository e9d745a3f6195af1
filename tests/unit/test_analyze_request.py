import json

import pytest

from domain.analyze_request import (
    ValidationError,
    check_group_id,
    check_idempotency_key,
    parse_analyze_request,
)


def parse(body, analyzer="prebuilt-invoice", max_inputs=3, max_bytes=10_000):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return parse_analyze_request(analyzer, raw, max_inputs=max_inputs, max_bytes=max_bytes)


def code_of(body, **kwargs):
    with pytest.raises(ValidationError) as caught:
        parse(body, **kwargs)
    return caught.value.code


def test_frontend_body_with_unknown_fields_is_accepted():
    request = parse(
        {
            "analyzerId": "prebuilt-invoice",
            "analysisMode": "pro",
            "baseAnalyzerId": "prebuilt-documentAnalyzer",
            "schema_config": {"x": 1},
            "inputFiles": ["https://files.example.com/a.pdf?sv=1&sig=abc", "invoices/2024/b.pdf"],
            "referenceFiles": [],
            "case_id": "case-7",
            "pages": "1-3, 5",
            "locale": "en-US",
            "outputFormat": "json",
            "includeTextDetails": True,
            "somethingNew": {"tolerated": True},
        }
    )
    assert request.inputs == (
        {"url": "https://files.example.com/a.pdf?sv=1&sig=abc"},
        {"fileId": "invoices/2024/b.pdf"},
    )
    assert request.file_ids == ("invoices/2024/b.pdf",)
    assert (request.pages, request.locale, request.case_id) == ("1-3,5", "en-US", "case-7")


def test_analyzer_id_in_body_is_optional():
    assert parse({"inputFiles": ["https://a.example.com/x.pdf"]}).analyzer_id == "prebuilt-invoice"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"{not json", "InvalidJson"),
        (b"\xff\xfe", "InvalidJson"),
        (b"", "InvalidRequest"),
        ([1, 2], "InvalidRequest"),
        ({}, "MissingInputFiles"),
        ({"inputFiles": []}, "InvalidInputFiles"),
        ({"inputFiles": "https://a.example.com/x.pdf"}, "InvalidInputFiles"),
        ({"inputFiles": [42]}, "InvalidInputFiles"),
        ({"inputFiles": ["  "]}, "InvalidInputFiles"),
        ({"inputFiles": ["https://a.example.com/1", "b", "c", "d"]}, "TooManyInputFiles"),
        ({"analyzerId": "other", "inputFiles": ["https://a.example.com/x"]}, "AnalyzerIdMismatch"),
        ({"inputFiles": ["http://files.example.com/x.pdf"]}, "InvalidInputUrl"),
        ({"inputFiles": ["https://user:secret@files.example.com/x.pdf"]}, "InvalidInputUrl"),
        ({"inputFiles": ["ftp://files.example.com/x.pdf"]}, "InvalidInputUrl"),
        ({"inputFiles": ["file:///etc/passwd"]}, "InvalidInputUrl"),
        ({"inputFiles": ["https://a.example.com:99999/x"]}, "InvalidInputUrl"),
        ({"inputFiles": ["https://a.example.com/" + "x" * 9000]}, "InvalidInputUrl"),
        ({"inputFiles": ["../secrets.pdf"]}, "InvalidFileId"),
        ({"inputFiles": ["a/../../b.pdf"]}, "InvalidFileId"),
        ({"inputFiles": ["/abs/path.pdf"]}, "InvalidFileId"),
        ({"inputFiles": ["a//b.pdf"]}, "InvalidFileId"),
        ({"inputFiles": ["a\\b.pdf"]}, "InvalidFileId"),
        ({"inputFiles": ["a%2e%2e/b.pdf"]}, "InvalidFileId"),
        ({"inputFiles": ["a\nb.pdf"]}, "InvalidFileId"),
        ({"inputFiles": ["x" * 1025]}, "InvalidFileId"),
        ({"inputFiles": ["https://a.example.com/x"], "pages": "all"}, "InvalidRequest"),
        ({"inputFiles": ["https://a.example.com/x"], "locale": "english please"}, "InvalidRequest"),
    ],
)
def test_invalid_requests_are_rejected_with_a_stable_code(body, code):
    assert code_of(body) == code


def test_oversized_body_is_rejected_before_parsing():
    assert code_of(b" " * 20_000) == "RequestTooLarge"


@pytest.mark.parametrize("analyzer", ["", "has space", "x" * 65, "semi;colon", "a/b"])
def test_analyzer_ids_outside_the_service_pattern_are_rejected(analyzer):
    assert code_of({"inputFiles": ["https://a.example.com/x"]}, analyzer=analyzer) == "InvalidAnalyzerId"


@pytest.mark.parametrize("url", ["http://127.0.0.1:10000/devstoreaccount1/c/x.pdf", "http://localhost:8080/x.pdf"])
def test_plain_http_is_allowed_for_loopback_hosts(url):
    assert parse({"inputFiles": [url]}).inputs == ({"url": url},)


def test_group_and_idempotency_headers_are_checked():
    check_group_id("3f2a9c1e-aaaa-bbbb")
    check_idempotency_key("order-123:attempt")
    with pytest.raises(ValidationError):
        check_group_id("../etc")
    with pytest.raises(ValidationError):
        check_idempotency_key("has space")


def test_fingerprint_ignores_fields_that_do_not_change_the_analysis():
    a = parse({"inputFiles": ["https://a.example.com/x"], "case_id": "1"})
    b = parse({"inputFiles": ["https://a.example.com/x"], "case_id": "2", "outputFormat": "json"})
    c = parse({"inputFiles": ["https://a.example.com/y"]})
    assert a.fingerprint_source() == b.fingerprint_source() != c.fingerprint_source()
