"""docs/deploy.md's `func` path cannot drift: its settings and roles tables match the templates and the app.

Whoever publishes with `func azure functionapp publish` to an existing Function App sets exactly what
`azd up` would: the app settings of infra/*.bicep (which tests/infra/test_bicep.py ties to
config/settings.py) and the app identity's role assignments. The smoke test's CLI command must parse.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys

from config.settings import known_setting_names, required_setting_names, setting_defaults
from input_files.sas_urls import CONTAINER_LAYOUTS, container_for_scope
from tests.infra.bicep import INFRA, REPO, app_setting_names, parse, resource_body, role_assignments
from tests.infra.test_bicep import KEY_SETTINGS, LEFT_AT_THE_APPS_DEFAULT, ROLES, bicep_default
from tools.cli.main import build_parser

DOCS = (REPO / "docs" / "deploy.md").read_text()

# Where each assignment's scope symbol points, by template: the words the docs' "scope" column uses.
SCOPE_LABELS = {
    ("role-assignments.bicep", "hostStorage"): "host storage account",
    ("role-assignments.bicep", "inputStorage"): "input storage account",
    ("role-assignments.bicep", "appInsights"): "Application Insights",
    ("content-understanding.bicep", "account"): "Content Understanding resource",
    ("content-understanding-access.bicep", "account"): "Content Understanding resource",
    ("durable-task-scheduler.bicep", "scheduler"): "Durable Task Scheduler",
}


def table_after(heading: str) -> list[list[str]]:
    """The rows (cells stripped) of the first Markdown table after `heading`, without its header."""
    lines = DOCS[DOCS.index(heading) :].splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("|"))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in re.split(r"(?<!\\)\|", line.strip())[1:-1]])
    return rows


def settings_rows() -> dict[str, list[str]]:
    """setting -> [value in Azure, unset, required mark]."""
    return {row[0].strip("`"): row[1:] for row in table_after("### Settings it needs")}


def documented_settings() -> dict[str, str]:
    return {name: cells[2] for name, cells in settings_rows().items()}


def test_the_settings_table_lists_what_the_templates_set():
    documented = set(documented_settings())
    missing = sorted(app_setting_names() - documented)
    extra = sorted(documented - app_setting_names() - set(LEFT_AT_THE_APPS_DEFAULT))
    assert not missing, f"docs/deploy.md 'Settings it needs' lacks rows for {missing} (the templates set them)"
    assert not extra, f"docs/deploy.md 'Settings it needs' lists {extra}, which the templates no longer set"


def test_the_settings_table_covers_everything_the_app_reads_and_no_key():
    """Every setting config/settings.py knows, also those the templates leave at the app's default: whoever
    publishes with `func` to an app made elsewhere sees all of them. The keys are named, never listed."""
    documented = set(documented_settings())
    unread = set(known_setting_names()) - KEY_SETTINGS - documented
    assert not unread, f"the app reads {sorted(unread)}, which docs/deploy.md 'Settings it needs' does not list"
    assert not KEY_SETTINGS & documented
    never = DOCS[DOCS.index("### Settings it needs") : DOCS.index("| setting |")]
    assert all(f"`{name}`" in never for name in KEY_SETTINGS), "the 'never set' sentence names every key setting"


def test_the_settings_the_app_requires_are_marked_required():
    required = {name for name, mark in documented_settings().items() if mark.startswith("required")}
    assert set(required_setting_names()) <= required
    assert {"AUTH_MODE", "AZURE_CLIENT_ID", "AzureWebJobsStorage__accountName"} <= required


def test_every_optional_setting_states_the_apps_default():
    """The "unset" column of each optional setting starts with what config/settings.py does without it: its
    default (a number, flag or text), or "empty" for a setting that is off or derived when unset."""
    rows = settings_rows()
    defaults = setting_defaults()
    wrong = {}
    for name in set(known_setting_names()) - KEY_SETTINGS - set(required_setting_names()):
        unset = rows[name][1]
        expected = f"`{bicep_default(defaults[name])}`" if name in defaults else "empty"
        if not unset.startswith(expected) and not (rows[name][2].startswith("required") and "refuses" in unset):
            wrong[name] = (unset, expected)
    assert not wrong, f"docs/deploy.md 'Settings it needs': the unset column disagrees with the app: {wrong}"


def test_the_settings_left_at_the_apps_default_say_so():
    for name, default in LEFT_AT_THE_APPS_DEFAULT.items():
        value, unset, _ = settings_rows()[name]
        assert value == "not set by the template" and unset.startswith(f"`{default}`"), name


def app_identity_roles() -> set[tuple[str, str]]:
    """(role name, scope label) of every assignment to the app identity (not the deployer) in the templates."""
    found = set()
    for path, _, resource, roles in role_assignments():
        body = resource_body(resource)
        if body["properties"]["principalId"] != "principalId":
            continue
        label = SCOPE_LABELS[(path.name, body["scope"])]
        found |= {(ROLES[role], label) for role in roles}
    return found


def test_the_roles_table_matches_the_assignments_of_the_templates():
    documented = {(row[0], row[1]) for row in table_after("### Roles it needs")}
    assert documented == app_identity_roles()


def test_the_scope_labels_name_the_resources_they_stand_for():
    """A new scope symbol needs a label; each label's symbol is the resource type it claims to be."""
    kinds = {
        "host storage account": "Microsoft.Storage/storageAccounts",
        "input storage account": "Microsoft.Storage/storageAccounts",
        "Application Insights": "Microsoft.Insights/components",
        "Content Understanding resource": "Microsoft.CognitiveServices/accounts",
        "Durable Task Scheduler": "Microsoft.DurableTask/schedulers",
    }
    for (file, symbol), label in SCOPE_LABELS.items():
        template = parse(next(INFRA.rglob(file)))
        assert template["resources"][symbol]["type"] == kinds[label], (file, symbol)


def smoke_block() -> str:
    section = DOCS[DOCS.index("## Smoke test (after any deployment)") :]
    return section[section.index("```bash") : section.index("```", section.index("```bash") + 3)]


def test_the_smoke_test_checks_health_and_runs_one_analysis_with_the_cli():
    block = smoke_block()
    assert 'curl -fsS "$APP/health"' in block
    command = block[block.index("python -m tools.cli") :].replace("\\\n", " ").splitlines()[0]
    words = shlex.split(command.replace("$(", "").replace(")", ""))[3:]  # after `python -m tools.cli`
    args = build_parser().parse_args(words)
    assert args.command == "analyze" and args.inputs == ["smoke/sample.pdf"] and args.base_url == "$APP"
    assert args.azure_identity.startswith("api://") and args.azure_identity.endswith("/.default")


def test_the_smoke_test_uploads_where_the_layout_code_looks():
    """The block's own shell lines, run by bash for a sample INPUT_CONTAINER_URL and object id, name the account
    and container the app signs for (input_files/sas_urls.py), also for a base container other than the default."""
    block = smoke_block()
    lines = block.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("ACCOUNT="))
    end = next(i for i, line in enumerate(lines) if line.startswith("CONTAINER="))
    script = "\n".join(lines[start : end + 1]).replace(".venv/bin/python", shlex.quote(sys.executable))
    oid = "0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9"
    base = parse(INFRA / "main.bicep")["parameters"]["inputContainerName"]["default"]
    for container_url in (
        f"https://stinexample.blob.core.windows.net/{base}",
        "https://other.blob.core.windows.net/files",
    ):
        done = subprocess.run(
            ["bash", "-c", f'{script}\necho "$ACCOUNT $CONTAINER"'],
            env={"INPUT": container_url, "OID": oid, "PATH": os.environ["PATH"], "PYTHONPATH": str(REPO)},
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        for layout in CONTAINER_LAYOUTS:
            location = container_for_scope(container_url, {"kind": "user", "id": oid}, layout)
            assert done.stdout.split() == [location.account_name, location.container], (container_url, layout)


# Options of `func azure functionapp publish` (Core Tools 4.x, PublishFunctionAppAction.ParseArgs and the
# language switches GlobalCoreToolsSettings reads) that the docs may use.
PUBLISH_OPTIONS = {"--python", "--build", "--list-included-files", "--list-ignored-files", "--force"}


def test_the_func_path_publishes_python_with_a_remote_build_and_no_local_settings():
    commands = re.findall(r"func azure functionapp publish [\"<].*", DOCS)  # commands, not mentions
    assert commands
    for line in commands:
        words = shlex.split(line[line.index("func azure functionapp publish") :].split("#")[0].replace("`", " "))
        options = {word for word in words[4:] if word.startswith("-")}
        assert options <= PUBLISH_OPTIONS, (
            f"not an option of func azure functionapp publish: {options - PUBLISH_OPTIONS}"
        )
        assert "--python" in options, f"without --python a fresh clone (no local.settings.json) cannot publish: {line}"
    publish = next(line for line in commands if "--build" in line)
    assert "--build remote" in publish


def test_every_check_that_cannot_run_here_has_its_command():
    rows = table_after("### What cannot be exercised here, and the one command that checks it")
    assert len(rows) >= 8
    for what, _, command in rows:
        assert re.search(r"`[^`]+`|\[smoke test\]", command), f"no command for: {what}"
