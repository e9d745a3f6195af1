"""The azd post-provision hook that sets Content Understanding's default model deployments (no network)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.infra.bicep import INFRA, REPO, parse, resource_body

HOOK = INFRA / "hooks" / "set_content_understanding_defaults.py"
DEPLOYMENTS = [
    {"name": "gpt-4.1", "model": "gpt-4.1"},
    {"name": "mini", "model": "gpt-4.1-mini"},
    {"name": "embed", "model": "text-embedding-3-large"},
]


def run_hook(**env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CONTENT_UNDERSTANDING_")}
    return subprocess.run(
        [sys.executable, str(HOOK), "--dry-run"], env={**clean, **env}, capture_output=True, text=True, timeout=30
    )


def test_dry_run_prints_the_ga_request():
    done = run_hook(
        CONTENT_UNDERSTANDING_CREATED="true",
        CONTENT_UNDERSTANDING_ENDPOINT="https://ais-x.services.ai.azure.com/",
        CONTENT_UNDERSTANDING_MODEL_DEPLOYMENTS=json.dumps(DEPLOYMENTS),
    )
    assert done.returncode == 0, done.stderr
    first, body = done.stdout.splitlines()[:2]
    assert first == "PATCH https://ais-x.services.ai.azure.com/contentunderstanding/defaults?api-version=2025-11-01"
    assert json.loads(body) == {
        "modelDeployments": {"gpt-4.1": "gpt-4.1", "gpt-4.1-mini": "mini", "text-embedding-3-large": "embed"}
    }


def test_an_existing_resource_is_left_alone():
    done = run_hook(CONTENT_UNDERSTANDING_CREATED="false")
    assert done.returncode == 0
    assert "left as they are" in done.stdout


def test_the_template_deploys_every_model_the_defaults_name():
    main = parse(INFRA / "main.bicep")
    models = {item["model"] for item in main["parameters"]["modelDeployments"]["default"]}
    assert {"gpt-4.1", "gpt-4.1-mini", "text-embedding-3-large"} <= models


def test_azure_yaml_runs_the_hook_after_provisioning():
    import yaml

    project = yaml.safe_load((REPO / "azure.yaml").read_text())
    assert project["services"]["api"] == {"project": ".", "language": "python", "host": "function", "remoteBuild": True}
    hooks = project["hooks"]["postprovision"]
    for platform in ("posix", "windows"):
        assert "infra/hooks/set_content_understanding_defaults.py" in hooks[platform]["run"]


def test_new_resource_has_a_custom_subdomain_for_entra_tokens():
    account = parse(INFRA / "modules" / "content-understanding.bicep")["resources"]["account"]
    body = resource_body(account)
    assert body["kind"] == "AIServices"
    assert body["properties"]["customSubDomainName"] == "name"
