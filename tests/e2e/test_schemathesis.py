"""Schemathesis against the running app: every answer must be one /openapi.json allows, and every request the
document calls valid must be accepted (less the few rules the document states in words: schemathesis_hooks.py).

A fixed seed and a bounded number of cases per operation keep it reproducible and around fifteen seconds: examples,
coverage, fuzzing and stateful phases (POST, then GET/DELETE of the operation it created). Checks left out:
`not_a_server_error` (an ended analysis answers 500 by contract; the document lists every 500) and
`unsupported_method` (the Functions host answers 404 for a method no route lists, before the app).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SEED = 1
CASES_PER_OPERATION = 40
EXCLUDED_CHECKS = "not_a_server_error,unsupported_method,positive_data_acceptance"  # the last: replaced by hooks
REPO = Path(__file__).resolve().parents[2]


def run_schemathesis(base_url: str, report: Path) -> subprocess.CompletedProcess:
    """The CLI in its own working folder (the report's), so its cache never lands in the checkout."""
    command = [
        sys.executable,
        "-c",
        "import sys; from schemathesis.cli import schemathesis; sys.exit(schemathesis())",
        "run",
        f"{base_url}/openapi.json",
        f"--url={base_url}",
        "--checks=all",
        f"--exclude-checks={EXCLUDED_CHECKS}",
        f"--seed={SEED}",
        f"--max-examples={CASES_PER_OPERATION}",
        "--workers=1",
        "--no-shrink",
        "--request-timeout=20",
        "--report=ndjson",
        f"--report-ndjson-path={report}",
    ]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "tests.e2e.schemathesis_hooks", "NO_COLOR": "1", "PYTHONPATH": str(REPO)}
    return subprocess.run(command, cwd=report.parent, env=env, capture_output=True, text=True, timeout=240, check=False)


@pytest.mark.skipif(
    sys.version_info < (3, 11), reason="schemathesis 4.32 needs Python 3.11+; the contract is checked on 3.11-3.13"
)
def test_the_app_answers_as_its_openapi_document_says(stack, tmp_path):
    result = run_schemathesis(stack.base_url, tmp_path / "events.ndjson")
    summary = result.stdout[result.stdout.find("SUMMARY") :] if "SUMMARY" in result.stdout else result.stdout[-3000:]
    print(summary)  # the run's numbers (pytest -s shows them)
    assert result.returncode == 0, f"schemathesis found mismatches:\n{result.stdout[-12000:]}\n{result.stderr[-3000:]}"
    events = [json.loads(line) for line in (tmp_path / "events.ndjson").read_text().splitlines() if line.strip()]
    assert events, "schemathesis reported nothing"
