"""A real browser in front of the app: headless Chromium runs frontend.html, served from an origin of its own.

The page does what the web frontend does, with fetch(): POST :analyze as JSON (a non-simple request, so the
browser sends a CORS preflight first), poll the results every 300 ms until the answer is not 202, then run the
200 body through the frontend's normaliser, or show an error answer's `message`. It writes the outcome as JSON
into <pre id="outcome">. The host is a private devhost with CORS_ALLOWED_ORIGINS set to the page's origin; its
CORS emulation answers the preflight as the platform does.

Needs Debian's chromium and chromium-driver (/usr/bin/chromium, /usr/bin/chromedriver, the same version;
`make browser-deps` installs them, and CI does): the tests skip where they are missing. CHROMIUM and
CHROMEDRIVER name other binaries. Selenium Manager never runs: the driver's path is given and SE_OFFLINE is set.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import pytest
import requests
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.e2e.helpers import ANALYZER, DOC, final_answer, instance_count

pytestmark = pytest.mark.e2e

PAGES = Path(__file__).resolve().parent
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")
# Flags that work on a root CI machine with no network but loopback: no sandbox (root), no GPU, and none of
# Chromium's own background connections (they are refused here, and slow the start down).
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-proxy-server",
]
PAGE_DEADLINE_SECONDS = 90  # the page gives up on its own after 100 polls (30 s and more); this is the backstop


# ------------------------------------------------------------------------------------------------ fixtures


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args) -> None:
        pass


@dataclass
class StaticSite:
    """frontend.html served by a tiny static server on 127.0.0.1: its port makes it an origin of its own."""

    server: http.server.ThreadingHTTPServer

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def page(self, api: str, file: str) -> str:
        return f"{self.origin}/frontend.html?" + urlencode({"api": api, "file": file, "analyzer": ANALYZER})


def _serve_pages() -> StaticSite:
    handler = functools.partial(_QuietHandler, directory=str(PAGES))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="frontend-pages", daemon=True).start()
    return StaticSite(server)


@dataclass
class Sites:
    allowed: StaticSite  # the origin the hosts list in CORS_ALLOWED_ORIGINS
    stranger: StaticSite  # the same page from an origin no host allows


@pytest.fixture(scope="module")
def sites() -> Iterator[Sites]:
    both = Sites(allowed=_serve_pages(), stranger=_serve_pages())
    yield both
    for site in (both.allowed, both.stranger):
        site.server.shutdown()
        site.server.server_close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory) -> Iterator:
    if os.environ.get("E2E_BASE_URL"):
        pytest.skip("needs a host the test starts itself with CORS_ALLOWED_ORIGINS (not available with E2E_BASE_URL)")
    missing = [path for path in (CHROMIUM, CHROMEDRIVER) if not (os.path.isfile(path) and os.access(path, os.X_OK))]
    if missing:
        pytest.skip(
            f"no browser: {' and '.join(missing)} not installed (Debian packages chromium and chromium-driver; "
            "`make browser-deps` installs them)"
        )
    workdir = tmp_path_factory.mktemp("chromium")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in [*CHROMIUM_FLAGS, f"--user-data-dir={workdir / 'profile'}"]:  # a new, empty profile
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})  # the console, where CORS errors show
    # With the driver's path given Selenium Manager is skipped; SE_OFFLINE stops it downloading anything anyway.
    with pytest.MonkeyPatch.context() as env:
        env.setenv("SE_OFFLINE", "true")
        service = Service(CHROMEDRIVER, log_output=str(workdir / "chromedriver.log"))
        driver = webdriver.Chrome(service=service, options=options)
        yield driver
        driver.quit()


def run_page(browser, site: StaticSite, api: str, file: str) -> dict:
    """Open the page, wait until it has written its outcome, return the outcome."""
    browser.get_log("browser")  # drop console lines of earlier pages
    browser.get(site.page(api, file))

    def outcome(driver):
        element = driver.find_element(By.ID, "outcome")
        return element.get_attribute("data-done") == "true" and element.text

    text = WebDriverWait(browser, PAGE_DEADLINE_SECONDS, poll_frequency=0.1).until(
        outcome, message=f"the page wrote no outcome within {PAGE_DEADLINE_SECONDS} s"
    )
    return json.loads(text)


def results_url(host, operation_id: str) -> str:
    return f"{host.ready_url}/pro-mode/content-analyzers/{ANALYZER}/results/{operation_id}"


def field_names(body: dict) -> list[str]:
    return sorted({name for content in body["result"]["contents"] for name in content.get("fields", {})})


# --------------------------------------------------------------------------------------------------- tests


def test_page_on_an_allowed_origin_polls_until_200_and_reads_the_fields(private_host, browser, sites):
    host = private_host(CORS_ALLOWED_ORIGINS=sites.allowed.origin)

    outcome = run_page(browser, sites.allowed, host.ready_url, f"{DOC}?sim_duration=1")

    assert outcome["ok"] is True, outcome
    assert outcome["status"] == 200
    # POST answered 202, every poll before the last answered 202 ("still running"), the last one 200.
    assert outcome["statuses"][0] == 202 and outcome["statuses"][-1] == 200, outcome
    assert set(outcome["statuses"][1:-1]) <= {202}, outcome
    # What the browser read is what a non-browser client reads for the same operation.
    same = requests.get(results_url(host, outcome["operationId"]), timeout=10)
    assert same.status_code == 200
    assert outcome["resultStatus"] == same.json()["status"] == "Succeeded"
    assert outcome["fieldNames"] == field_names(same.json())
    assert outcome["fieldNames"], "the result has no fields to read"


def test_page_shows_the_message_of_a_failed_analysis(private_host, browser, sites):
    host = private_host(CORS_ALLOWED_ORIGINS=sites.allowed.origin)

    outcome = run_page(browser, sites.allowed, host.ready_url, f"{DOC}?sim_outcome=failed&sim_duration=1")

    assert outcome["ok"] is False, outcome
    assert outcome["stage"] == "poll" and outcome["status"] == 500, outcome
    body = requests.get(results_url(host, outcome["operationId"]), timeout=10).json()
    assert isinstance(body["error"], str) and isinstance(body["message"], str)
    assert outcome["message"] == body["message"]  # the sentence, not "[object Object]"
    assert "[object Object]" not in outcome["message"] and outcome["message"].strip()


def test_page_on_another_origin_is_refused_by_cors_but_other_clients_are_answered(private_host, browser, sites):
    host = private_host(CORS_ALLOWED_ORIGINS=sites.allowed.origin)

    outcome = run_page(browser, sites.stranger, host.ready_url, f"{DOC}?sim_duration=1")

    # fetch() rejects (a TypeError, no status): the preflight answer carried no Access-Control-Allow-Origin.
    assert outcome["ok"] is False and outcome["stage"] == "post", outcome
    assert outcome["status"] is None and outcome["name"] == "TypeError", outcome
    console = [entry["message"] for entry in browser.get_log("browser")]
    assert any("CORS policy" in line for line in console), console
    # Nothing was started: the POST itself was never sent. (A simple request would have been sent, the browser
    # only hiding its answer; this one waited for the preflight, which the host answered without CORS headers.)
    assert instance_count(host) == 0

    # The same request from a client that does not enforce CORS is served, with no CORS headers.
    body = {"analyzerId": ANALYZER, "inputFiles": [f"{DOC}?sim_duration=1"], "analysisMode": "pro"}
    headers = {"Origin": sites.stranger.origin}
    submitted = requests.post(
        f"{host.ready_url}/pro-mode/content-analyzers/{ANALYZER}:analyze", json=body, headers=headers, timeout=10
    )
    assert submitted.status_code == 202, submitted.text
    assert "access-control-allow-origin" not in {name.lower() for name in submitted.headers}
    done = final_answer(results_url(host, submitted.json()["operationId"]), headers=headers)
    assert done.status_code == 200 and field_names(done.json())
