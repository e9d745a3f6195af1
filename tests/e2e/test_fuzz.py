"""Property-based fuzzing of the three endpoints over HTTP: whatever a hostile caller sends, no 5xx, every
error is the JSON error body, and a rejected POST starts nothing."""

from __future__ import annotations

import base64
import json
from urllib.parse import quote, urlsplit

import pytest
import requests
import urllib3
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.e2e.conftest import start_host
from tests.e2e.helpers import instance_count, orchestration_input

pytestmark = pytest.mark.e2e

ANALYZER = "prebuilt-invoice"
SEGMENT = st.text(st.characters(blacklist_characters="/?#%\\", blacklist_categories=("Cs",)), min_size=0, max_size=80)
# requests refuses header values with surrounding whitespace, so the strategy never generates them.
HEADER_TEXT = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=150).map(
    lambda s: s.strip() or "x"
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=12), children, max_size=5),
    max_leaves=25,
)
INPUT_FILES = st.lists(
    st.one_of(
        st.text(max_size=60),
        st.sampled_from(["https://files.example.com/a.pdf", "https://169.254.169.254/", "http://x/", "a/../b"]),
        st.builds(lambda s: f"https://files.example.com/{s}", st.text(max_size=30)),
        JSON_VALUES,
    ),
    max_size=12,
)
BODIES = st.one_of(
    st.binary(max_size=300),
    JSON_VALUES.map(lambda v: json.dumps(v).encode()),
    st.fixed_dictionaries(
        {"inputFiles": INPUT_FILES},
        optional={"analyzerId": st.text(max_size=70), "pages": st.text(max_size=20), "locale": JSON_VALUES},
    ).map(lambda v: json.dumps(v).encode()),
)
FUZZ = settings(
    max_examples=int(__import__("os").environ.get("FUZZ_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def assert_answer_is_ours(response: requests.Response) -> None:
    assert response.status_code < 500, (response.status_code, response.text[:300])
    if response.status_code >= 400:
        body = response.json()
        assert isinstance(body["error"], str) and isinstance(body["message"], str) and body["code"], body


@FUZZ
@given(analyzer=SEGMENT, body=BODIES, group=st.none() | HEADER_TEXT, key=st.none() | HEADER_TEXT)
def test_post_never_fails_and_a_rejection_starts_nothing(stack, analyzer, body, group, key):
    headers = {"Content-Type": "application/json"}
    if group is not None:
        headers["X-Group-ID"] = group
    if key is not None:
        headers["Idempotency-Key"] = key
    before = instance_count(stack.host) if stack.host else None
    response = requests.post(
        f"{stack.base_url}/pro-mode/content-analyzers/{quote(analyzer, safe='')}:analyze",
        data=body,
        headers=headers,
        timeout=10,
    )
    if response.status_code == 404 and not response.content:
        return  # the host's own "no such route" (e.g. an empty analyzer id), not an answer of the app
    assert_answer_is_ours(response)
    if response.status_code != 202 and before is not None:
        assert instance_count(stack.host) == before


@FUZZ
@given(analyzer=SEGMENT, operation=SEGMENT, group=st.none() | HEADER_TEXT, method=st.sampled_from(["GET", "DELETE"]))
def test_results_and_cancel_never_fail(stack, analyzer, operation, group, method):
    headers = {} if group is None else {"X-Group-ID": group}
    url = f"{stack.base_url}/pro-mode/content-analyzers/{quote(analyzer, safe='')}/results/{quote(operation, safe='')}"
    response = requests.request(method, url, headers=headers, timeout=10)
    if response.status_code == 404 and not response.content:
        return
    assert_answer_is_ours(response)
    assert response.status_code in (400, 403, 404, 409), response.text[:200]


# ----------------------------------------------------------------- issue 16: URL, pages, principal header cases

HOSTS = st.sampled_from(
    [
        "files.example.com",
        "FILES.EXAMPLE.COM.",
        "169.254.169.254\\.example.com",
        "10.0.0.5\\.files.example.com",
        "attacker.test\\@files.example.com",
        "files.example.com@attacker.test",
        "2852039166",
        "0251.0376.0251.0376",
        "0xa9fea9fe",
        "[::ffff:169.254.169.254]",
        "[fe80::1]",
        "ex%61mple.com",
        "exa_mple.com",
        "xn--bcher-kva.example.com",
        "bücher.example.com",
        "files.example.com\t",
        "files.example.com%0d%0a",
        "",
    ]
)
PORTS = st.none() | st.sampled_from(["", "0", "443", "80", "65535", "65536", "99999", "-1", "4 43", "0x1bb"])
URLS = st.builds(
    lambda scheme, slashes, host, port, path: f"{scheme}:{slashes}{host}{'' if port is None else ':' + port}/{path}",
    st.sampled_from(["https", "HTTPS", "http", "ftp", "file"]),
    st.sampled_from(["//", "/\\", "\\\\", "///", ""]),
    HOSTS,
    PORTS,
    st.text(st.characters(min_codepoint=0x20, max_codepoint=0x2FF), max_size=30),
)
PAGES = st.one_of(
    st.text(alphabet="0123456789,- ", max_size=30),
    st.text(alphabet="0123456789,-\t\u00a0\u2003\n\u0661\u0663\uff11", max_size=30),
    st.integers(min_value=1, max_value=6000).map(lambda n: "1" * n),
    st.integers(min_value=1, max_value=30000).map(lambda n: ",".join(["1"] * n)),
    JSON_VALUES,
)


def forwarded_urls(stack, operation_id: str) -> list[str]:
    return [item["url"] for item in orchestration_input(stack.host, operation_id)["inputs"] if "url" in item]


@FUZZ
@given(urls=st.lists(URLS, min_size=1, max_size=3))
def test_input_urls_reach_the_service_only_on_an_allowed_host_as_every_parser_reads_it(stack, urls):
    before = instance_count(stack.host) if stack.host else None
    response = requests.post(
        f"{stack.base_url}/pro-mode/content-analyzers/{ANALYZER}:analyze", json={"inputFiles": urls}, timeout=10
    )
    assert_answer_is_ours(response)
    if response.status_code != 202:
        if before is not None:
            assert instance_count(stack.host) == before
        return
    if stack.host is None:
        return
    for url in forwarded_urls(stack, response.json()["operationId"]):
        standard, legacy = urllib3.util.parse_url(url), urlsplit(url)
        assert standard.host == legacy.hostname, url  # urllib3 and urlsplit read the same host
        assert legacy.hostname == "example.com" or legacy.hostname.rstrip(".").endswith(".example.com"), url
        assert legacy.port is None and "\\" not in url and "@" not in legacy.netloc, url


def _percent_encoded_length(url: str) -> int:
    return sum(len(ch.encode("utf-8")) * 3 if ord(ch) > 0x7E else 1 for ch in url)


@FUZZ
@given(
    path=st.lists(
        st.sampled_from(["a", "/", "\u00e9", "\u4e00", "\U0001f600", "%41"]), min_size=1, max_size=40
    ).flatmap(lambda parts: st.integers(1, 8200 // len("".join(parts)) + 1).map(lambda n: "".join(parts) * n))
)
def test_input_urls_are_accepted_only_within_the_services_length_as_sent(stack, path):
    """The service counts a URL's 8,192 characters on what it receives: percent-encoded, as the app forwards it."""
    url = f"https://files.example.com/{path}"[:8200]
    before = instance_count(stack.host) if stack.host else None
    response = requests.post(
        f"{stack.base_url}/pro-mode/content-analyzers/{ANALYZER}:analyze", json={"inputFiles": [url]}, timeout=10
    )
    assert_answer_is_ours(response)
    as_sent = _percent_encoded_length(url)
    assert (response.status_code == 202) == (len(url) <= 8192 and as_sent <= 8192), (len(url), as_sent, response.text)
    if response.status_code != 202:
        assert response.json()["code"] == "InvalidInputUrl"
        if before is not None:
            assert instance_count(stack.host) == before
    elif stack.host is not None:
        assert [len(sent) for sent in forwarded_urls(stack, response.json()["operationId"])] == [as_sent]


@FUZZ
@given(pages=PAGES)
def test_pages_reach_the_service_only_as_bounded_ascii_ranges(stack, pages):
    body = json.dumps({"inputFiles": ["https://files.example.com/a.pdf"], "pages": pages})
    response = requests.post(
        f"{stack.base_url}/pro-mode/content-analyzers/{ANALYZER}:analyze",
        data=body,
        headers={"Content-Type": "application/json"},
        timeout=10,
    )
    assert_answer_is_ours(response)
    if response.status_code == 202 and pages not in (None, ""):
        assert isinstance(pages, str) and len(pages) <= 256
        sent = pages.replace(" ", "")
        assert sent == "" or all(ch in "0123456789,-" for ch in sent)
        assert all(len(number) <= 9 for part in sent.split(",") for number in part.split("-"))


PRINCIPALS = st.one_of(
    st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=200),
    st.binary(max_size=300).map(lambda b: base64.b64encode(b).decode()),
    JSON_VALUES.map(lambda v: base64.b64encode(json.dumps(v).encode()).decode()),
    st.integers(min_value=1, max_value=5000).map(lambda n: base64.b64encode(b"[" * n).decode()),
    st.integers(min_value=1, max_value=550).map(lambda n: base64.b64encode(b'{"claims":' * n).decode()),
    st.fixed_dictionaries(
        {"claims": st.lists(st.fixed_dictionaries({"typ": JSON_VALUES, "val": JSON_VALUES}), max_size=4)},
        optional={"role_typ": JSON_VALUES},
    ).map(lambda v: base64.b64encode(json.dumps(v).encode()).decode()),
    st.just("A" * 8000),  # under the hosts' per-header limits (devhost 8 KB, Kestrel 32 KB in total)
)


@pytest.fixture(scope="module")
def appservice_host(simulator_process, tmp_path_factory):
    if simulator_process is None:
        pytest.skip("needs a host of its own (AUTH_MODE=appservice)")
    host = start_host(simulator_process.ready_url, tmp_path_factory.mktemp("appservice"), AUTH_MODE="appservice")
    yield host
    host.stop()


@FUZZ
@given(header=PRINCIPALS, method=st.sampled_from(["POST", "GET"]))
def test_a_hostile_principal_header_is_a_4xx_never_a_5xx(appservice_host, header, method):
    url = f"{appservice_host.ready_url}/pro-mode/content-analyzers/{ANALYZER}"
    headers = {"X-MS-CLIENT-PRINCIPAL": header}
    if method == "POST":
        body = {"inputFiles": ["https://files.example.com/a.pdf"]}
        response = requests.post(f"{url}:analyze", json=body, headers=headers, timeout=10)
    else:
        response = requests.get(f"{url}/results/an-{'0' * 32}", headers=headers, timeout=10)
    assert_answer_is_ours(response)
    assert response.status_code in (202, 401, 403, 404), response.text[:200]
