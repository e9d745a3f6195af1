"""Poll side of the simulator: status progression, result shapes, scenario controls, DELETE."""

from __future__ import annotations

from tests.support import start_simulator_with_aliased_signed_locations, wait_until
from tools.tests.simulator.helpers import API


def _poll(http, response):
    return http.get(response.headers["Operation-Location"])


def test_status_starts_not_started(http, submit):
    op = submit("https://example.com/a.pdf?sim_duration=1000&sim_outcome=stuck")
    assert _poll(http, op).json()["status"] == "NotStarted"


def test_stuck_operation_stays_running(http, submit):
    op = submit("https://example.com/a.pdf?sim_duration=0&sim_outcome=stuck")
    assert [_poll(http, op).json()["status"] for _ in range(3)] == ["Running"] * 3


def test_status_progresses_in_order_to_succeeded(http, submit):
    op = submit("https://example.com/a.pdf?sim_duration=0.4")
    seen: list[str] = []

    def terminal() -> bool:
        seen.append(_poll(http, op).json()["status"])
        return seen[-1] == "Succeeded"

    wait_until(terminal, timeout=5)
    order = ["NotStarted", "Running", "Succeeded"]
    assert [order.index(s) for s in seen] == sorted(order.index(s) for s in seen)
    assert "Running" in seen


def test_succeeded_body_has_ga_shape_with_typed_fields(http, submit):
    op = submit("https://example.com/invoice.pdf?sim_duration=0", range="1-2")
    body = _poll(http, op).json()

    assert body["id"] == op.json()["id"]
    assert body["status"] == "Succeeded"
    result = body["result"]
    assert result["analyzerId"] == "prebuilt-invoice"
    assert result["apiVersion"] == "2025-11-01"
    assert result["createdAt"].endswith("Z")
    assert result["warnings"] == []
    (content,) = result["contents"]
    assert content["path"] == "input1"
    assert content["kind"] == "document"
    assert content["mimeType"] == "application/pdf"
    assert (content["startPageNumber"], content["endPageNumber"]) == (1, 2)
    assert [p["pageNumber"] for p in content["pages"]] == [1, 2]
    assert isinstance(content["tables"], list)
    invoice_id = content["fields"]["InvoiceId"]
    assert invoice_id["type"] == "string"
    assert 0 <= invoice_id["confidence"] <= 1
    span = invoice_id["spans"][0]
    assert content["markdown"][span["offset"] : span["offset"] + span["length"]] == invoice_id["valueString"]
    assert invoice_id["source"].startswith("D(")
    assert content["fields"]["InvoiceDate"] == {**content["fields"]["InvoiceDate"], "type": "date"}
    assert "valueDate" in content["fields"]["InvoiceDate"]
    total = content["fields"]["TotalAmount"]
    assert total["type"] == "object"
    assert total["valueObject"]["Amount"]["valueNumber"] > 0
    assert body["usage"]["documentPagesStandard"] == 2
    assert body["usage"]["documentPagesMinimal"] == body["usage"]["documentPagesBasic"] == 0
    assert body["usage"]["contextualizationTokens"] > 0
    assert body["usage"]["tokens"] == {"gpt-4.1-input": 3000, "gpt-4.1-output": 240}
    assert "documentStandardPages" not in body["usage"]
    assert "error" not in body


def test_result_keys_follow_the_ga_spec(http, submit):
    body = _poll(http, submit("https://example.com/invoice.pdf?sim_duration=0")).json()
    assert set(body) == {"id", "status", "result", "usage"}
    result = body["result"]
    assert set(result) == {"analyzerId", "apiVersion", "createdAt", "stringEncoding", "warnings", "contents"}
    assert result["stringEncoding"] == "codePoint"
    (content,) = result["contents"]
    assert {"kind", "mimeType", "markdown", "startPageNumber", "endPageNumber", "pages", "fields"} <= set(content)
    assert set(content) <= {
        "kind", "mimeType", "analyzerId", "category", "path", "markdown", "fields",  # MediaContent
        "startPageNumber", "endPageNumber", "unit", "pages", "paragraphs", "sections", "tables", "figures",
        "annotations", "hyperlinks", "segments",  # DocumentContent
    }  # fmt: skip
    for cell in content["tables"][0]["cells"]:
        assert {"rowIndex", "columnIndex", "content"} <= set(cell)


def test_read_bills_basic_pages_without_tokens_and_text_bills_minimal(sim, http):
    url = f"{sim.base_url}/contentunderstanding/analyzers/prebuilt-read:analyze?{API}"
    pdf = http.post(url, json={"inputs": [{"url": "https://example.com/a.pdf?sim_duration=0", "range": "1-3"}]})
    text = http.post(url, json={"inputs": [{"url": "https://example.com/notes.txt?sim_duration=0"}]})
    assert _poll(http, pdf).json()["usage"] == {
        "documentPagesMinimal": 0,
        "documentPagesBasic": 3,
        "documentPagesStandard": 0,
    }
    text_body = _poll(http, text).json()
    assert text_body["usage"]["documentPagesMinimal"] == 1
    assert text_body["result"]["contents"][0]["mimeType"] == "text/plain"


def test_image_input_uses_pixel_units(http, submit):
    content = _poll(http, submit("https://example.com/b.png?sim_duration=0")).json()["result"]["contents"][0]
    assert (content["kind"], content["mimeType"], content["unit"]) == ("document", "image/png", "pixel")


def test_string_encoding_is_echoed_in_the_result(sim, http):
    response = http.post(
        f"{sim.base_url}/contentunderstanding/analyzers/prebuilt-read:analyze?{API}&stringEncoding=utf16",
        json={"inputs": [{"url": "https://example.com/a.pdf?sim_duration=0"}]},
    )
    assert _poll(http, response).json()["result"]["stringEncoding"] == "utf16"


def test_failed_is_http_200_with_error_and_no_result(http, submit):
    op = submit("https://example.com/a.pdf?sim_duration=0&sim_outcome=failed")
    response = _poll(http, op)
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "Failed"
    assert body["error"]["code"] and body["error"]["message"]
    assert "result" not in body


def test_canceled_is_terminal_200(http, submit):
    op = submit("https://example.com/a.pdf?sim_duration=0&sim_outcome=canceled")
    response = _poll(http, op)
    assert (response.status_code, response.json()["status"]) == (200, "Canceled")


def test_unknown_operation_is_404_with_error_body(sim, http):
    response = http.get(f"{sim.base_url}/contentunderstanding/analyzerResults/does-not-exist?{API}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NotFound"
    assert response.headers["x-ms-error-code"] == "NotFound"


def test_delete_result_then_get_is_404(sim, http, submit):
    op = submit("https://example.com/a.pdf?sim_duration=0")
    location = op.headers["Operation-Location"]

    deleted = http.delete(location)

    assert deleted.status_code == 204
    assert deleted.content == b""
    assert http.get(location).status_code == 404
    assert http.delete(location).status_code == 404


def test_sim_throttle_answers_429_with_retry_after_then_200(http, submit):
    op = submit("https://example.com/a.pdf?sim_duration=0&sim_throttle=2&sim_retry_after=4")
    answers = [_poll(http, op) for _ in range(3)]
    assert [a.status_code for a in answers] == [429, 429, 200]
    assert answers[0].headers["Retry-After"] == "4"
    assert answers[0].json()["error"]["code"] == "TooManyRequests"


def test_sim_retry_after_zero_sends_no_retry_after_header(http, submit):
    op = submit("https://example.com/a.pdf?sim_throttle=1&sim_retry_after=0")
    answer = _poll(http, op)
    assert answer.status_code == 429
    assert "Retry-After" not in answer.headers


def test_sim_fail_answers_503_then_200(http, submit):
    op = submit("https://example.com/a.pdf?sim_duration=0&sim_fail=1")
    assert [_poll(http, op).status_code for _ in range(2)] == [503, 200]


def test_sim_result_kb_pads_markdown(http, submit):
    op = submit("https://example.com/a.pdf?sim_duration=0&sim_result_kb=256")
    markdown = _poll(http, op).json()["result"]["contents"][0]["markdown"]
    assert len(markdown) >= 256 * 1024


def test_public_base_url_and_signed_location_must_be_followed_as_returned(http):
    with start_simulator_with_aliased_signed_locations() as sim:
        response = http.post(
            f"{sim.base_url}/contentunderstanding/analyzers/prebuilt-read:analyze?{API}",
            json={"inputs": [{"url": "https://example.com/a.pdf"}]},
        )
        location = response.headers["Operation-Location"]
        assert location.startswith(f"http://localhost:{sim.port}/")
        assert "&sim_sig=" in location
        assert http.get(location).status_code == 200
        rebuilt = f"{sim.base_url}/contentunderstanding/analyzerResults/{response.json()['id']}?{API}"
        assert http.get(rebuilt).status_code == 404
