"""Issue 16, hostile callers round two: what the validation let through (items 1, 6, 7, 10), each refused
with a 4xx and a stable code, and what it forwards re-serialised from what it checked."""

from __future__ import annotations

import base64
import json

import pytest

from auth.callers import (
    MAX_PRINCIPAL_HEADER_CHARS,
    AuthenticationError,
    Caller,
    caller_from_app_service_principal,
    caller_from_claims,
)
from domain.analyze_request import UrlPolicy, ValidationError, check_analyzer_id, parse_analyze_request
from domain.caller_scope import ScopeError, check_permissions

WILDCARD = UrlPolicy(allowed_hosts=("*.blob.core.windows.net", "example.com"))


def parse(body: dict, policy: UrlPolicy = WILDCARD):
    return parse_analyze_request(
        "prebuilt-invoice", json.dumps(body).encode(), max_inputs=10, max_bytes=1 << 20, url_policy=policy
    )


def refused(body: dict, policy: UrlPolicy = WILDCARD) -> str:
    with pytest.raises(ValidationError) as caught:
        parse(body, policy)
    return caught.value.code


# ------------------------------------------------------------------------------------ item 1: URL hosts, ports


@pytest.mark.parametrize(
    "url",
    [
        "https://169.254.169.254\\.blob.core.windows.net/metadata/instance",
        "https://10.0.0.5\\.blob.core.windows.net/x",
        "https://attacker.example\\.blob.core.windows.net/x",
        "https://acct.blob.core.windows.net\\@attacker.example/x",
    ],
)
def test_a_backslash_can_no_longer_hide_the_real_host(url):
    assert refused({"inputFiles": [url]}) == "InvalidInputUrl"


@pytest.mark.parametrize("port", ["0", "65535", "8443", "444"])
def test_only_the_default_port_unless_the_allow_list_names_one(port):
    assert refused({"inputFiles": [f"https://acct.blob.core.windows.net:{port}/c/a.pdf"]}) == "InputHostNotAllowed"
    named = UrlPolicy(allowed_hosts=(f"acct.blob.core.windows.net:{port}",))
    assert parse({"inputFiles": [f"https://acct.blob.core.windows.net:{port}/c/a.pdf"]}, named).inputs == (
        {"url": f"https://acct.blob.core.windows.net:{port}/c/a.pdf"},
    )


def test_http_port_80_only_in_development():
    development = UrlPolicy(allowed_hosts=("example.com",), allow_http=True)
    assert parse({"inputFiles": ["http://example.com:80/a.pdf"]}, development).inputs == (
        {"url": "http://example.com/a.pdf"},
    )
    assert refused({"inputFiles": ["http://example.com:8080/a.pdf"]}, development) == "InputHostNotAllowed"
    assert refused({"inputFiles": ["http://example.com/a.pdf"]}) == "InvalidInputUrl"


@pytest.mark.parametrize(
    ("sent", "forwarded"),
    [
        ("https://ACCT.Blob.Core.Windows.Net:443/c/a.pdf", "https://acct.blob.core.windows.net/c/a.pdf"),
        ("https://acct.blob.core.windows.net/c/x/../a b.pdf?sv=1&sig=a%2Bb", None),
        ("https://acct.blob.core.windows.net/c/é.pdf", "https://acct.blob.core.windows.net/c/%C3%A9.pdf"),
        ("https://ex%61mple.com/a.pdf", "https://example.com/a.pdf"),
    ],
)
def test_the_url_forwarded_is_the_one_re_serialised_from_what_was_validated(sent, forwarded):
    if " " in sent:
        assert refused({"inputFiles": [sent]}) == "InvalidInputUrl"  # spaces are refused, not repaired
        return
    assert parse({"inputFiles": [sent]}).inputs == ({"url": forwarded},)


@pytest.mark.parametrize(
    "url",
    [
        "https://exa_mple.blob.core.windows.net/a",  # '_' is read differently by parsers
        "https://user:pw@acct.blob.core.windows.net/a",
        "https://@acct.blob.core.windows.net/a",
        "https://0x7f.1/a",  # 127.0.0.1 to a WHATWG parser; an IP never matches a wildcard
        "https://[fe80::1]/a",
        "https://169.254.169.254/latest",
    ],
)
def test_hosts_other_parsers_could_read_differently_are_refused(url):
    assert refused({"inputFiles": [url]}) in ("InvalidInputUrl", "InputHostNotAllowed")


def test_the_url_length_is_counted_on_what_is_forwarded_as_the_service_counts_it():
    """8,192 non-ASCII characters are 8,192 as written but 48,967 percent-encoded: the service would
    refuse them after our 202, so the length that counts is the re-serialised URL's."""
    stem = "https://acct.blob.core.windows.net/c/"
    longest = stem + "a" * (8192 - len(stem))
    assert parse({"inputFiles": [longest]}).inputs == ({"url": longest},)
    assert refused({"inputFiles": [longest + "a"]}) == "InvalidInputUrl"
    with pytest.raises(ValidationError) as caught:
        parse({"inputFiles": [stem + "é" * (8192 - len(stem))]})  # 'é' is '%C3%A9' once forwarded
    assert caught.value.code == "InvalidInputUrl" and caught.value.status == 400
    assert "48967" in caught.value.message and "percent-encoded" in caught.value.message
    fits = stem + "é" * ((8192 - len(stem)) // 6)
    assert len(parse({"inputFiles": [fits]}).inputs[0]["url"]) <= 8192
    assert refused({"inputFiles": [fits + "é"]}) == "InvalidInputUrl"


# --------------------------------------------------------------------------------------- items 6, 7: pages


@pytest.mark.parametrize("pages", ["1-3,5", "1-3, 5", "9-", "1-3,5,9-", "2", "1-999999999"])
def test_bounded_ascii_page_ranges_are_accepted(pages):
    assert parse({"inputFiles": ["https://example.com/a.pdf"], "pages": pages}).pages == pages.replace(" ", "")


@pytest.mark.parametrize(
    "pages",
    [
        "1" * 5000,  # int() of more than 4,300 digits raised ValueError: a 500
        "99999999999999999999",
        "\u0661-\u0663",  # Arabic-Indic digits matched \\d
        "1-3\t,5",
        "1-3\u2003,5",  # em space
        "1-3\u00a0,5",  # no-break space
        "1-3\n",
        ",".join(["1"] * 100_000),  # 200 KB of "1,1,..."
        "-3",
        "3-1",
        "0-2",
        "1--3",
        "1-3,",
        12,
    ],
)
def test_page_ranges_outside_bounded_ascii_are_a_400(pages):
    assert refused({"inputFiles": ["https://example.com/a.pdf"], "pages": pages}) == "InvalidRequest"


# ------------------------------------------------------------------------------ item 7: analyzer and file ids


@pytest.mark.parametrize("analyzer", [".", "..", "...", "prebuilt-invoice"])
def test_analyzer_ids_of_dots_only_are_refused(analyzer):
    if analyzer.strip("."):
        check_analyzer_id(analyzer)
        return
    with pytest.raises(ValidationError) as caught:
        check_analyzer_id(analyzer)
    assert caught.value.code == "InvalidAnalyzerId"


@pytest.mark.parametrize(
    "file_id",
    [
        "/".join(["a"] * 255),  # Azure allows 254 path segments
        "a/\uffff.pdf",
        "a/\ufdd0.pdf",
        "a/b.pdf.",
        "a./b.pdf",
        "a" * 1025,
    ],
)
def test_file_ids_are_held_to_azure_blob_name_rules(file_id):
    with pytest.raises(ValidationError) as caught:
        parse({"inputFiles": [file_id]})
    assert caught.value.code == "InvalidFileId"


def test_file_ids_within_azure_rules_are_accepted():
    assert parse({"inputFiles": ["/".join(["a"] * 254)]}).file_ids == ("/".join(["a"] * 254),)
    assert parse({"inputFiles": ["invoices/2026/inv.100.pdf"]}).file_ids == ("invoices/2026/inv.100.pdf",)


# ---------------------------------------------------------------------------- item 6: the principal header


def encoded(document: object) -> str:
    return base64.b64encode(json.dumps(document).encode() if not isinstance(document, bytes) else document).decode()


@pytest.mark.parametrize(
    "header",
    [
        base64.b64encode(b"[" * 2000).decode(),  # RecursionError on Python 3.10/3.11
        base64.b64encode(b"[" * 200_000 + b"]" * 200_000).decode(),
        "A" * (MAX_PRINCIPAL_HEADER_CHARS + 1),
        encoded([1, 2]),
        encoded({"claims": {"typ": "oid"}}),
        "not base64 at all!",
    ],
)
def test_a_malformed_principal_header_is_a_401_never_a_500(header):
    with pytest.raises(AuthenticationError) as caught:
        caller_from_app_service_principal(header)
    assert caught.value.code == "InvalidToken"


# ---------------------------------------------------------------- item 10: app-only tokens, required permissions


def test_an_app_only_token_without_scp_or_roles_is_refused_by_default():
    app_only = caller_from_claims({"oid": "service-principal", "azp": "any-app-in-the-tenant"})
    with pytest.raises(ScopeError) as caught:
        check_permissions(app_only, (), ())
    assert (caught.value.status, caught.value.code) == (403, "PermissionMissing")
    check_permissions(caller_from_claims({"oid": "u", "scp": "User.Read"}), (), ())  # a delegated token passes
    check_permissions(caller_from_claims({"oid": "app", "roles": ["Analysis.Run"]}), (), ())


def test_required_scopes_or_roles_let_only_their_holders_in():
    scopes, roles = ("Analysis.Run",), ("Analysis.Service",)
    check_permissions(caller_from_claims({"oid": "u", "scp": "openid Analysis.Run"}), scopes, roles)
    check_permissions(caller_from_claims({"oid": "app", "roles": ["Analysis.Service"]}), scopes, roles)
    for claims in ({"oid": "u", "scp": "User.Read"}, {"oid": "app", "roles": ["Other"]}, {"oid": "app"}):
        with pytest.raises(ScopeError) as caught:
            check_permissions(caller_from_claims(claims), scopes, roles)
        assert caught.value.status == 403
    check_permissions(Caller(user_id=None, anonymous=True), scopes, roles)  # AUTH_MODE=none (Development)


def test_the_app_service_principal_carries_the_delegated_scopes():
    claims = [
        {"typ": "http://schemas.microsoft.com/identity/claims/objectidentifier", "val": "u"},
        {"typ": "http://schemas.microsoft.com/identity/claims/scope", "val": "Analysis.Run"},
    ]
    caller = caller_from_app_service_principal(encoded({"claims": claims, "role_typ": "roles"}))
    assert caller.scopes == frozenset({"Analysis.Run"})
