"""The deploy pipeline works as docs/deploy.md sets it up, and only for pushes to main of this repository.

`workflow_run` fires for every completed CI run, pull requests from forks included, whose head branch may
be called `main`; the job's `if:` is evaluated here on such events (tests/infra/github_expressions.py). The
federated credential the `production` environment needs is not created by `azd pipeline config`, so the
docs must carry the command with the exact subject.
"""

from __future__ import annotations

import json
import os
import re
import subprocess

import pytest

from tests.infra.bicep import REPO
from tests.infra.github_expressions import evaluate, truthy
from tests.infra.test_workflows_and_versions import workflow

REPOSITORY = "contoso/content-analysis"
DEPLOY_DOCS = (REPO / "docs" / "deploy.md").read_text()


def deploy_job() -> dict:
    return workflow("deploy.yml")["jobs"]["deploy"]


def after_ci(**run: object) -> dict:
    """The context of a deploy triggered by a completed CI run (a push to main of this repository unless changed)."""
    workflow_run = {
        "conclusion": "success",
        "event": "push",
        "head_branch": "main",
        "head_sha": "0123abc",
        "head_repository": {"full_name": REPOSITORY},
        **run,
    }
    return {"github": {"event_name": "workflow_run", "repository": REPOSITORY, "event": {"workflow_run": workflow_run}}}


def deploys(context: dict) -> bool:
    return truthy(evaluate(deploy_job()["if"], context))


def test_a_successful_push_to_main_of_this_repository_deploys():
    assert deploys(after_ci())
    assert deploys(after_ci(head_repository={"full_name": REPOSITORY.upper()}))  # GitHub compares ignoring case


@pytest.mark.parametrize(
    "run",
    [
        {"event": "pull_request", "head_repository": {"full_name": "mallory/content-analysis"}},  # a fork's `main`
        {"event": "pull_request"},  # a pull request from this repository's own `main`-named branch
        {"event": "pull_request_target"},
        {"head_repository": {"full_name": "mallory/content-analysis"}},  # whatever the event says
        {"event": "workflow_dispatch"},  # CI started by hand on some ref
        {"head_branch": "feature"},
        {"conclusion": "failure"},
        {"conclusion": "cancelled"},
    ],
    ids=lambda run: ",".join(f"{k}={v}" for k, v in run.items()),
)
def test_nothing_else_after_ci_deploys(run):
    assert not deploys(after_ci(**run))


def test_a_hand_started_deploy_runs_and_is_gated_by_the_environment():
    assert deploys({"github": {"event_name": "workflow_dispatch", "repository": REPOSITORY, "event": {}}})
    assert deploy_job()["environment"] == "production"


def test_the_trigger_is_ci_on_main_and_the_checkout_is_the_tested_commit():
    deploy = workflow("deploy.yml")
    assert deploy["on"]["workflow_run"] == {
        "workflows": [workflow("ci.yml")["name"]],
        "types": ["completed"],
        "branches": ["main"],
    }
    checkout = deploy_job()["steps"][0]
    assert checkout["with"]["ref"] == "${{ github.event.workflow_run.head_sha || github.sha }}"


def test_the_deploy_refuses_to_start_without_the_api_client_id():
    job = deploy_job()
    assert job["env"]["REQUIRED_AUTH_CLIENT_ID"] == "${{ vars.AUTH_CLIENT_ID }}"
    runs = "\n".join(step.get("run", "") for step in job["steps"])
    assert (
        'if [ -z "$REQUIRED_AUTH_CLIENT_ID" ]' in runs
        and 'azd env set AUTH_CLIENT_ID "$REQUIRED_AUTH_CLIENT_ID"' in runs
    )


def test_the_docs_create_the_federated_credential_of_the_environment_the_job_uses():
    environment = deploy_job()["environment"]
    command = next(line for line in DEPLOY_DOCS.splitlines() if "az ad app federated-credential create" in line)
    subject = re.search(r"\\\"subject\\\": \\\"repo:(.+?)\\\"", command).group(1)
    assert subject == f"$(gh repo view --json nameWithOwner -q .nameWithOwner):environment:{environment}"
    assert "https://token.actions.githubusercontent.com" in command
    assert "api://AzureADTokenExchange" in command
    assert '--id "$(gh variable get AZURE_CLIENT_ID)"' in command  # the principal the job signs in as
    assert "--federated-credential-provider github" in "\n".join(s.get("run", "") for s in deploy_job()["steps"])
    assert f"--subject repo:<owner>/<repo>:environment:{environment}" in DEPLOY_DOCS  # the managed identity form


def test_the_docs_say_how_to_protect_the_production_environment():
    section = DEPLOY_DOCS[DEPLOY_DOCS.index("### The deploy pipeline, set up once") :]
    assert "azd pipeline config --provider github --auth-type federated" in section
    for rule in ("Required reviewers", "Prevent self-review", "Deployment branches and tags", "`main`"):
        assert rule in section, rule
    assert "gh api repos/{owner}/{repo}/environments/production" in DEPLOY_DOCS


# azd environment values the job sets itself (or azd does): the rest of infra/main.parameters.json's are optional.
SET_BY_THE_JOB_OR_AZD = {
    "AZURE_ENV_NAME",
    "AZURE_LOCATION",
    "AZURE_PRINCIPAL_ID",
    "AZURE_PRINCIPAL_TYPE",
    "AUTH_CLIENT_ID",
}


def test_every_parameter_the_azd_environment_maps_reaches_the_pipelines_azd_environment():
    """The runner's azd environment is new on every run, so a value infra/main.parameters.json maps but the job
    does not pass (e.g. CONTENT_UNDERSTANDING_PROCESSING_LOCATION, AUTH_REQUIRED_SCOPES) would be reset to its
    default by every deployment, whatever was set with `azd env set` elsewhere."""
    values = json.loads((REPO / "infra" / "main.parameters.json").read_text())["parameters"].values()
    mapped = {re.match(r"\$\{(\w+)", value["value"]).group(1) for value in values}
    env = deploy_job()["env"]
    optional = {name.removeprefix("OPTIONAL_") for name in env if name.startswith("OPTIONAL_")}
    assert optional == mapped - SET_BY_THE_JOB_OR_AZD
    assert all(env[f"OPTIONAL_{name}"] == f"${{{{ vars.{name} }}}}" for name in optional)


def test_the_job_copies_the_optional_values_that_are_set_and_no_empty_one():
    """The step's own loop, run by bash with `azd` recorded: set values are copied, empty ones are not."""
    script = next(step["run"] for step in deploy_job()["steps"] if "for name in" in step.get("run", ""))
    loop = script[script.index("for name in") : script.index("done", script.index("for name in")) + 4]
    done = subprocess.run(
        ["bash", "-c", f'azd() {{ echo "azd $*"; }}\n{loop}'],
        env={
            "PATH": os.environ["PATH"],
            "OPTIONAL_AUTH_MODE": "appservice",
            "OPTIONAL_DURABLE_BACKEND": "",
            "OPTIONAL_AUTH_REQUIRED_SCOPES": "Analysis.Run",
        },
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert sorted(done.stdout.splitlines()) == [
        "azd env set AUTH_MODE appservice",
        "azd env set AUTH_REQUIRED_SCOPES Analysis.Run",
    ]
