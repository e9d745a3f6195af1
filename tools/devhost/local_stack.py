"""``make run``: Azurite, the Content Understanding simulator and devhost side by side, output interleaved.

Starts Azurite on 127.0.0.1:10000 with its data in .azurite/ when it is installed (`make azurite-deps`), so file
ids, the duration models and the result copies run on the Blob Storage code they run on in Azure (the containers
the settings name are created once it listens); ``python -m tools.simulator``
(unless CONTENT_UNDERSTANDING_ENDPOINT points elsewhere) and ``python -m tools.devhost``; waits for each one's
ready line, prints how to try the app, and stops all on Ctrl-C / SIGTERM. If a child dies, the others are
stopped and the exit code is non-zero. Without Node.js or Azurite it runs Python only and says so.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

from tools.devhost.settings import read_route_prefix

ENDPOINT_SETTING = "CONTENT_UNDERSTANDING_ENDPOINT"
# Azurite's well-known port: what `UseDevelopmentStorage=true` and the example's container URLs mean.
AZURITE_PORT = 10000
AZURITE_HOSTS = (f"127.0.0.1:{AZURITE_PORT}", f"localhost:{AZURITE_PORT}")
STORAGE_SETTINGS = ("INPUT_CONTAINER_URL", "DURATION_MODEL_STORE", "RESULT_STORE")
# Without Azurite, what the stores fall back to (files under .devhost/): the same app, Python only.
PYTHON_ONLY_STORES = {
    "DURATION_MODEL_STORE": "file:.devhost/duration-models",
    "RESULT_STORE": "file:.devhost/result-copies",
}
SIMULATOR_READY = re.compile(r"listening on (https?://\S+)")
HOST_READY = re.compile(r"Host started\. Listening on (https?://\S+)")
READY_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 10.0
REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Child:
    """One child process whose output is streamed with a prefix and scanned for its ready line."""

    label: str
    command: list[str]
    ready_pattern: re.Pattern[str]
    cwd: Path
    env: dict[str, str] = field(default_factory=dict)
    inherit_env: bool = True  # False: `env` is the whole environment, passed as is (tests hand in a cleaned one)
    echo: bool = True  # stream the child's output, prefixed; tests and benchmarks keep it in `lines` only
    process: subprocess.Popen[str] | None = None
    ready_url: str | None = None
    lines: list[str] = field(default_factory=list)
    _ready: threading.Event = field(default_factory=threading.Event)
    _reader: threading.Thread | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter running our own modules
            self.command,
            cwd=self.cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            env=self._environment(),
            start_new_session=True,  # Ctrl-C reaches us only; we stop the children in order
            preexec_fn=_die_with_parent,  # only sets a Linux process attribute; no locks involved
        )
        self._reader = threading.Thread(target=self._pump, name=f"{self.label}-output", daemon=True)
        self._reader.start()

    def _environment(self) -> dict[str, str]:
        """Children find ``simulator`` and ``devhost`` even when the app dir is not the repo root."""
        if not self.inherit_env:
            return dict(self.env)
        paths = [str(REPO_ROOT), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
        return {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": os.pathsep.join(paths), **self.env}

    def _pump(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        for raw in self.process.stdout:
            line = raw.rstrip("\n")
            self.lines.append(line)
            if self.echo:
                _print(f"[{self.label}] {line}")
            if not self._ready.is_set() and (m := self.ready_pattern.search(line)):
                self.ready_url = m.group(1)
                self._ready.set()
        self._ready.set()  # output ended: wake any waiter

    def wait_ready(self, timeout: float) -> bool:
        self._ready.wait(timeout)
        return self.ready_url is not None

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL: no chance to flush or clean up (crash tests)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def stop(self, sig: int = signal.SIGTERM, timeout: float = STOP_TIMEOUT_SECONDS) -> int | None:
        """Send `sig`, SIGKILL after `timeout` seconds; the exit code (None if never started), with `lines` complete."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._reader is not None:
            self._reader.join(2)
        return self.process.returncode


def _die_with_parent() -> None:
    """Linux: the child gets SIGTERM if this process dies without stopping it (e.g. killed with -9)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def start_quiet(
    label: str,
    module_args: list[str],
    ready_pattern: re.Pattern[str],
    env: dict[str, str] | None = None,
    cwd: Path = REPO_ROOT,
) -> Child:
    """Start `python <module_args>` without echoing its output and wait for its ready line (tests, benchmarks).
    `cwd` comes first on the child's import path: another checkout's folder runs that checkout's modules."""
    child = Child(label, [sys.executable, *module_args], ready_pattern, cwd, env=env or {}, echo=False)
    child.start()
    if not child.wait_ready(READY_TIMEOUT_SECONDS):
        child.stop()
        raise RuntimeError(f"{label} did not start:\n" + "\n".join(child.lines[-50:]))
    return child


_print_lock = threading.Lock()


def _print(line: str) -> None:
    with _print_lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def ensure_local_settings(app_dir: Path) -> None:
    target = app_dir / "local.settings.json"
    example = app_dir / "local.settings.json.example"
    if target.exists() or not example.exists():
        return
    shutil.copyfile(example, target)
    _print(f"Created {target.name} from {example.name} (edit it to point at a real Content Understanding resource)")


def configured_value(app_dir: Path, name: str) -> str | None:
    """A setting as the host will see it: the environment first, then local.settings.json."""
    if os.environ.get(name):
        return os.environ[name]
    try:
        values = json.loads((app_dir / "local.settings.json").read_text(encoding="utf-8-sig")).get("Values") or {}
    except (OSError, ValueError):
        return None
    return values.get(name) or None


def configured_endpoint(app_dir: Path) -> str | None:
    """The endpoint the host will use: the environment first, then local.settings.json."""
    return configured_value(app_dir, ENDPOINT_SETTING)


def on_local_azurite(url: str | None) -> bool:
    return bool(url) and any(f"//{host}/" in url for host in AZURITE_HOSTS)


def azurite_containers(app_dir: Path) -> list[str]:
    """The containers the configured settings expect in the local Azurite (created once it listens)."""
    names = []
    for setting in STORAGE_SETTINGS:
        url = configured_value(app_dir, setting)
        if on_local_azurite(url):
            names.append(url.rstrip("/").rsplit("/", 1)[-1])
    return names


def port_in_use(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def storage_children(app_dir: Path) -> tuple[list[Child], dict[str, str]]:
    """Azurite when it is installed and the settings use it; else the Python-only defaults, said in one line."""
    from tools.azurite import azurite_child, missing_reason

    if not any(on_local_azurite(configured_value(app_dir, s)) for s in STORAGE_SETTINGS):
        return [], {}
    if port_in_use(AZURITE_PORT):
        _print(f"127.0.0.1:{AZURITE_PORT} is already in use (an Azurite of your own?); the app uses it as it is")
        return [], {}
    reason = missing_reason()
    if reason is None:
        return [azurite_child(AZURITE_PORT, app_dir / ".azurite", echo=True)], {}
    overrides = {
        setting: folder
        for setting, folder in PYTHON_ONLY_STORES.items()
        if on_local_azurite(configured_value(app_dir, setting))
    }
    _print(f"Azurite not started ({reason}): durations and result copies kept in .devhost/; file ids cannot be read")
    return [], overrides


def create_containers(names: list[str]) -> None:
    """Azurite starts empty: make the containers the settings name (azd creates them in Azure)."""
    from azure.core.exceptions import ResourceExistsError
    from azure.storage.blob import ContainerClient

    for name in names:
        with contextlib.suppress(ResourceExistsError):
            ContainerClient.from_connection_string("UseDevelopmentStorage=true", name).create_container()


def uses_simulator(endpoint: str | None, simulator_port: int) -> bool:
    if not endpoint:
        return True
    local = {f"http://{name}:{port}" for name in ("127.0.0.1", "localhost") for port in (7072, simulator_port)}
    return endpoint.rstrip("/") in local


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tools.devhost.local_stack", description=__doc__)
    parser.add_argument("--app-dir", default=".", help="function app folder (default: current folder)")
    parser.add_argument("--port", type=int, default=7071, help="devhost port (default 7071)")
    parser.add_argument("--simulator-port", type=int, default=7072, help="simulator port (default 7072)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    app_dir = Path(args.app_dir).resolve()
    ensure_local_settings(app_dir)
    children, storage_overrides = storage_children(app_dir)
    endpoint = configured_endpoint(app_dir)
    if uses_simulator(endpoint, args.simulator_port):
        children.append(
            Child(
                "simulator",
                [sys.executable, "-m", "tools.simulator", "--port", str(args.simulator_port)],
                SIMULATOR_READY,
                app_dir,
            )
        )
    else:
        _print(f"{ENDPOINT_SETTING} is set to a non-local endpoint; not starting the simulator")
    host_command = [
        sys.executable,
        "-m",
        "tools.devhost",
        "--port",
        str(args.port),
        "--app-dir",
        str(app_dir),
        "--json-not-found",
    ]
    children.append(Child("host", host_command, HOST_READY, app_dir, env=storage_overrides))

    stop_requested = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop_requested.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    try:
        return _run(children, stop_requested, app_dir, args.port)
    finally:
        for child in reversed(children):
            child.stop()


def _run(children: list[Child], stop_requested: threading.Event, app_dir: Path, port: int) -> int:
    for child in children:
        simulator = next((c for c in children if c.label == "simulator"), None)
        if child.label == "host" and simulator is not None:
            # The simulator's real URL (it may not be the default port) wins over local.settings.json.
            child.env[ENDPOINT_SETTING] = simulator.ready_url or ""
        child.start()
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while not child.wait_ready(0.2):
            if stop_requested.is_set():
                return 0
            if not child.alive() or time.monotonic() > deadline:
                why = "exited" if not child.alive() else f"was not ready within {READY_TIMEOUT_SECONDS:.0f}s"
                _print(f"{child.label} {why}; its output:")
                for line in child.lines:
                    _print(f"    {line}")
                return 1
        if child.label == "azurite":
            create_containers(azurite_containers(app_dir))
    _print_usage(children, app_dir, port)
    while not stop_requested.wait(0.5):
        for child in children:
            if not child.alive():
                _print(f"{child.label} exited unexpectedly (code {child.process.returncode}); stopping")  # type: ignore[union-attr]
                return 1
    _print("Stopping...")
    return 0


def _print_usage(children: list[Child], app_dir: Path, port: int) -> None:
    host = next(c for c in children if c.label == "host")
    base = host.ready_url or f"http://127.0.0.1:{port}"
    prefix = read_route_prefix(app_dir)
    api = f"{base}/{prefix}" if prefix else base
    _print("")
    for child in children:
        _print(f"  {child.label:<10} {child.ready_url}")
    _print("")
    _print("Try the seed flow:")
    body = '{"analyzerId":"prebuilt-invoice","inputFiles":["https://example.com/invoice.pdf"]}'
    _print(
        f"  curl -s -X POST {api}/pro-mode/content-analyzers/prebuilt-invoice:analyze "
        f"-H 'Content-Type: application/json' -d '{body}'"
    )
    _print("  # then, with the operationId from that answer:")
    _print(f"  curl -s {api}/pro-mode/content-analyzers/prebuilt-invoice/results/<operationId>")
    _print("Press Ctrl-C to stop.")


if __name__ == "__main__":
    raise SystemExit(main())
