"""Default model deployments (GET/PATCH /contentunderstanding/defaults) and analyzers that need them."""

from __future__ import annotations

import pytest
import requests

from tools.simulator import start_simulator
from tools.tests.simulator.helpers import API, KEY_HEADERS

DOC = {"inputs": [{"url": "https://example.com/a.pdf?sim_duration=0"}]}


@pytest.fixture
def bare():
    """A resource whose default model deployments were never set."""
    deployments = ("my-gpt41", "my-embedding", "my-mini")
    with start_simulator(port=0, quiet=True, duration=0, default_models=False, deployments=deployments) as handle:
        yield handle


def analyze(sim, analyzer="prebuilt-invoice", body=None):
    return requests.post(
        f"{sim.base_url}/contentunderstanding/analyzers/{analyzer}:analyze?{API}",
        json=body or DOC,
        headers=KEY_HEADERS,
    )


def test_defaults_are_present_by_default(sim, http):
    response = http.get(f"{sim.base_url}/contentunderstanding/defaults?{API}")
    assert response.status_code == 200
    assert response.json() == {
        "modelDeployments": {
            "gpt-4.1": "gpt-4.1",
            "gpt-4.1-mini": "gpt-4.1-mini",
            "text-embedding-3-large": "text-embedding-3-large",
        }
    }


def test_defaults_need_auth_and_the_ga_version(sim):
    url = f"{sim.base_url}/contentunderstanding/defaults"
    assert requests.get(f"{url}?{API}").status_code == 401
    assert requests.get(f"{url}?api-version=2025-05-01-preview", headers=KEY_HEADERS).status_code == 410


def test_missing_defaults_refuse_a_generative_analyzer(bare):
    response = analyze(bare)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == response.headers["x-ms-error-code"] == "InvalidRequest"
    assert error["target"] == "modelDeployments"
    assert error["innererror"] == {"code": "ModelDeploymentNotFound"}
    assert "'gpt-4.1'" in error["message"] and "'text-embedding-3-large'" in error["message"]
    assert bare.stats()["operations_created"] == 0


@pytest.mark.parametrize("analyzer", ["prebuilt-read", "prebuilt-layout"])
def test_content_extraction_needs_no_model(bare, analyzer):
    assert analyze(bare, analyzer).status_code == 202


def test_patch_defaults_then_analyze_succeeds(bare):
    url = f"{bare.base_url}/contentunderstanding/defaults?{API}"
    patch = {"modelDeployments": {"gpt-4.1": "my-gpt41", "text-embedding-3-large": "my-embedding"}}
    response = requests.patch(url, json=patch, headers={**KEY_HEADERS, "Content-Type": "application/merge-patch+json"})
    assert response.status_code == 200
    assert response.json() == patch
    assert requests.get(url, headers=KEY_HEADERS).json() == patch
    assert analyze(bare).status_code == 202

    # merge-patch: null removes one model's default, and the analyzer fails again
    removed = requests.patch(url, json={"modelDeployments": {"gpt-4.1": None}}, headers=KEY_HEADERS)
    assert removed.json() == {"modelDeployments": {"text-embedding-3-large": "my-embedding"}}
    assert analyze(bare).status_code == 400


def test_request_model_deployments_override_missing_defaults(bare):
    body = {**DOC, "modelDeployments": {"gpt-4.1": "d1", "text-embedding-3-large": "d2"}}
    assert analyze(bare, body=body).status_code == 202
    partial = {**DOC, "modelDeployments": {"gpt-4.1": "d1"}}
    response = analyze(bare, body=partial)
    assert response.status_code == 400
    assert "'text-embedding-3-large'" in response.json()["error"]["message"]


def test_defaults_must_name_deployments_that_exist(bare):
    url = f"{bare.base_url}/contentunderstanding/defaults?{API}"
    response = requests.patch(url, json={"modelDeployments": {"gpt-4.1": "no-such-deployment"}}, headers=KEY_HEADERS)
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["target"], error["innererror"]) == ("modelDeployments", {"code": "ModelDeploymentNotFound"})
    assert "'no-such-deployment'" in error["message"]
    assert requests.get(url, headers=KEY_HEADERS).json() == {"modelDeployments": {}}  # nothing was kept


def test_search_prebuilts_need_gpt_4_1_mini_and_the_others_gpt_4_1(bare):
    url = f"{bare.base_url}/contentunderstanding/defaults?{API}"
    mini = {"modelDeployments": {"gpt-4.1-mini": "my-mini", "text-embedding-3-large": "my-embedding"}}
    assert requests.patch(url, json=mini, headers=KEY_HEADERS).status_code == 200
    assert analyze(bare, "prebuilt-documentSearch").status_code == 202
    refused = analyze(bare, "prebuilt-invoice")
    assert refused.status_code == 400 and "'gpt-4.1'" in refused.json()["error"]["message"]
    analyzer = requests.get(
        f"{bare.base_url}/contentunderstanding/analyzers/prebuilt-videoSearch?{API}", headers=KEY_HEADERS
    ).json()
    assert analyzer["models"] == {"completion": "gpt-4.1-mini", "embedding": "text-embedding-3-large"}


def test_supported_models_are_string_arrays_as_in_the_spec(sim, http):
    analyzer = http.get(f"{sim.base_url}/contentunderstanding/analyzers/prebuilt-invoice?{API}").json()
    assert analyzer["supportedModels"] == {
        "completion": ["gpt-4.1", "gpt-4.1-mini"],
        "embedding": ["text-embedding-3-large"],
    }
    assert analyzer["models"] == {"completion": "gpt-4.1", "embedding": "text-embedding-3-large"}


def test_bad_defaults_patch_is_400(sim, http):
    url = f"{sim.base_url}/contentunderstanding/defaults?{API}"
    assert http.patch(url, json={"modelDeployments": ["gpt-4.1"]}).status_code == 400
    assert http.patch(url, data=b"not json").status_code == 400
    assert http.put(url, json={}).status_code == 405


def test_custom_analyzer_with_fields_needs_its_models(bare):
    headers = KEY_HEADERS
    base = f"{bare.base_url}/contentunderstanding/analyzers"
    schema = {"fieldSchema": {"fields": {"Name": {"type": "string"}}}, "models": {"completion": "gpt-4.1-mini"}}
    assert requests.put(f"{base}/withfields?{API}", json=schema, headers=headers).status_code == 201
    assert requests.put(f"{base}/nofields?{API}", json={"description": "x"}, headers=headers).status_code == 201
    refused = analyze(bare, "withfields")
    assert refused.status_code == 400 and "'gpt-4.1-mini'" in refused.json()["error"]["message"]
    assert analyze(bare, "nofields").status_code == 202


def test_prebuilt_analyzer_resource_names_its_models(sim, http):
    invoice = http.get(f"{sim.base_url}/contentunderstanding/analyzers/prebuilt-invoice?{API}").json()
    read = http.get(f"{sim.base_url}/contentunderstanding/analyzers/prebuilt-read?{API}").json()
    assert invoice["models"] == {"completion": "gpt-4.1", "embedding": "text-embedding-3-large"}
    assert set(invoice["supportedModels"]) == {"completion", "embedding"}
    assert "models" not in read
