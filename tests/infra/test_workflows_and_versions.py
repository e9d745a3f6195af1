"""CI workflows and the supported Python versions, kept in agreement (actionlint, in `make lint`, checks
the workflow syntax itself where it is installed)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import yaml

from tests.infra.bicep import INFRA, REPO, parse

SUPPORTED = ["3.10", "3.11", "3.12", "3.13"]


def workflow(name: str) -> dict:
    loaded = yaml.safe_load((REPO / ".github" / "workflows" / name).read_text())
    loaded["on"] = loaded.pop(True, loaded.get("on"))  # YAML 1.1 reads the key `on` as true
    return loaded


def test_ci_lints_then_tests_every_supported_python():
    jobs = workflow("ci.yml")["jobs"]
    assert jobs["test"]["needs"] == "lint"
    assert jobs["test"]["strategy"]["matrix"]["python-version"] == SUPPORTED
    assert any("make test" in step.get("run", "") for step in jobs["test"]["steps"])
    assert any("make lint" in step.get("run", "") for step in jobs["lint"]["steps"])


def test_ci_runs_the_e2e_tests_against_core_tools():
    job = workflow("ci.yml")["jobs"]["e2e-core-tools"]
    runs = "\n".join(step.get("run", "") for step in job["steps"])
    assert "azure-functions-core-tools@4" in runs
    for name in ("e2e-core-tools", "e2e-durable-backends"):  # the pinned Azurite, never an unpinned global one
        job_runs = "\n".join(step.get("run", "") for step in workflow("ci.yml")["jobs"][name]["steps"])
        assert "make azurite-deps" in job_runs and "nohup tools/azurite/node_modules/.bin/azurite " in job_runs, name
        assert "-g azurite" not in job_runs and "nohup azurite " not in job_runs, name
    assert "tools.simulator --port 7072" in runs and "func start" in runs
    assert "pytest tests/e2e" in runs
    assert job["env"] == {"E2E_BASE_URL": "http://127.0.0.1:7071", "E2E_SIMULATOR_URL": "http://127.0.0.1:7072"}


def test_deploy_uses_oidc_and_no_secrets():
    text = (REPO / ".github" / "workflows" / "deploy.yml").read_text()
    deploy = yaml.safe_load(text)
    assert deploy["permissions"]["id-token"] == "write"
    assert "secrets." not in text
    runs = "\n".join(step.get("run", "") for step in deploy["jobs"]["deploy"]["steps"])
    assert "--federated-credential-provider github" in runs
    assert "azd provision" in runs and "azd deploy" in runs
    for name in ("AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_SUBSCRIPTION_ID", "AZURE_ENV_NAME", "AZURE_LOCATION"):
        assert deploy["jobs"]["deploy"]["env"][name] == "${{ vars." + name + " }}"


def test_supported_pythons_agree_everywhere():
    pyproject = (REPO / "pyproject.toml").read_text()
    assert 'requires-python = ">=3.10"' in pyproject
    assert 'target-version = "py310"' in pyproject
    makefile = (REPO / "Makefile").read_text()
    assert re.search(r"^PYTHON_VERSIONS \?= (.+)$", makefile, re.M).group(1).split() == SUPPORTED
    allowed = parse(INFRA / "main.bicep")["parameters"]["pythonVersion"]["decorators"]
    assert any(decorator.get("type") == "allowed" and decorator["argument"] == SUPPORTED for decorator in allowed)


def test_ci_script_stays_lint_then_test():
    text = (REPO / ".ci" / "run").read_text()
    lines = [line for line in text.splitlines() if line.startswith("make")]
    assert lines[0] == "make lint" and lines[-1] == "make test"
    assert "test-all-pythons" not in text and "npm" not in text  # no multi-version run, no ad-hoc installs
    # Azurite comes from its make target (the pinned lock file) and is required, as the browser is.
    assert lines.index("make azurite-deps") < lines.index("make test")
    assert "test -x tools/azurite/node_modules/.bin/azurite-blob" in text


def test_github_ci_installs_the_browser_so_the_browser_test_runs():
    steps = workflow("ci.yml")["jobs"]["test"]["steps"]
    runs = [step.get("run", "") for step in steps]
    browser = next(i for i, run in enumerate(runs) if "make browser-deps" in run)
    tests = next(i for i, run in enumerate(runs) if "make test" in run)
    assert browser < tests
    assert "test -x /usr/bin/chromium && test -x /usr/bin/chromedriver" in runs[browser]


def test_github_ci_installs_azurite_so_the_storage_tests_run():
    steps = workflow("ci.yml")["jobs"]["test"]["steps"]
    runs = [step.get("run", "") for step in steps]
    azurite = next(i for i, run in enumerate(runs) if "make azurite-deps" in run)
    assert azurite < next(i for i, run in enumerate(runs) if "make test" in run)
    assert any(step.get("uses", "").startswith("actions/setup-node@") for step in steps[:azurite])


def test_run_func_explains_how_to_get_core_tools_when_func_is_missing(tmp_path: Path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("bash", "dirname", "cat"):
        (bin_dir / tool).symlink_to(shutil.which(tool))
    done = subprocess.run(
        ["bash", str(REPO / "tools" / "run-func.sh")],
        env={"PATH": str(bin_dir), "HOME": os.environ.get("HOME", "/tmp")},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode != 0
    assert "Azure Functions Core Tools" in done.stderr
    assert "npm install -g azure-functions-core-tools@4" in done.stderr
