""".funcignore keeps local state, logs, caches and tooling out of the package, and the app in it.

azd (`azure.yaml`, host function) and `func azure functionapp publish` both package the repository root
minus `.funcignore`, which uses .gitignore syntax; git's own matcher (`git check-ignore --no-index`, in a
scratch repository whose only ignore file is a copy of .funcignore) decides here what it would drop.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.infra.bicep import REPO

# What a developer's clone holds after `make run`, `make test`, `make bench`, Azurite, Core Tools or an editor.
LOCAL_ONLY = [
    ".hypothesis/examples/0a1b/2c3d",
    ".hypothesis/constants/17ec696c5e91d503",
    "func.log",
    "azurite.log",
    "tools/devhost/host.log",
    ".pytest_cache/v/cache/lastfailed",
    ".ruff_cache/0.6.0/123",
    ".mypy_cache/3.12/cache.db",
    "__pycache__/function_app.cpython-312.pyc",
    "activities/__pycache__/submit_analysis.cpython-312.pyc",
    "domain/stray.pyc",
    ".coverage",
    ".coverage.host.1234",
    "htmlcov/index.html",
    ".devhost/duration-models/model.json",
    ".azurite/__blobstorage__/x",
    "__azurite_db_blob__.json",
    "__blobstorage__/abc",
    "__queuestorage__/abc",
    ".bench/run.json",
    ".bench/bench.json",
    ".bench/bench.png",
    ".devhost/result-copies/an-0123/0.json",
    ".devhost/durable.sqlite3",
    "tools/azurite/node_modules/azurite/package.json",
    ".schemathesis/cache/x",
    "schemathesis-report/report.ndjson",
    ".venv/bin/python",
    ".venv-3.10/bin/python",
    ".azure/dev/.env",
    ".env",
    "local.settings.json",
    "node_modules/azurite/package.json",
    ".vscode/settings.json",
    ".DS_Store",
    "tests/unit/test_settings.py",
    "tools/cli/main.py",
    "docs/deploy.md",
    "infra/main.bicep",
    ".github/workflows/ci.yml",
]


def ignored(paths: list[str], scratch: Path) -> set[str]:
    """The paths .funcignore drops, by git's .gitignore matcher and nothing else (no global excludes)."""
    shutil.copy(REPO / ".funcignore", scratch / ".gitignore")
    git = ["git", "-c", "core.excludesFile=/dev/null", "-C", str(scratch)]
    subprocess.run([*git, "init", "-q"], check=True, capture_output=True, timeout=30)
    done = subprocess.run(
        [*git, "check-ignore", "--no-index", "--stdin"],
        input="\n".join(paths),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode in (0, 1), done.stderr  # 1: nothing ignored
    return set(done.stdout.splitlines())


@pytest.fixture(scope="module")
def scratch(tmp_path_factory) -> Path:
    if not shutil.which("git"):
        pytest.skip("git is not installed")
    return tmp_path_factory.mktemp("funcignore")


def test_local_state_logs_caches_and_tooling_stay_out(scratch):
    kept = sorted(set(LOCAL_ONLY) - ignored(LOCAL_ONLY, scratch))
    assert not kept, f".funcignore would upload {kept}"


# What .gitignore keeps out of commits but the package needs: `func ... --build local` puts the app's
# dependencies there.
PACKAGED_THOUGH_NOT_COMMITTED = {".python_packages/"}


def test_what_git_ignores_as_local_stays_out_of_the_package_too(scratch):
    """A new kind of local state lands in .gitignore first; this keeps .funcignore from forgetting it."""
    patterns = [line.strip() for line in (REPO / ".gitignore").read_text().splitlines()]
    patterns = [p for p in patterns if p and not p.startswith("#") and p not in PACKAGED_THOUGH_NOT_COMMITTED]
    samples = {p: p.replace("*", "x").rstrip("/") + ("/file" if p.endswith("/") else "") for p in patterns}
    dropped = ignored(list(samples.values()), scratch)
    uploaded = sorted(pattern for pattern, sample in samples.items() if sample not in dropped)
    assert not uploaded, f".gitignore keeps {uploaded} out of commits, but .funcignore would upload them"


def test_the_app_goes_in(scratch):
    """Every tracked file of the deployed app: function_app.py, host.json, requirements.txt and its packages."""
    tracked = subprocess.run(
        ["git", "-C", str(REPO), "ls-files"], capture_output=True, text=True, check=True, timeout=30
    ).stdout.splitlines()
    tooling = ("tools/", "tests/", "docs/", "infra/", ".github/", ".ci/")
    app = [path for path in tracked if path.endswith((".py", ".json")) and not path.startswith(tooling)]
    app = [path for path in app if path != "local.settings.json.example"]
    assert {"function_app.py", "host.json", "http_api/openapi.json", "input_files/sas_urls.py"} <= set(app)
    dropped = sorted(ignored([*app, "requirements.txt"], scratch))
    assert not dropped, f".funcignore would leave out {dropped}"
