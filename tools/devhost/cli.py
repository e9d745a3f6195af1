"""Command line of ``python -m tools.devhost`` (flags mirror ``func start`` where one exists)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import sys
import threading
import time
import traceback
from pathlib import Path

from tools.devhost.console import configure_logging
from tools.devhost.cors import CORS_ORIGINS_SETTING, cors_policy
from tools.devhost.host import DEFAULT_STATE_DIR, STATE_DIR_ENV, HostOptions, StartupError, serve
from tools.devhost.settings import apply_local_settings, read_request_body_size_limit

DEFAULT_PORT = 7071
FUNCTION_GRACE_SECONDS = 8.0
log = logging.getLogger("devhost")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tools.devhost", description="Local Azure Functions host.")
    parser.add_argument("--port", type=int, default=None, help="port to listen on (0 = any free port; default 7071)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--app-dir", default=".", help="folder holding function_app.py and host.json")
    parser.add_argument(
        "--state-dir",
        default=None,
        help=f"Durable state folder (default: ${STATE_DIR_ENV} or <app-dir>/{DEFAULT_STATE_DIR})",
    )
    parser.add_argument(
        "--cors",
        default=None,
        help="comma-separated origins allowed to call the functions (added to Host.CORS and CORS_ALLOWED_ORIGINS)",
    )
    parser.add_argument(
        "--cors-credentials", action="store_true", help="allow credentialed cross-origin requests (as func start)"
    )
    parser.add_argument(
        "--json-not-found",
        action="store_true",
        help="answer a path no function matches with a JSON 404 in the app's error shape (the real host: empty 404)",
    )
    parser.add_argument(
        "--no-local-settings",
        action="store_true",
        help="ignore <app-dir>/local.settings.json: the environment alone sets the app (tests, benchmarks)",
    )
    parser.add_argument("--verbose", action="store_true", help="debug logging")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with contextlib.suppress(AttributeError, ValueError):
        sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    configure_logging(args.verbose)
    app_dir = Path(args.app_dir).resolve()
    if not app_dir.is_dir():
        print(f"devhost: app dir {app_dir} does not exist", file=sys.stderr)
        return 2
    settings = apply_local_settings(app_dir, enabled=not args.no_local_settings)
    # Core Tools runs the app as Development unless told otherwise; so does devhost.
    os.environ.setdefault("AZURE_FUNCTIONS_ENVIRONMENT", "Development")
    if settings.applied:
        log.info("Applied %d settings from local.settings.json", len(settings.applied))
    port = args.port if args.port is not None else (settings.local_http_port or DEFAULT_PORT)
    state_dir = Path(args.state_dir or os.environ.get(STATE_DIR_ENV) or app_dir / DEFAULT_STATE_DIR)
    try:  # the platform's CORS: Host.CORS, --cors and the app setting (environment first, then Values)
        cors = cors_policy(
            [settings.cors, args.cors, os.environ.get(CORS_ORIGINS_SETTING)],
            credentials=args.cors_credentials or settings.cors_credentials,
        )
    except ValueError as exc:
        print(f"devhost: CORS: {exc}", file=sys.stderr)
        return 1
    options = HostOptions(
        app_dir=app_dir,
        state_dir=state_dir.resolve(),
        host=args.host,
        port=port,
        verbose=args.verbose,
        max_request_body_bytes=read_request_body_size_limit(),
        cors=cors,
        json_not_found=args.json_not_found,
    )
    sys.path[:] = [entry or os.getcwd() for entry in sys.path]  # keep imports working after chdir
    os.chdir(app_dir)  # the worker runs with the app root as working directory
    try:
        code = asyncio.run(serve(options))
    except KeyboardInterrupt:  # Ctrl-C before the signal handlers were installed
        return 130
    except StartupError as exc:
        print(f"devhost: {exc}", file=sys.stderr)
        return 1
    except Exception:
        print("devhost: the host failed:", file=sys.stderr)
        traceback.print_exc()
        return 1
    _leave_when_functions_finish(code)
    return code


def _leave_when_functions_finish(code: int) -> None:
    """Give functions still running on worker threads a grace period, then exit without them."""
    deadline = time.monotonic() + FUNCTION_GRACE_SECONDS
    while time.monotonic() < deadline:
        busy = [t for t in threading.enumerate() if t is not threading.main_thread() and not t.daemon and t.is_alive()]
        if not busy:
            return
        time.sleep(0.05)
    log.warning("Abandoning %d function execution(s) still running after %ss", len(busy), FUNCTION_GRACE_SECONDS)
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
