"""``python -m tools.devhost.local_stack`` (make run): simulator + host up, usage printed, clean stop."""

from __future__ import annotations

import json
import re
import shutil
import signal
import sys
from pathlib import Path

import pytest
import requests
from host_process import clean_env, start_module

from tests.support import wait_until

SAMPLE_APP = Path(__file__).parent / "sample_app"
USAGE_PRINTED = re.compile(r"^(Press Ctrl-C to stop\.)$")


class Stack:
    def __init__(self, app_dir: Path, env: dict[str, str]) -> None:
        args = ["-m", "tools.devhost.local_stack", "--app-dir", str(app_dir), "--port", "0", "--simulator-port", "0"]
        self._child = start_module("stack", args, USAGE_PRINTED, env)
        self.process = self._child.process
        assert self.process is not None

    @property
    def output(self) -> str:
        return "\n".join(self._child.lines)

    def wait_for_usage(self, timeout: float) -> None:
        assert self._child.wait_ready(timeout), f"the stack printed no usage:\n{self.output}"

    def url_of(self, label: str) -> str:
        m = re.search(rf"^  {label}\s+(http://\S+)$", self.output, re.MULTILINE)
        assert m, self.output
        return m.group(1)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15.0) -> int | None:
        """Send `sig` (SIGKILL after `timeout` seconds); the exit code, once all output has been read."""
        return self._child.stop(sig, timeout)


@pytest.fixture
def app_dir(tmp_path: Path) -> Path:
    target = tmp_path / "app"
    shutil.copytree(SAMPLE_APP, target, ignore=shutil.ignore_patterns("__pycache__", ".devhost"))
    example = {"Values": {"SAMPLE_HUB": "StackHub", "TICK_SCHEDULE": "0 0 0 1 1 *"}}
    (target / "local.settings.json.example").write_text(json.dumps(example))
    return target


def test_starts_both_prints_usage_and_stops_on_sigint(app_dir: Path):
    stack = Stack(app_dir, clean_env())
    try:
        stack.wait_for_usage(timeout=30)
        assert "Created local.settings.json from local.settings.json.example" in stack.output
        assert (app_dir / "local.settings.json").exists()
        assert "/pro-mode/content-analyzers/prebuilt-invoice:analyze" in stack.output
        assert "/results/<operationId>" in stack.output
        assert "[simulator] Content Understanding simulator listening on" in stack.output, stack.output[:800]
        simulator, host = stack.url_of("simulator"), stack.url_of("host")
        # The host was pointed at the simulator it started (its port is not the default here).
        endpoint = requests.get(f"{host}/api/settings/CONTENT_UNDERSTANDING_ENDPOINT").json()["value"]
        assert endpoint == simulator
        # make run answers a path no function matches with the JSON 404 (issue 16 item 8; the real host: empty).
        unmatched = requests.get(f"{host}/no/such/route", timeout=10)
        assert unmatched.status_code == 404
        assert unmatched.json()["code"] == "RouteNotFound"
        # The host logs the execution on its own schedule: the answer may arrive before the line does.
        wait_until(lambda: "[host] [" in stack.output and "Executed 'Functions.settings' (Succeeded" in stack.output)

        assert stack.stop(signal.SIGINT, timeout=20) == 0
        assert "Traceback" not in stack.output
        for url in (simulator, f"{host}/api/whoami"):
            with pytest.raises(requests.ConnectionError):
                requests.get(url, timeout=2)
    finally:
        stack.stop()


def test_children_do_not_outlive_a_killed_stack(app_dir: Path):
    stack = Stack(app_dir, clean_env())
    try:
        stack.wait_for_usage(timeout=30)
        simulator, host = stack.url_of("simulator"), stack.url_of("host")
        stack.process.kill()
        stack.process.wait()

        def both_gone() -> bool:
            for url in (simulator, f"{host}/admin/host/status"):
                try:
                    requests.get(url, timeout=1)
                    return False
                except requests.ConnectionError:
                    pass
            return True

        wait_until(both_gone, timeout=20)
    finally:
        stack.stop()


def test_host_that_cannot_start_fails_the_stack_with_its_output(app_dir: Path):
    (app_dir / "function_app.py").write_text("raise ImportError('broken sample app')\n")
    stack = Stack(app_dir, clean_env(CONTENT_UNDERSTANDING_ENDPOINT="https://example.invalid"))
    try:
        assert stack.process.wait(30) != 0
        assert "not starting the simulator" in stack.output
        assert "host exited; its output:" in stack.output
        assert "broken sample app" in stack.output
    finally:
        stack.stop()


def test_without_node_it_runs_python_only_and_says_so_in_one_line(app_dir: Path):
    from tools.devhost.local_stack import AZURITE_PORT, port_in_use

    if port_in_use(AZURITE_PORT):
        pytest.skip(f"127.0.0.1:{AZURITE_PORT} is in use on this machine (someone's Azurite): the stack would use it")
    values = {
        "SAMPLE_HUB": "StackHub",
        "TICK_SCHEDULE": "0 0 0 1 1 *",
        "INPUT_CONTAINER_URL": f"http://127.0.0.1:{AZURITE_PORT}/devstoreaccount1/pro-input-files",
        "DURATION_MODEL_STORE": f"http://127.0.0.1:{AZURITE_PORT}/devstoreaccount1/duration-models",
    }
    (app_dir / "local.settings.json.example").write_text(json.dumps({"Values": values}))
    python_only = str(Path(sys.executable).parent)  # the interpreter, and no node
    stack = Stack(app_dir, clean_env(PATH=python_only))
    try:
        stack.wait_for_usage(timeout=30)
        notes = [line for line in stack.output.splitlines() if "Azurite not started" in line]
        assert len(notes) == 1 and "Node.js" in notes[0], stack.output
        assert "[azurite]" not in stack.output
        store = requests.get(f"{stack.url_of('host')}/api/settings/DURATION_MODEL_STORE").json()["value"]
        assert store == "file:.devhost/duration-models"
    finally:
        stack.stop()
