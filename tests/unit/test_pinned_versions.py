"""The Durable Functions SDK installed is the one pinned, which is the one devhost was verified against.

devhost reproduces the extension's side of the SDK's wire protocol (tools/docs/devhost-durable.md); another SDK
version may speak it differently, so a change of the pin must come with a new check of devhost.
"""

from __future__ import annotations

import json
import re
from importlib.metadata import version
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEVHOST_VERIFIED_SDK = "1.7.0"


def _pinned(package: str) -> str:
    for line in (REPO / "requirements.txt").read_text().splitlines():
        match = re.match(rf"^{re.escape(package)}==([^\s;#]+)", line.strip())
        if match:
            return match.group(1)
    raise AssertionError(f"{package} is not pinned with == in requirements.txt")


def test_the_durable_sdk_is_pinned_to_the_version_devhost_was_verified_against():
    assert _pinned("azure-functions-durable") == DEVHOST_VERIFIED_SDK


def test_the_installed_durable_sdk_is_the_pinned_one():
    installed = version("azure-functions-durable")
    assert installed == _pinned("azure-functions-durable"), (
        f"azure-functions-durable {installed} is installed but requirements.txt pins "
        f"{_pinned('azure-functions-durable')}: reinstall (make test does), or verify devhost against the new SDK"
    )


def test_the_extension_bundle_has_the_floor_the_durable_task_scheduler_needs():
    host = json.loads((REPO / "host.json").read_text())
    assert host["extensionBundle"]["version"] == "[4.32.0, 5.0.0)"
