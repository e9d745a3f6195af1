"""The CLI's decisions as pure functions: when to poll next, which exit code, what Ctrl-C does."""

from __future__ import annotations

from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

# Exit codes (tools/docs/cli.md lists them).
EXIT_OK = 0
EXIT_ANALYSIS_ENDED = 1  # failed, canceled or timed out (the 500 of an ended analysis), or another server error
EXIT_USAGE = 2  # bad command line, or the app refused the request (400, 409, 413)
EXIT_AUTH = 3  # 401, 403
EXIT_UNREACHABLE = 4  # no answer (connection refused, DNS, HTTP timeout), or 502/503/504/429
EXIT_NOT_FOUND = 5  # 404: unknown (or purged, or another analyzer / group) operation
EXIT_STILL_RUNNING = 6  # --timeout passed while the analysis was still running; it keeps running
EXIT_INTERRUPTED = 130  # Ctrl-C (the analysis was left running or canceled, as asked)

# Answers to polling that mean "not now", not "failed": wait Retry-After and poll again.
TRANSIENT_POLL_STATUSES = frozenset({429, 503})


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds a Retry-After header asks for (delta-seconds or an HTTP-date); None when absent or unreadable."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return float(int(text))
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return max(0.0, (moment - (now or datetime.now(timezone.utc))).total_seconds())


def next_poll_delay(retry_after: str | None, minimum_interval: float, now: datetime | None = None) -> float:
    """How long to wait before the next GET: never sooner than Retry-After, never sooner than --interval."""
    asked = parse_retry_after(retry_after, now)
    return max(minimum_interval, asked or 0.0)


def exit_code_for(status_code: int, body: object = None) -> int:
    """The exit code for a final answer of the app."""
    if status_code in (200, 202):
        return EXIT_OK
    if status_code in (401, 403):
        return EXIT_AUTH
    if status_code == 404:
        return EXIT_NOT_FOUND
    if status_code in (400, 405, 409, 413, 415, 422):
        return EXIT_USAGE
    if status_code in (429, 502, 503, 504):
        return EXIT_UNREACHABLE
    return EXIT_ANALYSIS_ENDED


def error_line(status_code: int, body: object) -> str:
    """One line for stderr from an error answer: the body's message, then its code (and more for ended analyses)."""
    if not isinstance(body, dict):
        return f"HTTP {status_code}: the app answered without a JSON error body"
    title = body.get("error") if isinstance(body.get("error"), str) else None
    message = body.get("message") if isinstance(body.get("message"), str) else None
    details = [f"HTTP {status_code}"]
    if body.get("code"):
        details.insert(0, f"code {body['code']}")
    if body.get("operationId"):
        details.append(f"operation {body['operationId']}")
    if isinstance(body.get("elapsed_seconds"), int | float):
        details.append(f"after {body['elapsed_seconds']:.1f}s")
    head = f"{title}: " if title else "error: "
    return f"{head}{message or 'no message'} ({', '.join(details)})"


def interrupt_action(stdin_is_tty: bool, answer: str | None) -> str:
    """What Ctrl-C while waiting does: 'cancel' (DELETE the operation) or 'leave' it running.

    Without a terminal there is nobody to ask: leave it running. With one, the prompt's default
    (Enter, EOF, another Ctrl-C: answer None) is to leave it; only 'c' or 'cancel' cancels.
    """
    if not stdin_is_tty or answer is None:
        return "leave"
    return "cancel" if answer.strip().lower() in ("c", "cancel") else "leave"


def resume_hint(operation_id: str, analyzer_id: str, extra_args: list[str] | None = None) -> str:
    """The command that goes on waiting for an operation left running."""
    return " ".join(["python -m tools.cli wait", operation_id, "--analyzer", analyzer_id, *(extra_args or [])])
