"""`python -m tools.simulator --port 7072`: serve until Ctrl+C / SIGTERM."""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from .handle import start_simulator
from .options import DEFAULT_DEPLOYMENTS


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tools.simulator", description=__doc__)
    parser.add_argument("--port", type=int, default=7072, help="0 picks a free port")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--duration", type=float, default=5.0, help="simulated analysis duration (s)")
    parser.add_argument("--key", default=None, help="accept only exactly this subscription key")
    parser.add_argument("--analyzers", default="", help="comma-separated custom analyzer ids to pre-create")
    parser.add_argument("--submit-fail", type=int, default=0, help="next N analyze calls answer 503")
    parser.add_argument("--submit-throttle", type=int, default=0, help="next N analyze calls answer 429")
    parser.add_argument("--public-base-url", default=None, help="base URL for Operation-Location ({port} ok)")
    parser.add_argument(
        "--no-default-models",
        action="store_true",
        help="the resource has no default model deployments: analyzers that need a model fail unless the "
        "request passes modelDeployments (or PATCH /contentunderstanding/defaults sets them)",
    )
    parser.add_argument(
        "--deployments",
        default=",".join(DEFAULT_DEPLOYMENTS),
        help="comma-separated model deployment names that exist (the defaults PATCH refuses others)",
    )
    parser.add_argument("--quiet", action="store_true", help="no per-request log lines")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    handle = start_simulator(
        port=args.port,
        host=args.host,
        duration=args.duration,
        key=args.key,
        analyzers=[a.strip() for a in args.analyzers.split(",") if a.strip()],
        submit_fail=args.submit_fail,
        submit_throttle=args.submit_throttle,
        public_base_url=args.public_base_url,
        default_models=not args.no_default_models,
        deployments=tuple(d.strip() for d in args.deployments.split(",") if d.strip()),
        quiet=args.quiet,
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print(f"Content Understanding simulator listening on {handle.base_url}", flush=True)
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        handle.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
