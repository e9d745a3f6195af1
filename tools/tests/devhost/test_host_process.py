"""The sample app served by a real ``python -m tools.devhost`` process, exercised over HTTP."""

from __future__ import annotations

import json
import shutil
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from host_process import HostProcess, clean_env, raw_http

from tests.support import wait_until

SAMPLE_APP = Path(__file__).parent / "sample_app"


@pytest.fixture(scope="module")
def app_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("sample") / "app"
    shutil.copytree(SAMPLE_APP, target, ignore=shutil.ignore_patterns("__pycache__", ".devhost"))
    settings = {
        "IsEncrypted": False,
        "Values": {
            "FUNCTIONS_WORKER_RUNTIME": "python",
            "SAMPLE_HUB": "SampleHub",
            "TICK_SCHEDULE": "*/1 * * * * *",
            "SAMPLE_FROM_FILE": "file-value",
            "SAMPLE_OVERRIDDEN": "file-value",
        },
    }
    (target / "local.settings.json").write_text(json.dumps(settings))
    return target


@pytest.fixture(scope="module")
def host(app_dir: Path) -> Iterator[HostProcess]:
    process = HostProcess(
        ["--port", "0", "--app-dir", str(app_dir), "--state-dir", str(app_dir.parent / "state")],
        clean_env(SAMPLE_OVERRIDDEN="env-value"),
    )
    try:
        process.wait_ready()
        yield process
    finally:
        process.stop()


@pytest.fixture(scope="module")
def api(host: HostProcess) -> str:
    return f"{host.base_url}/api"


def test_get_with_route_param_query_and_header(api: str):
    response = requests.get(f"{api}/hello/W%C3%B6rld", params=[("q", "1"), ("q", "2")], headers={"X-Sample": "hi"})
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert body["name"] == "Wörld"
    assert body["query"] == {"q": "1,2"}
    assert body["header"] == "hi"
    assert body["method"] == "GET"
    assert body["url"] == f"{api}/hello/W%C3%B6rld?q=1&q=2"


def test_post_json_body_in_and_out_with_headers(api: str):
    response = requests.post(f"{api}/echo", json={"a": [1, 2]})
    assert response.status_code == 201
    assert response.headers["X-Echo"] == "yes"
    assert response.json() == {"received": {"a": [1, 2]}, "method": "POST"}


def test_complex_segment_route(api: str):
    response = requests.post(f"{api}/items/prebuilt-invoice.v2:analyze")
    assert response.status_code == 200
    assert response.json() == {"itemId": "prebuilt-invoice.v2"}


def test_literals_are_case_insensitive_and_constraints_apply(api: str, host: HostProcess):
    assert requests.get(f"{host.base_url}/API/Numbers/42").json() == {"id": "42"}
    assert requests.get(f"{api}/numbers/forty-two").status_code == 404


def test_string_return_becomes_text_response(api: str):
    response = requests.get(f"{api}/files/a/b%20c.txt")
    assert response.status_code == 200
    assert response.text == "a/b c.txt"
    assert response.headers["Content-Type"].startswith("text/plain")


def test_unknown_path_is_404_with_empty_body(api: str, host: HostProcess):
    for url in (f"{api}/nothing-here", f"{host.base_url}/hello/x"):  # the second lacks the route prefix
        response = requests.get(url)
        assert response.status_code == 404
        assert response.content == b""


def test_method_not_in_methods_is_404_like_the_functions_host(api: str):
    response = requests.delete(f"{api}/echo")
    assert response.status_code == 404
    assert response.content == b""


def test_unhandled_exception_is_500_with_empty_body_and_logged(api: str, host: HostProcess):
    response = requests.get(f"{api}/boom")
    assert response.status_code == 500
    assert response.content == b""
    wait_until(lambda: "RuntimeError: sample failure" in host.output)
    assert "Executed 'Functions.boom' (Failed" in host.output


def test_body_over_the_default_limit_is_refused_on_its_declared_length(host: HostProcess):
    # 100 MiB (104857600 bytes) is the host's default FUNCTIONS_REQUEST_BODY_SIZE_LIMIT; only headers are sent.
    assert raw_http(host.base_url, "POST /api/echo HTTP/1.1\nHost: devhost\nContent-Length: 104857601")[0] == 413


def test_refused_body_streamed_anyway_does_not_grow_the_host(host: HostProcess):
    head = f"POST /api/echo HTTP/1.1\nHost: devhost\nContent-Length: {10**12}"
    assert raw_http(host.base_url, head)[0] == 413  # first refusal: whatever it allocates once is allocated
    before = host.rss_bytes()
    megabyte = b"\0" * 2**20
    assert raw_http(host.base_url, head, [megabyte] * 64)[0] == 413  # 64 MiB sent after the headers
    assert host.rss_bytes() - before < 16 * 2**20


def test_context_parameter_is_passed(api: str):
    body = requests.get(f"{api}/whoami").json()
    assert body["function_name"] == "whoami"
    assert len(body["invocation_id"]) == 36


def test_local_settings_are_applied_but_the_environment_wins(api: str):
    assert requests.get(f"{api}/settings/SAMPLE_FROM_FILE").json() == {"value": "file-value"}
    assert requests.get(f"{api}/settings/SAMPLE_OVERRIDDEN").json() == {"value": "env-value"}


def test_timer_runs_on_startup_and_then_on_schedule(api: str):
    def count() -> int:
        return requests.get(f"{api}/ticks").json()["count"]

    wait_until(lambda: count() >= 3, timeout=10)


def test_console_lists_functions_then_logs_invocations(host: HostProcess, api: str):
    requests.get(f"{api}/whoami")
    output = host.output
    assert "Functions:" in output
    assert f"hello: [GET] {api}/hello/{{name}}" in output
    assert f"echo: [POST,PUT] {api}/echo" in output
    assert "greet_cities: orchestrationTrigger" in output
    assert "say_hello: activityTrigger" in output
    assert "tick: timerTrigger" in output
    assert "'queueTrigger' is not supported" in output
    assert output.index("Functions:") < output.index("Host started. Listening on")
    wait_until(lambda: "Executed 'Functions.whoami' (Succeeded" in host.output)
    assert "Executing 'Functions.whoami' (Reason=" in host.output
    requests.get(f"{api}/hello/logger")
    wait_until(lambda: "INFO sample_app: hello called for logger" in host.output)


def host_key(app_dir: Path) -> dict[str, str]:
    return {"x-functions-key": (app_dir.parent / "state" / "host-key").read_text()}


def test_admin_endpoint_invokes_a_timer_function(host: HostProcess, api: str, app_dir: Path):
    before = requests.get(f"{api}/ticks").json()["count"]
    key = host_key(app_dir)
    assert requests.post(f"{host.base_url}/admin/functions/tick", json={"input": ""}, headers=key).status_code == 202
    assert requests.post(f"{host.base_url}/admin/functions/hello", json={}, headers=key).status_code == 404
    wait_until(lambda: requests.get(f"{api}/ticks").json()["count"] > before)


def test_durable_starter_orchestrator_and_activities_complete(api: str, host: HostProcess):
    response = requests.post(f"{api}/orchestrators/greet_cities", json=["Tokyo", "Seattle"])
    assert response.status_code == 202
    links = response.json()
    instance_id = links["id"]
    assert response.headers["Location"] == links["statusQueryGetUri"]
    assert links["statusQueryGetUri"].startswith(host.base_url)

    def completed():
        status = requests.get(f"{api}/status/{instance_id}").json()
        return status if status["runtimeStatus"] in ("Completed", "Failed") else None

    status = wait_until(completed, timeout=20)
    assert status == {"runtimeStatus": "Completed", "output": ["HELLO TOKYO", "HELLO SEATTLE"]}
    built_in = requests.get(links["statusQueryGetUri"])
    assert built_in.status_code == 200
    assert built_in.json()["runtimeStatus"] == "Completed"
    wait_until(lambda: "Executed 'Functions.say_hello' (Succeeded" in host.output)


def test_unknown_instance_status_is_not_found(api: str):
    assert requests.get(f"{api}/status/does-not-exist").status_code == 404


def test_sigterm_shuts_down_cleanly(app_dir: Path):
    process = HostProcess(
        ["--port", "0", "--app-dir", str(app_dir), "--state-dir", str(app_dir.parent / "state2")],
        clean_env(SAMPLE_HUB="OtherHub", TICK_SCHEDULE="0 0 0 1 1 *"),
    )
    try:
        process.wait_ready()
    finally:
        code = process.stop(signal.SIGTERM)
    assert code == 0
    assert "Traceback" not in process.output


def test_sigint_shuts_down_without_traceback(app_dir: Path):
    process = HostProcess(
        ["--port", "0", "--app-dir", str(app_dir), "--state-dir", str(app_dir.parent / "state3")],
        clean_env(SAMPLE_HUB="ThirdHub", TICK_SCHEDULE="0 0 0 1 1 *"),
    )
    try:
        base = process.wait_ready()
        assert requests.get(f"{base}/api/whoami").status_code == 200
    finally:
        code = process.stop(signal.SIGINT)
    assert code == 0
    assert "Traceback" not in process.output
    assert "KeyboardInterrupt" not in process.output


def test_management_routes_need_the_host_key_like_the_real_hosts(host: HostProcess, app_dir: Path):
    """Issue 16 item 11: /runtime/webhooks/durabletask/instances?showInput=true listed every scope's inputs
    to anyone who could reach the port."""
    listing = f"{host.base_url}/runtime/webhooks/durabletask/instances?showInput=true"
    assert requests.get(listing).status_code == 401
    assert requests.get(listing, headers={"x-functions-key": "guess"}).status_code == 401
    assert requests.get(f"{listing}&code=guess").status_code == 401
    assert requests.get(f"{host.base_url}/admin/host/status").status_code == 401
    key = host_key(app_dir)
    assert requests.get(listing, headers=key).status_code == 200
    assert requests.get(f"{listing}&code={key['x-functions-key']}").status_code == 200
    # The Durable client's RPC endpoint is not on the public port (the real host serves it locally only).
    assert requests.get(f"{host.base_url}/durabletask/instances?showInput=true").status_code == 404
    assert key["x-functions-key"] not in host.output  # the key is in the state folder, never printed


def test_no_header_value_is_logged_when_a_request_is_refused(host: HostProcess):
    """Issue 16 item 11: an oversized Authorization header was logged with its first ~90 characters."""
    secret = "Bearer SECRET-TOKEN-" + "x" * 9000
    status, _ = raw_http(host.base_url, f"GET /api/echo HTTP/1.1\nHost: x\nAuthorization: {secret}")
    assert status in (400, 431)
    wait_until(lambda: "Refused a malformed request" in host.output)
    assert "SECRET-TOKEN" not in host.output
