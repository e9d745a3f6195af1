"""Azurite, the Azure Storage emulator, from this folder's pinned npm package (`make azurite-deps`).

`make run` starts it beside the simulator and the tests start their own on a free port, so the blob store, SAS
minting and file ids run the code that runs in Azure. Blob service only, on 127.0.0.1 only, telemetry off.

`--skipApiVersionCheck` is needed: azure-storage-blob 12.31 sends x-ms-version 2026-10-06, newer than the
2025-11-05 that Azurite 3.35.0 (the newest release that runs on Node 20; 3.36+ need Node 21/22) knows. Everything
else stays strict (no `--loose`): unknown headers and parameters are refused as before.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
from dataclasses import dataclass
from pathlib import Path

from input_files.sas_urls import DEVELOPMENT_ACCOUNT, DEVELOPMENT_KEY
from tools.devhost.local_stack import Child

PACKAGE_DIR = Path(__file__).resolve().parent
AZURITE_BLOB = PACKAGE_DIR / "node_modules" / ".bin" / "azurite-blob"
READY = re.compile(r"successfully listens on (http://\S+)")
READY_TIMEOUT_SECONDS = 60.0
INSTALL_HINT = "run `make azurite-deps` (needs Node.js 18+ and npm)"


def missing_reason() -> str | None:
    """Why Azurite cannot start here (one line), or None when it can."""
    if shutil.which("node") is None:
        return "Azurite needs Node.js 18+ (no `node` on PATH), then `make azurite-deps`"
    if not AZURITE_BLOB.exists():
        return f"Azurite is not installed in {PACKAGE_DIR.name}/; {INSTALL_HINT}"
    return None


@dataclass
class Azurite:
    """A running Azurite blob service: its endpoint, the development account's connection string, stop()."""

    child: Child
    blob_endpoint: str  # http://127.0.0.1:<port>/devstoreaccount1

    @property
    def connection_string(self) -> str:
        return (
            f"DefaultEndpointsProtocol=http;AccountName={DEVELOPMENT_ACCOUNT};AccountKey={DEVELOPMENT_KEY};"
            f"BlobEndpoint={self.blob_endpoint};"
        )

    def container_url(self, container: str) -> str:
        return f"{self.blob_endpoint}/{container}"

    def stop(self) -> None:
        self.child.stop(signal.SIGTERM)


def azurite_command(port: int, location: Path | None) -> list[str]:
    command = [str(AZURITE_BLOB), "--blobHost", "127.0.0.1", "--blobPort", str(port)]
    command += ["--disableTelemetry", "--skipApiVersionCheck", "--silent"]
    if location is None:
        command += ["--inMemoryPersistence", "--extentMemoryLimit", "256"]
    else:
        location.mkdir(parents=True, exist_ok=True)
        command += ["--location", str(location)]
    return command


def azurite_child(port: int = 0, location: Path | None = None, echo: bool = False) -> Child:
    """The process, not started yet (local_stack starts it among its children)."""
    env = {"AZURITE_DB": ""} if "AZURITE_DB" in os.environ else {}  # never a developer's SQL metadata store
    child = Child("azurite", azurite_command(port, location), READY, PACKAGE_DIR, env=env, echo=echo)
    return child


def start_azurite(port: int = 0, location: Path | None = None) -> Azurite:
    """Start Azurite (port 0: a free one; no location: in memory) and wait until it listens."""
    reason = missing_reason()
    if reason:
        raise RuntimeError(reason)
    child = azurite_child(port, location)
    child.start()
    if not child.wait_ready(READY_TIMEOUT_SECONDS):
        child.stop()
        raise RuntimeError("Azurite did not start:\n" + "\n".join(child.lines[-30:]))
    return Azurite(child, f"{child.ready_url.rstrip('/')}/{DEVELOPMENT_ACCOUNT}")
