"""python -m tools.cli: submit an analysis through the app and wait for it, or look at one.

  analyze <url-or-file-id>... --analyzer ID   submit, then wait like `wait` and print the result
  status <operationId> --analyzer ID          one GET: the state on stderr, the body on stdout
  cancel <operationId> --analyzer ID          DELETE
  wait <operationId> --analyzer ID            poll until the analysis ends, then print the result

The result goes to stdout (or --out FILE), progress and errors to stderr. Exit codes: 0 done, 1 the analysis
failed / was canceled / timed out, 2 usage or a refused request, 3 authentication, 4 app unreachable or
unavailable, 5 unknown operation, 6 still running at --timeout, 130 Ctrl-C. See tools/docs/cli.md.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

from tools.cli import decisions
from tools.cli.api import AnalysisApi, Answer, Unreachable
from tools.cli.decisions import (
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_STILL_RUNNING,
    EXIT_UNREACHABLE,
    EXIT_USAGE,
    TRANSIENT_POLL_STATUSES,
)
from tools.cli.progress import Progress

DEFAULT_BASE_URL = "http://127.0.0.1:7071"
DEFAULT_INTERVAL_SECONDS = 1.0
DEFAULT_TIMEOUT_SECONDS = 900.0
DEFAULT_RETRY_AFTER_SECONDS = 5.0  # when a 429/503 gives none
PROMPT = "Cancel the analysis (DELETE) or leave it running? [c/L] "


class UsageError(Exception):
    pass


class NoToken(Exception):
    """--azure-identity could not get a token (not signed in, no credential for that scope)."""


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--analyzer", required=True, metavar="ID", help="analyzer id, e.g. prebuilt-invoice")
    common.add_argument(
        "--base-url",
        default=os.environ.get("ANALYSIS_BASE_URL") or DEFAULT_BASE_URL,
        help=f"the app's URL (default: $ANALYSIS_BASE_URL or {DEFAULT_BASE_URL})",
    )
    common.add_argument("--group", metavar="GROUP_ID", help="sent as X-Group-ID")
    auth = common.add_mutually_exclusive_group()
    auth.add_argument("--token", help="bearer token (default: $ANALYSIS_TOKEN)")
    auth.add_argument(
        "--azure-identity",
        metavar="SCOPE",
        help="get a bearer token for SCOPE from azure-identity's DefaultAzureCredential (a signed-in developer)",
    )
    common.add_argument("--quiet", "-q", action="store_true", help="no progress output")

    waiting = argparse.ArgumentParser(add_help=False)
    waiting.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT_SECONDS,
        help="stop waiting after this many seconds; the analysis keeps running "
        f"(default {DEFAULT_TIMEOUT_SECONDS:.0f})",
    )
    waiting.add_argument(
        "--interval",
        type=float,
        default=DEFAULT_INTERVAL_SECONDS,
        help="minimum seconds between two polls; a longer Retry-After from the app always wins "
        f"(default {DEFAULT_INTERVAL_SECONDS})",
    )
    waiting.add_argument("--out", metavar="FILE", help="write the result JSON to FILE instead of stdout")

    parser = argparse.ArgumentParser(
        prog="python -m tools.cli",
        description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    analyze = commands.add_parser("analyze", parents=[common, waiting], help="submit an analysis and wait for it")
    analyze.add_argument("inputs", nargs="+", metavar="URL_OR_FILE_ID", help="https URLs or file ids")
    analyze.add_argument("--pages", help="page range such as 1-3,5")
    analyze.add_argument(
        "--idempotency-key", help="sent as Idempotency-Key: the same key never starts a second analysis"
    )
    analyze.add_argument("--no-wait", action="store_true", help="print the 202 answer and exit without waiting")
    for name, help_text, parents in (
        ("status", "one GET: print the state and the body", [common]),
        ("cancel", "cancel a running analysis (DELETE)", [common]),
        ("wait", "poll until the analysis ends and print the result", [common, waiting]),
    ):
        command = commands.add_parser(name, parents=parents, help=help_text)
        command.add_argument("operation_id", metavar="OPERATION_ID")
    return parser


def resolve_token(args: argparse.Namespace, environ: dict[str, str] | None = None) -> str | None:
    """--token, then --azure-identity SCOPE, then $ANALYSIS_TOKEN; None means no Authorization header."""
    if args.token:
        return args.token
    if args.azure_identity:
        try:
            from azure.identity import DefaultAzureCredential
        except ImportError as exc:  # pragma: no cover - azure-identity is an app dependency
            raise UsageError("--azure-identity needs the azure-identity package") from exc
        try:
            return DefaultAzureCredential().get_token(args.azure_identity).token
        except Exception as exc:
            raise NoToken(f"could not get a token for {args.azure_identity}: {exc}") from exc
    return (environ if environ is not None else os.environ).get("ANALYSIS_TOKEN") or None


class Runner:
    """One command's run: the API, where output goes, and how Ctrl-C is answered."""

    def __init__(
        self,
        args: argparse.Namespace,
        api: AnalysisApi,
        *,
        stdout=None,
        stderr=None,
        stdin=None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.args = args
        self.api = api
        self.stdout = stdout or sys.stdout
        self.stderr = stderr or sys.stderr
        self.stdin = stdin or sys.stdin
        self.sleep = sleep
        self.clock = clock

    # --- output -------------------------------------------------------------------------------------
    def note(self, text: str) -> None:
        if not self.args.quiet:
            self.stderr.write(text + "\n")
            self.stderr.flush()

    def fail(self, answer: Answer) -> int:
        self.stderr.write(decisions.error_line(answer.status, answer.body) + "\n")
        self.stderr.flush()
        return decisions.exit_code_for(answer.status, answer.body)

    def emit_result(self, body: object) -> None:
        text = json.dumps(body, indent=2, ensure_ascii=False) + "\n"
        out = getattr(self.args, "out", None)
        if out:
            Path(out).write_text(text, encoding="utf-8")
            self.note(f"result saved to {out}")
        else:
            self.stdout.write(text)
            self.stdout.flush()

    def is_terminal(self, stream) -> bool:
        try:
            return stream.isatty()
        except (AttributeError, ValueError):
            return False

    # --- commands -----------------------------------------------------------------------------------
    def analyze(self) -> int:
        answer = self.api.analyze(self.args.analyzer, self.args.inputs, self.args.pages, self.args.idempotency_key)
        if answer.status not in (200, 202) or not answer.fields.get("operationId"):
            return self.fail(answer) if answer.status not in (200, 202) else self._unexpected(answer)
        operation_id = str(answer.fields["operationId"])
        if self.args.no_wait:
            self.stdout.write(json.dumps(answer.body, indent=2, ensure_ascii=False) + "\n")
            return EXIT_OK
        return self.wait_for(operation_id, first_answer=answer)

    def status(self) -> int:
        answer = self.api.results(self.args.analyzer, self.args.operation_id)
        if answer.status not in (200, 202) and not (answer.status == 500 and answer.fields.get("status")):
            return self.fail(answer)
        self.note(f"{state_of(answer)} (HTTP {answer.status})")
        self.stdout.write(json.dumps(answer.body, indent=2, ensure_ascii=False) + "\n")
        return decisions.exit_code_for(answer.status, answer.body)

    def cancel(self) -> int:
        answer = self.api.cancel(self.args.analyzer, self.args.operation_id)
        if answer.status != 202:
            return self.fail(answer)
        self.note(f"canceling: operation {self.args.operation_id}")
        return EXIT_OK

    def wait(self) -> int:
        return self.wait_for(self.args.operation_id)

    # --- waiting ------------------------------------------------------------------------------------
    def wait_for(self, operation_id: str, first_answer: Answer | None = None) -> int:
        progress = None
        try:  # from here on, Ctrl-C knows the operation: it asks, or says how to resume
            if first_answer is not None:
                self.note(f"submitted: operation {operation_id}")
            live = self.is_terminal(self.stderr) and not self.args.quiet
            progress = Progress(self.stderr, live=live, quiet=self.args.quiet)
            return self._poll(operation_id, progress, first_answer)
        except KeyboardInterrupt:
            if progress is not None:
                progress.close()
            return self.interrupted(operation_id)
        finally:
            if progress is not None:
                progress.close()

    def _poll(self, operation_id: str, progress: Progress, answer: Answer | None) -> int:
        deadline = self.clock() + self.args.timeout
        if answer is not None:
            progress.update("submitted", answer.fields)
        while True:
            if answer is not None:
                delay = decisions.next_poll_delay(answer.header("Retry-After"), self.args.interval)
                if answer.status in TRANSIENT_POLL_STATUSES and answer.header("Retry-After") is None:
                    delay = max(delay, DEFAULT_RETRY_AFTER_SECONDS)
                remaining = deadline - self.clock()
                if delay > remaining:
                    self.sleep(max(remaining, 0.0))
                    progress.close()
                    self.stderr.write(
                        f"still running after {self.args.timeout:g}s; the analysis goes on. Resume with: "
                        f"{self.resume(operation_id)}\n"
                    )
                    return EXIT_STILL_RUNNING
                self.sleep(delay)
            try:
                answer = self.api.results(self.args.analyzer, operation_id)
            except Unreachable as exc:
                progress.close()
                self.stderr.write(
                    f"{exc}\nThe analysis may still be running. Resume with: {self.resume(operation_id)}\n"
                )
                return EXIT_UNREACHABLE
            if answer.status == 202:
                progress.update("processing", answer.fields)
                continue
            if answer.status in TRANSIENT_POLL_STATUSES:
                progress.line(decisions.error_line(answer.status, answer.body) + "; trying again")
                continue
            if answer.status == 200:
                progress.finish("succeeded")
                progress.close()
                self.emit_result(answer.body)
                return EXIT_OK
            # An ended analysis' 500 carries how long it ran (elapsed_seconds): shown as is, never a local 0.0 s.
            progress.finish(str(answer.fields.get("status") or f"HTTP {answer.status}"), answer.fields)
            progress.close()
            return self.fail(answer)

    def resume(self, operation_id: str) -> str:
        extra = ["--base-url", self.api.base_url]
        if self.args.group:
            extra += ["--group", self.args.group]
        return decisions.resume_hint(operation_id, self.args.analyzer, extra)

    def interrupted(self, operation_id: str) -> int:
        """Ctrl-C while waiting: ask (on a terminal) whether to cancel the analysis or leave it running."""
        answer = None
        stdin_is_tty = self.is_terminal(self.stdin)
        if stdin_is_tty:
            self.stderr.write("\n" + PROMPT)
            self.stderr.flush()
            try:
                answer = self.stdin.readline()
                answer = answer if answer else None  # EOF
            except (KeyboardInterrupt, EOFError):
                answer = None
        if decisions.interrupt_action(stdin_is_tty, answer) == "cancel":
            try:
                canceled = self.api.cancel(self.args.analyzer, operation_id)
            except Unreachable as exc:
                self.stderr.write(f"{exc}\n")
                return EXIT_UNREACHABLE
            if canceled.status != 202:
                self.fail(canceled)
            else:
                self.stderr.write(f"canceled: operation {operation_id}\n")
            return EXIT_INTERRUPTED
        self.stderr.write(f"\nleft running: operation {operation_id}\nResume with: {self.resume(operation_id)}\n")
        return EXIT_INTERRUPTED

    def _unexpected(self, answer: Answer) -> int:
        self.stderr.write(f"unexpected answer (HTTP {answer.status}) without an operationId: {answer.body}\n")
        return decisions.EXIT_ANALYSIS_ENDED


def state_of(answer: Answer) -> str:
    """The state a results answer says: processing, succeeded, failed / canceled / timeout, or the HTTP error."""
    if answer.status == 202:
        return str(answer.fields.get("status") or "processing")
    if answer.status == 200:
        return "succeeded"
    if answer.status == 500 and answer.fields.get("status"):
        return str(answer.fields["status"])
    code = answer.fields.get("code")
    return f"error {code}" if code else "error"


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "interval", 1.0) < 0 or getattr(args, "timeout", 1.0) <= 0:
        parser.error("--interval must be >= 0 and --timeout > 0")
    out = getattr(args, "out", None)
    if out and not Path(out).resolve().parent.is_dir():
        parser.error(f"--out {out}: the folder does not exist")
    try:
        token = resolve_token(args)
    except UsageError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return EXIT_USAGE
    except NoToken as exc:
        sys.stderr.write(f"error: {exc}\n")
        return decisions.EXIT_AUTH
    api = AnalysisApi(args.base_url, token=token, group_id=args.group)
    runner = Runner(args, api)
    try:
        return getattr(runner, args.command)()
    except Unreachable as exc:
        sys.stderr.write(f"{exc}\n")
        return EXIT_UNREACHABLE
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        return EXIT_INTERRUPTED
    except OSError as exc:  # e.g. --out in a folder that does not exist
        sys.stderr.write(f"error: {exc}\n")
        return EXIT_USAGE
