"""Analyzer management and the /_sim control endpoints."""

from __future__ import annotations

import requests

from tests.support import wait_until
from tools.simulator import start_simulator
from tools.tests.simulator.helpers import API, KEY_HEADERS

SCHEMA = {
    "description": "custom",
    "baseAnalyzerId": "prebuilt-document",
    "fieldSchema": {"fields": {"PolicyNumber": {"type": "string"}, "Premium": {"type": "number"}}},
}


def test_custom_analyzer_lifecycle(sim, http):
    url = f"{sim.base_url}/contentunderstanding/analyzers/my.custom_analyzer-1?{API}"

    created = http.put(url, json=SCHEMA)
    assert created.status_code == 201
    assert created.json()["analyzerId"] == "my.custom_analyzer-1"
    assert created.json()["status"] == "ready"
    assert http.get(url).json()["fieldSchema"] == SCHEMA["fieldSchema"]
    assert http.put(url, json=SCHEMA).status_code == 409
    assert http.put(f"{url}&allowReplace=true", json=SCHEMA).status_code == 200

    deleted = http.delete(url)
    assert deleted.status_code == 204
    assert http.get(url).status_code == 404
    assert http.delete(url).status_code == 404


def test_custom_analyzer_fields_follow_its_schema(sim, http):
    http.put(f"{sim.base_url}/contentunderstanding/analyzers/policy?{API}", json=SCHEMA)
    op = http.post(
        f"{sim.base_url}/contentunderstanding/analyzers/policy:analyze?{API}",
        json={"inputs": [{"url": "https://example.com/p.pdf?sim_duration=0"}]},
    )
    fields = http.get(op.headers["Operation-Location"]).json()["result"]["contents"][0]["fields"]
    assert fields["PolicyNumber"]["type"] == "string"
    assert isinstance(fields["PolicyNumber"]["valueString"], str)
    assert isinstance(fields["Premium"]["valueNumber"], float)


def test_array_and_object_fields_come_back_typed_from_items_and_properties(sim, http):
    schema = {
        "baseAnalyzerId": "prebuilt-document",
        "fieldSchema": {
            "fields": {
                "Insured": {
                    "type": "object",
                    "properties": {"Name": {"type": "string"}, "Age": {"type": "integer"}},
                },
                "Coverages": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "Kind": {"type": "string", "enum": ["fire", "flood"]},
                            "Limit": {"type": "number"},
                        },
                    },
                },
                "Tags": {"type": "array", "items": {"type": "string"}},
                "Address": {"$ref": "#/$defs/Address"},
                "Signed": {"type": "boolean"},
            },
            "definitions": {"Address": {"type": "object", "properties": {"City": {"type": "string"}}}},
        },
    }
    assert http.put(f"{sim.base_url}/contentunderstanding/analyzers/nested?{API}", json=schema).status_code == 201
    op = http.post(
        f"{sim.base_url}/contentunderstanding/analyzers/nested:analyze?{API}",
        json={"inputs": [{"url": "https://example.com/p.pdf?sim_duration=0"}]},
    )
    content = http.get(op.headers["Operation-Location"]).json()["result"]["contents"][0]
    fields = content["fields"]

    insured = fields["Insured"]
    assert insured["type"] == "object"
    assert insured["valueObject"]["Name"]["type"] == "string"
    assert isinstance(insured["valueObject"]["Name"]["valueString"], str)
    assert insured["valueObject"]["Age"] == {**insured["valueObject"]["Age"], "type": "integer", "valueInteger": 42}

    coverages = fields["Coverages"]
    assert coverages["type"] == "array"
    assert "valueString" not in coverages
    assert len(coverages["valueArray"]) == 2
    first = coverages["valueArray"][0]
    assert first["type"] == "object"
    assert first["valueObject"]["Kind"]["valueString"] == "fire"
    assert isinstance(first["valueObject"]["Limit"]["valueNumber"], float)
    assert [item["type"] for item in fields["Tags"]["valueArray"]] == ["string", "string"]
    assert fields["Address"]["valueObject"]["City"]["type"] == "string"
    assert fields["Signed"]["valueBoolean"] is True
    # leaf values are grounded in the markdown
    name = insured["valueObject"]["Name"]
    span = name["spans"][0]
    assert content["markdown"][span["offset"] : span["offset"] + span["length"]] == name["valueString"]


def test_prebuilt_analyzers_exist_and_cannot_be_replaced(sim, http):
    url = f"{sim.base_url}/contentunderstanding/analyzers/prebuilt-invoice?{API}"
    assert http.get(url).status_code == 200
    assert http.put(url, json=SCHEMA).status_code == 409
    listed = http.get(f"{sim.base_url}/contentunderstanding/analyzers?{API}").json()["value"]
    assert {"prebuilt-read", "prebuilt-layout", "prebuilt-document"} <= {a["analyzerId"] for a in listed}


def test_invalid_analyzer_id_on_put_is_400(sim, http):
    response = http.put(f"{sim.base_url}/contentunderstanding/analyzers/{'x' * 65}?{API}", json=SCHEMA)
    assert response.status_code == 400


def test_precreated_analyzers_accept_analyze():
    with start_simulator(port=0, quiet=True, analyzers=["alpha", "beta"]) as sim:
        response = requests.post(
            f"{sim.base_url}/contentunderstanding/analyzers/beta:analyze?{API}",
            json={"inputs": [{"url": "https://example.com/a.pdf"}]},
            headers=KEY_HEADERS,
        )
    assert response.status_code == 202


def test_stats_count_calls_statuses_and_connections(sim, http, submit):
    op = submit("https://example.com/a.pdf?sim_throttle=1")
    http.get(op.headers["Operation-Location"])
    http.get(op.headers["Operation-Location"])
    http.get(f"{sim.base_url}/contentunderstanding/analyzerResults/nope?{API}")

    stats = http.get(f"{sim.base_url}/_sim/stats").json()

    assert stats["analyze_calls"] == 1
    assert stats["status_calls"] == 3
    assert stats["status_calls_by_operation"][op.json()["id"]] == 2
    assert stats["responses_by_status"] == {"202": 1, "429": 1, "200": 1, "404": 1}
    assert stats["operations"] == 1
    assert stats["connections"] == 1  # every call above, stats included, reused one kept-alive connection


def test_reset_clears_counters_and_operations(sim, http, submit):
    op = submit()
    reset = requests.post(f"{sim.base_url}/_sim/reset")
    assert reset.status_code == 200
    # The simulator counts an answer once it is sent, so the client can see it before it is counted: wait.
    wait_until(lambda: sim.stats()["responses_by_status"] == {"200": 1})

    stats = requests.get(f"{sim.base_url}/_sim/stats").json()
    assert (stats["analyze_calls"], stats["status_calls"], stats["operations"]) == (0, 0, 0)
    assert stats["responses_by_status"] == {"200": 1}  # the reset answer itself is counted after clearing
    assert http.get(op.headers["Operation-Location"]).status_code == 404


def test_control_endpoints_need_no_auth_and_unknown_paths_are_404(sim):
    assert requests.get(f"{sim.base_url}/_sim/stats").status_code == 200
    assert requests.get(f"{sim.base_url}/elsewhere").status_code == 404
