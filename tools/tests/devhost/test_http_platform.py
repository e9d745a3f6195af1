"""What the platform does around the functions, over real HTTP: the request body limit and CORS."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from host_process import HostProcess, clean_env, raw_http

SAMPLE_APP = Path(__file__).parent / "sample_app"
LIMIT = 65536  # FUNCTIONS_REQUEST_BODY_SIZE_LIMIT in the first host's local.settings.json
FROM_HOST_CORS, FROM_FLAG, FROM_SETTING = "http://host-cors.test", "http://flag.test:8080", "http://setting.test"
STRANGER = "http://stranger.test"


def make_app(root: Path, name: str, values: dict[str, str], host: dict | None = None) -> Path:
    target = root / name
    shutil.copytree(SAMPLE_APP, target, ignore=shutil.ignore_patterns("__pycache__", ".devhost"))
    values = {"SAMPLE_HUB": "PlatformHub", "TICK_SCHEDULE": "0 0 0 1 1 *", **values}
    (target / "local.settings.json").write_text(json.dumps({"Values": values, "Host": host or {}}))
    return target


def start_host(app_dir: Path, *flags: str, **env: str) -> HostProcess:
    args = ["--port", "0", "--app-dir", str(app_dir), "--state-dir", str(app_dir / "state"), *flags]
    return HostProcess(args, clean_env(**env))


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostProcess]:
    """Origins from all three places: Host.CORS, --cors and the CORS_ALLOWED_ORIGINS setting (from the file)."""
    app_dir = make_app(
        tmp_path_factory.mktemp("platform"),
        "app",
        {"FUNCTIONS_REQUEST_BODY_SIZE_LIMIT": str(LIMIT), "CORS_ALLOWED_ORIGINS": f"{FROM_SETTING}, "},
        {"CORS": FROM_HOST_CORS},
    )
    with start_host(app_dir, "--cors", FROM_FLAG) as process:
        yield process


@pytest.fixture(scope="module")
def api(host: HostProcess) -> str:
    return f"{host.base_url}/api"


def uploads(api: str) -> list[dict]:
    return requests.get(f"{api}/uploads", timeout=10).json()


def cors_headers(response: requests.Response) -> dict[str, str]:
    return {k.lower(): v for k, v in response.headers.items() if k.lower().startswith("access-control-") or k == "Vary"}


# ------------------------------------------------------------------------------------------ body size limit


def test_body_up_to_the_limit_reaches_the_function(api: str):
    response = requests.post(f"{api}/upload", data=b"x" * LIMIT, timeout=10)
    assert response.status_code == 201
    assert response.json() == {"method": "POST", "size": LIMIT}


def test_declared_length_over_the_limit_is_refused_before_the_body_is_read(host: HostProcess, api: str):
    before = uploads(api)
    # Only the headers are sent: the answer can only come if the host decides on Content-Length alone.
    status, headers = raw_http(host.base_url, f"POST /api/upload HTTP/1.1\nHost: devhost\nContent-Length: {LIMIT + 1}")
    assert status == 413
    assert headers["connection"] == "close"
    assert uploads(api) == before  # the function never ran


def test_expect_continue_is_not_granted_to_a_body_over_the_limit(host: HostProcess):
    head = f"POST /api/upload HTTP/1.1\nHost: devhost\nExpect: 100-continue\nContent-Length: {10**12}"
    assert raw_http(host.base_url, head)[0] == 413  # not "100 Continue"


def test_chunked_body_is_refused_once_it_grows_past_the_limit(host: HostProcess, api: str):
    before = uploads(api)
    chunk = b"x" * 8192
    parts = [b"%x\r\n%s\r\n" % (len(chunk), chunk)] * (LIMIT // len(chunk) + 1) + [b"0\r\n\r\n"]
    head = "POST /api/upload HTTP/1.1\nHost: devhost\nTransfer-Encoding: chunked"
    assert raw_http(host.base_url, head, parts)[0] == 413
    assert uploads(api) == before
    small = requests.post(f"{api}/upload", data=iter([b"a" * 100, b"b" * 100]), timeout=10)  # chunked, small
    assert small.status_code == 201 and small.json()["size"] == 200


# --------------------------------------------------------------------------------------------------- CORS


@pytest.mark.parametrize("origin", [FROM_HOST_CORS, FROM_FLAG, FROM_SETTING])
def test_preflight_from_an_allowed_origin(api: str, origin: str):
    response = requests.options(
        f"{api}/upload",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "content-type, x-custom",
        },
        timeout=10,
    )
    assert response.status_code == 204
    assert response.content == b""
    assert cors_headers(response) == {
        "access-control-allow-origin": origin,
        "access-control-allow-methods": "PUT",
        "access-control-allow-headers": "content-type,x-custom",
        "vary": "Origin",  # three origins configured: the answer depends on which one asks
    }


def test_preflight_from_another_origin_gets_no_cors_headers_and_never_reaches_a_function(api: str):
    before = uploads(api)
    for origin in (STRANGER, FROM_SETTING):
        response = requests.options(
            f"{api}/upload", headers={"Origin": origin, "Access-Control-Request-Method": "POST"}, timeout=10
        )
        assert response.status_code == 204
        if origin == STRANGER:
            assert cors_headers(response) == {}
    assert uploads(api) == before  # `upload` accepts OPTIONS, yet no preflight reached it
    # An OPTIONS request that is not a preflight (no Access-Control-Request-Method) is an ordinary request.
    plain = requests.options(f"{api}/upload", headers={"Origin": FROM_FLAG}, timeout=10)
    assert plain.status_code == 201 and plain.json()["method"] == "OPTIONS"
    assert plain.headers["Access-Control-Allow-Origin"] == FROM_FLAG


def test_actual_requests_get_the_origin_back_only_when_allowed(api: str):
    allowed = requests.get(f"{api}/whoami", headers={"Origin": FROM_SETTING}, timeout=10)
    assert allowed.status_code == 200
    assert cors_headers(allowed) == {"access-control-allow-origin": FROM_SETTING, "vary": "Origin"}
    # No Access-Control-Expose-Headers: the platform exposes none (Location / Retry-After stay unreadable).
    stranger = requests.get(f"{api}/whoami", headers={"Origin": STRANGER}, timeout=10)
    assert stranger.status_code == 200 and cors_headers(stranger) == {}
    no_origin = requests.get(f"{api}/whoami", timeout=10)
    assert cors_headers(no_origin) == {}


def test_errors_from_an_allowed_origin_carry_the_cors_headers(host: HostProcess, api: str):
    assert (
        requests.get(f"{api}/nothing-here", headers={"Origin": FROM_FLAG}, timeout=10).headers[
            "Access-Control-Allow-Origin"
        ]
        == FROM_FLAG
    )
    status, headers = raw_http(
        host.base_url, f"POST /api/upload HTTP/1.1\nHost: devhost\nOrigin: {FROM_FLAG}\nContent-Length: {10**9}"
    )
    assert status == 413 and headers["access-control-allow-origin"] == FROM_FLAG  # the browser can read the 413


def test_startup_lists_the_allowed_origins(host: HostProcess):
    assert f"CORS allowed origins: {FROM_FLAG}, {FROM_HOST_CORS}, {FROM_SETTING}" in host.output


def test_credentials_single_origin_and_the_environment_winning_over_the_file(tmp_path: Path):
    app_dir = make_app(
        tmp_path, "app", {"CORS_ALLOWED_ORIGINS": FROM_SETTING}, {"CORS": FROM_HOST_CORS, "CORSCredentials": True}
    )
    with start_host(app_dir, CORS_ALLOWED_ORIGINS="") as process:  # the environment's (empty) value wins
        api = f"{process.base_url}/api"
        preflight = requests.options(
            f"{api}/upload",
            headers={"Origin": FROM_HOST_CORS, "Access-Control-Request-Method": "POST"},
            timeout=10,
        )
        # One origin only: ASP.NET Core adds no Vary, the answer cannot differ between origins.
        assert cors_headers(preflight) == {
            "access-control-allow-origin": FROM_HOST_CORS,
            "access-control-allow-credentials": "true",
            "access-control-allow-methods": "POST",
        }
        actual = requests.get(f"{api}/whoami", headers={"Origin": FROM_HOST_CORS}, timeout=10)
        assert cors_headers(actual) == {
            "access-control-allow-origin": FROM_HOST_CORS,
            "access-control-allow-credentials": "true",
        }
        from_file = requests.get(f"{api}/whoami", headers={"Origin": FROM_SETTING}, timeout=10)
        assert cors_headers(from_file) == {}


def test_wildcard_allows_any_origin(tmp_path: Path):
    with start_host(make_app(tmp_path, "app", {}), "--cors", "*") as process:
        api = f"{process.base_url}/api"
        preflight = requests.options(
            f"{api}/echo", headers={"Origin": STRANGER, "Access-Control-Request-Method": "POST"}, timeout=10
        )
        assert cors_headers(preflight) == {
            "access-control-allow-origin": "*",
            "access-control-allow-methods": "POST",
        }
        actual = requests.get(f"{api}/whoami", headers={"Origin": STRANGER}, timeout=10)
        assert cors_headers(actual) == {"access-control-allow-origin": "*"}


def test_wildcard_with_credentials_refuses_to_start_like_func_start(tmp_path: Path):
    app_dir = make_app(tmp_path, "app", {"CORS_ALLOWED_ORIGINS": "*"})
    process = start_host(app_dir, "--cors-credentials")
    try:
        assert process.wait_exit() == 1
        assert "does not allow specifying a wildcard (any) origin and credentials" in process.output
    finally:
        process.stop()


def test_without_origins_there_is_no_cors_handling(tmp_path: Path):
    with start_host(make_app(tmp_path, "app", {})) as process:
        bare = f"{process.base_url}/api"
        preflight = requests.options(
            f"{bare}/echo", headers={"Origin": STRANGER, "Access-Control-Request-Method": "POST"}, timeout=10
        )
        assert preflight.status_code == 404  # routed like any request: `echo` takes no OPTIONS
        assert "CORS allowed origins" not in process.output
