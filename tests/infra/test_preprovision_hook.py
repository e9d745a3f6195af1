"""The azd pre-provision hook stops `azd up` before anything is created when AUTH_CLIENT_ID is missing."""

from __future__ import annotations

import os
import subprocess
import sys

import yaml

from tests.infra.bicep import INFRA, REPO

HOOK = INFRA / "hooks" / "check_required_settings.py"
CLIENT_ID = "3f1c2b9e-0d4a-4e8b-9c6f-5a7b8c9d0e1f"


def run_hook(**env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("AUTH_")}
    return subprocess.run([sys.executable, str(HOOK)], env={**clean, **env}, capture_output=True, text=True, timeout=30)


def test_without_a_client_id_provisioning_stops_and_says_what_to_set():
    for env in ({}, {"AUTH_CLIENT_ID": ""}, {"AUTH_CLIENT_ID": "  "}):
        done = run_hook(**env)
        assert done.returncode != 0
        assert "azd env set AUTH_CLIENT_ID <application (client) id>" in done.stderr
        assert "Nothing was provisioned" in done.stderr


def test_a_client_id_that_is_not_a_guid_is_refused():
    done = run_hook(AUTH_CLIENT_ID="api://content-analysis")
    assert done.returncode != 0
    assert "must be an application (client) id" in done.stderr


def test_anonymous_mode_is_refused_in_azure():
    done = run_hook(AUTH_CLIENT_ID=CLIENT_ID, AUTH_MODE="none")
    assert done.returncode != 0
    assert "azd env set AUTH_MODE entra" in done.stderr


def test_a_client_id_lets_provisioning_go_on():
    for mode in ("", "entra", "appservice"):
        done = run_hook(AUTH_CLIENT_ID=CLIENT_ID, AUTH_MODE=mode)
        assert done.returncode == 0, done.stderr


def test_azure_yaml_runs_it_before_provisioning_and_stops_on_failure():
    hooks = yaml.safe_load((REPO / "azure.yaml").read_text())["hooks"]["preprovision"]
    for platform in ("posix", "windows"):
        assert hooks[platform]["run"].endswith("infra/hooks/check_required_settings.py")
        assert hooks[platform]["continueOnError"] is False
