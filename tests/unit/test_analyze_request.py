import json

import pytest

from domain.analyze_request import (
    UrlPolicy,
    ValidationError,
    check_idempotency_key,
    parse_analyze_request,
)
from domain.caller_scope import ScopeError, scope_for

POLICY = UrlPolicy(allowed_hosts=("*.example.com", "example.com"))


def parse(body, analyzer="prebuilt-invoice", max_inputs=3, max_bytes=10_000, policy=POLICY):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return parse_analyze_request(analyzer, raw, max_inputs=max_inputs, max_bytes=max_bytes, url_policy=policy)


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
    assert (request.pages, request.case_id) == ("1-3,5", "case-7")


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
        ({"inputFiles": ["https://a.example.com/x"], "pages": "3-1"}, "InvalidRequest"),
        ({"inputFiles": ["https://a.example.com/x"], "pages": "0-2"}, "InvalidRequest"),
        ({"inputFiles": ["https://elsewhere.org/x.pdf"]}, "InputHostNotAllowed"),
        ({"inputFiles": ["https://169.254.169.254/latest/meta-data"]}, "InvalidInputUrl"),
        ({"inputFiles": ["https://[fe80::1]/x"]}, "InvalidInputUrl"),
        ({"inputFiles": ["https://metadata.google.internal/x"]}, "InvalidInputUrl"),
        ({"inputFiles": ["https://a.example.com/x\r\nHost: evil"]}, "InvalidInputUrl"),
        ({"inputFiles": ["https://a.example.com/x\u0000"]}, "InvalidInputUrl"),
        ({"inputFiles": ["https://@a.example.com/x"]}, "InvalidInputUrl"),
        ({"inputFiles": ["a\u0085b.pdf"]}, "InvalidFileId"),
        ({"inputFiles": ["a\u009bb.pdf"]}, "InvalidFileId"),
        ({"inputFiles": ["a\u007fb.pdf"]}, "InvalidFileId"),
    ],
)
def test_invalid_requests_are_rejected_with_a_stable_code(body, code):
    assert code_of(body) == code


def test_oversized_body_is_rejected_before_parsing():
    assert code_of(b" " * 20_000) == "RequestTooLarge"


@pytest.mark.parametrize("analyzer", ["", "has space", "x" * 65, "semi;colon", "a/b"])
def test_analyzer_ids_outside_the_service_pattern_are_rejected(analyzer):
    assert code_of({"inputFiles": ["https://a.example.com/x"]}, analyzer=analyzer) == "InvalidAnalyzerId"


def test_plain_http_only_in_development():
    url = "http://files.example.com/x.pdf"
    assert code_of({"inputFiles": [url]}) == "InvalidInputUrl"
    development = UrlPolicy(allowed_hosts=("files.example.com",), allow_http=True)
    assert parse({"inputFiles": [url]}, policy=development).inputs == ({"url": url},)


def test_no_allowed_hosts_means_no_urls_at_all():
    assert code_of({"inputFiles": ["https://a.example.com/x"]}, policy=UrlPolicy()) == "InputHostNotAllowed"


def test_wildcards_match_subdomains_only():
    policy = UrlPolicy(allowed_hosts=("*.blob.core.windows.net",))
    assert policy.allows_host("acct.blob.core.windows.net")
    assert not policy.allows_host("blob.core.windows.net")
    assert not policy.allows_host("evilblob.core.windows.net")


def test_lone_surrogates_in_file_ids_are_refused_not_sent_on():
    assert code_of(b'{"inputFiles": ["a\\ud800b.pdf"]}') == "InvalidFileId"


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 1000 + b"]" * 1000,
        b'{"inputFiles": ["https://a.example.com/x"], "n": ' + b"9" * 5000 + b"}",
        b'{"inputFiles": ["https://a.example.com/x"], "n": NaN}',
    ],
)
def test_hostile_json_is_a_clean_400(body):
    assert code_of(body) == "InvalidJson"


def test_locale_is_accepted_and_ignored_like_the_other_legacy_fields():
    a = parse({"inputFiles": ["https://a.example.com/x"], "locale": "en-US"})
    b = parse({"inputFiles": ["https://a.example.com/x"], "locale": "anything at all"})
    assert a.fingerprint_source() == b.fingerprint_source()  # no false 409 for a locale difference


def test_idempotency_key_is_checked():
    check_idempotency_key("order-123:attempt")
    with pytest.raises(ValidationError):
        check_idempotency_key("has space")


class Caller:
    def __init__(self, user_id=None, groups=(), anonymous=False, overage=False):
        self.user_id, self.groups, self.anonymous, self.groups_overage = user_id, frozenset(groups), anonymous, overage


def test_scope_is_the_group_only_when_the_identity_grants_it():
    member = Caller("user-1", groups=["g-1"])
    assert scope_for(member, "g-1") == {"kind": "group", "id": "g-1"}
    assert scope_for(member, None) == {"kind": "user", "id": "user-1"}
    with pytest.raises(ScopeError) as refused:
        scope_for(member, "g-2")
    assert (refused.value.status, refused.value.code) == (403, "GroupNotGranted")
    with pytest.raises(ScopeError) as overage:
        scope_for(Caller("user-1", overage=True), "g-2")
    assert "overage" in overage.value.message
    with pytest.raises(ScopeError) as malformed:
        scope_for(member, "../etc")
    assert (malformed.value.status, malformed.value.code) == (400, "InvalidGroupId")


def test_anonymous_development_callers_are_trusted_with_the_header():
    anonymous = Caller(anonymous=True)
    assert scope_for(anonymous, "g-9") == {"kind": "group", "id": "g-9"}
    assert scope_for(anonymous, None) == {"kind": "anonymous", "id": ""}


def test_fingerprint_ignores_fields_that_do_not_change_the_analysis():
    a = parse({"inputFiles": ["https://a.example.com/x"], "case_id": "1"})
    b = parse({"inputFiles": ["https://a.example.com/x"], "case_id": "2", "outputFormat": "json"})
    c = parse({"inputFiles": ["https://a.example.com/y"]})
    assert a.fingerprint_source() == b.fingerprint_source() != c.fingerprint_source()


@pytest.mark.parametrize(("case_id", "kept"), [("c-1", "c-1"), (12, "12"), (-841.0, "-841"), (None, None)])
def test_case_id_is_any_value_the_document_allows(case_id, kept):
    """The OpenAPI document says string, integer, boolean or null; JSON Schema counts 12.0 as an integer."""
    assert parse({"inputFiles": ["https://a.example.com/x"], "case_id": case_id}).case_id == kept


def test_a_fractional_case_id_is_refused():
    assert code_of({"inputFiles": ["https://a.example.com/x"], "case_id": 1.5}) == "InvalidRequest"


def test_an_orchestration_input_over_the_budget_is_a_413_that_says_why():
    from domain.analyze_request import MAX_ORCHESTRATION_INPUT_BYTES, check_orchestration_input_size

    def job(url: str) -> dict:
        return {"analyzerId": "prebuilt-invoice", "inputs": [{"url": url}] * 10, "acceptedAt": "2026-12-01T00:00:00"}

    check_orchestration_input_size(job("https://files.example.com/" + "a" * 8000))  # ASCII fits: no refusal
    with pytest.raises(ValidationError) as raised:
        check_orchestration_input_size(job("https://files.example.com/" + "é" * 8000))  # 7 bytes each
    refused = raised.value
    assert refused.status == 413 and refused.code == "RequestTooLarge"
    assert str(MAX_ORCHESTRATION_INPUT_BYTES) in refused.message and "too large to start" in refused.message
    assert MAX_ORCHESTRATION_INPUT_BYTES * 4 <= 1024 * 1024  # a quarter of the Durable Task Scheduler's limit
    largest_ascii = job("https://files.example.com/" + "a" * (8192 - 26))  # ten URLs of the longest length
    check_orchestration_input_size(largest_ascii)  # fits: no refusal
