"""Issue 16, hostile callers round two, over HTTP against hosts of the test's own: what one caller can cost
(items 3, 5), what reaches the service (item 1) and which errors are JSON (item 8)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import requests

from tests.e2e.helpers import ANALYZER, final_answer, instance_count, orchestration_input, principal

BASE = f"/pro-mode/content-analyzers/{ANALYZER}"


def post(host, files, headers=None, **extra):
    body = {"inputFiles": files, **extra}
    return requests.post(f"{host.ready_url}{BASE}:analyze", json=body, headers=headers or {}, timeout=10)


def service_calls(simulator_process) -> int:
    return requests.get(f"{simulator_process.ready_url}/_sim/stats", timeout=10).json()["status_calls"]


def test_a_backslash_url_is_refused_and_what_is_forwarded_is_what_was_validated(private_host):
    """Item 1: `https://169.254.169.254\\.blob.core.windows.net/...` was accepted (202) and forwarded as is."""
    host = private_host(ALLOWED_INPUT_HOSTS="*.blob.core.windows.net,*.example.com")
    for url in (
        "https://169.254.169.254\\.blob.core.windows.net/metadata/instance",
        "https://10.0.0.5\\.blob.core.windows.net/x",
        "https://files.example.com:65535/a.pdf",
        "https://files.example.com:0/a.pdf",
    ):
        answer = post(host, [url])
        assert answer.status_code == 400, (url, answer.text)
        assert answer.json()["code"] in ("InvalidInputUrl", "InputHostNotAllowed")
    started = post(host, ["https://FILES.Example.com:443/a/../invoice.pdf?sim_duration=0.2"])
    assert started.status_code == 202
    job = orchestration_input(host, started.json()["operationId"])
    assert job["inputs"] == [{"url": "https://files.example.com/invoice.pdf?sim_duration=0.2"}]


def test_each_caller_may_start_and_read_only_so_often(private_host):
    """Item 5: 200 POSTs were accepted in 2 s, each a billed analysis."""
    host = private_host(AUTH_MODE="appservice", CALLER_STARTS_PER_MINUTE="3", CALLER_READS_PER_MINUTE="4")
    alice, bob = principal("alice-oid"), principal("bob-oid")
    doc = "https://files.example.com/a.pdf?sim_duration=0.2"
    first = [post(host, [doc], alice) for _ in range(3)]
    assert [a.status_code for a in first] == [202, 202, 202]
    before = instance_count(host)
    refused = post(host, [doc], alice)
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    body = refused.json()
    assert (body["error"], body["code"]) == ("Too many requests", "TooManyRequests")
    assert "CALLER_STARTS_PER_MINUTE" in body["message"]
    assert instance_count(host) == before  # nothing started
    assert post(host, [doc], bob).status_code == 202  # another caller has a window of its own
    url = f"{host.ready_url}{first[0].json()['resultsEndpoint']}"
    reads = [requests.get(url, headers=alice, timeout=10).status_code for _ in range(5)]
    assert 429 not in reads[:4] and reads[4] == 429
    assert requests.get(url, headers=bob, timeout=10).status_code == 404  # bob reads, within his own window


def test_a_finished_result_is_read_from_the_service_once_however_often_it_is_asked_for(private_host, simulator_process):
    """Item 3: every GET re-read every file from Content Understanding and merged it in memory."""
    host = private_host()
    files = [f"https://files.example.com/doc-{i}.pdf?sim_duration=0.2&sim_result_kb=64" for i in range(3)]
    started = post(host, files)
    url = f"{host.ready_url}{started.json()['resultsEndpoint']}"
    first = final_answer(url)
    assert first.status_code == 200
    calls = service_calls(simulator_process)
    with ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(lambda _: requests.get(url, timeout=30), range(20)))
    assert {a.status_code for a in answers} == {200}
    assert {a.content for a in answers} == {first.content}
    assert service_calls(simulator_process) == calls  # 20 GETs, no service call
    assert len(first.json()["result"]["contents"]) == 3
    restarted = private_host()  # another process (instance) on the same state: the stored copy serves it
    again = requests.get(url.replace(host.ready_url, restarted.ready_url), timeout=30)
    assert again.status_code == 200 and again.content == first.content
    assert service_calls(simulator_process) == calls


def test_a_result_over_the_cap_is_a_clear_error_and_is_not_read_again(private_host, simulator_process):
    host = private_host(MAX_RESULT_BYTES="65536")
    files = [f"https://files.example.com/big-{i}.pdf?sim_duration=0.2&sim_result_kb=48" for i in range(2)]
    url = f"{host.ready_url}{post(host, files).json()['resultsEndpoint']}"
    answer = final_answer(url)
    assert answer.status_code == 500
    body = answer.json()
    assert (body["code"], body["status"]) == ("ResultTooLarge", "failed")
    assert "MAX_RESULT_BYTES" in body["message"]
    calls = service_calls(simulator_process)
    assert requests.get(url, timeout=10).json()["code"] == "ResultTooLarge"
    assert service_calls(simulator_process) == calls


def test_a_body_over_the_apps_limit_gets_the_json_413(private_host):
    """Item 8: the host had the app's limit, so its empty 413 answered first and the JSON 413 was unreachable."""
    host = private_host(MAX_REQUEST_BYTES="4096", FUNCTIONS_REQUEST_BODY_SIZE_LIMIT="8192")
    padding = "x" * 6000
    answer = post(host, ["https://files.example.com/a.pdf"], case_padding=padding)
    assert answer.status_code == 413
    assert answer.json()["code"] == "RequestTooLarge"
    far_too_large = post(host, ["https://files.example.com/a.pdf"], case_padding="x" * 20_000)
    assert far_too_large.status_code == 413  # the host's own refusal, before the body is read
