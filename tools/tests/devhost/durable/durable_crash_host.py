"""Subprocess entry for the crash-recovery test: an engine + management API until it is killed.

Usage: python durable_crash_host.py <db_path> <port_file>
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[4]))  # the repository root, for `tools.devhost`
sys.path.insert(0, str(Path(__file__).resolve().parent))

from durable_apps import build_engine, serve


async def main(db_path: Path, port_file: Path) -> None:
    engine = build_engine(db_path)
    await engine.start()
    _runner, base_url = await serve(engine)
    port_file.write_text(base_url)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), Path(sys.argv[2])))
