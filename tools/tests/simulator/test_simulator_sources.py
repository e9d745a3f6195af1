"""The simulator reads loopback inputs as the service reads every input, and never contacts any other host."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.support import wait_until
from tools.simulator.sources import is_loopback_url


class Files(BaseHTTPRequestHandler):
    requested: list[str] = []

    def do_GET(self):
        Files.requested.append(self.path)
        if self.path.startswith("/doc.pdf"):
            body = b"%PDF-1.7 a document"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        elif self.path.startswith("/empty.pdf"):
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()
        else:
            self.send_response(404)
            self.send_header("x-ms-error-code", "BlobNotFound")
            self.send_header("Content-Length", "0")
            self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def files() -> Iterator[str]:
    Files.requested = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Files)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def run_to_end(submit, http, url):
    answer = submit(url)
    assert answer.status_code == 202, answer.text
    location = answer.headers["Operation-Location"]
    return wait_until(
        lambda: (body := http.get(location).json())["status"] in ("Succeeded", "Failed") and body, timeout=10
    )


@pytest.mark.parametrize(
    ("url", "loopback"),
    [
        ("http://127.0.0.1:10000/devstoreaccount1/c/a.pdf", True),
        ("http://127.8.9.10/a.pdf", True),
        ("https://localhost:8443/a.pdf", True),
        ("http://LOCALHOST./a.pdf", True),
        ("http://[::1]:10000/a.pdf", True),
        ("https://example.com/a.pdf", False),
        ("https://account.blob.core.windows.net/c/a.pdf", False),
        ("http://169.254.169.254/metadata", False),
        ("http://10.0.0.1/a.pdf", False),
        ("http://127.0.0.1.nip.io/a.pdf", False),
        ("http://localhost.example.com/a.pdf", False),
        ("http://[::ffff:10.0.0.1]/a.pdf", False),
        ("ftp://127.0.0.1/a.pdf", False),
        ("http://127.0.0.1:99999/a.pdf", False),
    ],
)
def test_only_loopback_hosts_are_ever_fetched(url, loopback):
    assert is_loopback_url(url) is loopback


def test_a_readable_loopback_input_is_read_and_analysed(sim, submit, http, files):
    body = run_to_end(submit, http, f"{files}/doc.pdf?sv=1&sig=secret")
    assert body["status"] == "Succeeded"
    assert Files.requested == ["/doc.pdf?sv=1&sig=secret"]  # the URL exactly as sent, SAS included
    assert sim.stats()["source_fetches"] == 1


@pytest.mark.parametrize(
    ("path", "why"),
    [
        ("/missing.pdf?sig=secret", "the source answered HTTP 404 (BlobNotFound)"),
        ("/empty.pdf", "the source is empty"),
    ],
)
def test_an_unreadable_loopback_input_fails_as_the_service_fails_it(sim, submit, http, files, path, why):
    body = run_to_end(submit, http, f"{files}{path}")
    assert body["status"] == "Failed" and "result" not in body
    error = body["error"]
    assert (error["code"], error["innererror"]["code"]) == ("InvalidRequest", "ContentSourceNotAccessible")
    assert error["message"] == f"Content is not accessible: {why}."
    assert "secret" not in str(body) and files not in str(body)


def test_a_loopback_input_nobody_serves_fails(sim, submit, http, files):
    closed = files.rsplit(":", 1)[0] + ":9"
    body = run_to_end(submit, http, f"{closed}/a.pdf")
    assert body["error"]["innererror"]["code"] == "ContentSourceNotAccessible"
    assert "could not be reached" in body["error"]["message"]


def test_other_hosts_are_never_contacted(sim, submit, http, files):
    body = run_to_end(submit, http, "https://files.example.com/invoice.pdf?sim_duration=0.1")
    assert body["status"] == "Succeeded"
    assert sim.stats()["source_fetches"] == 0 and Files.requested == []
