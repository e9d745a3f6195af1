"""The CLI's decisions without a network: poll timing, exit codes, Ctrl-C, tokens, plain progress lines."""

from __future__ import annotations

import io
from argparse import Namespace
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

from tools.cli import decisions
from tools.cli.api import Answer
from tools.cli.main import Runner, build_parser, resolve_token
from tools.cli.progress import Progress

NOW = datetime(2026, 11, 30, 5, 0, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("5", 5.0),
        (" 12 ", 12.0),
        ("0", 0.0),
        (format_datetime(NOW + timedelta(seconds=30), usegmt=True), 30.0),
        (format_datetime(NOW - timedelta(seconds=30), usegmt=True), 0.0),
        (None, None),
        ("", None),
        ("soon", None),
        ("-3", None),
    ],
)
def test_retry_after_is_read_as_seconds_or_an_http_date(header, expected):
    assert decisions.parse_retry_after(header, NOW) == expected


def test_the_next_poll_is_never_sooner_than_retry_after_nor_the_interval():
    assert decisions.next_poll_delay("5", 1.0, NOW) == 5.0  # the app's Retry-After wins over a shorter interval
    assert decisions.next_poll_delay("5", 8.0, NOW) == 8.0  # a longer --interval wins
    assert decisions.next_poll_delay(None, 1.0, NOW) == 1.0
    assert decisions.next_poll_delay("garbage", 2.0, NOW) == 2.0
    later = format_datetime(NOW + timedelta(seconds=20), usegmt=True)
    assert decisions.next_poll_delay(later, 1.0, NOW) == 20.0


@pytest.mark.parametrize(
    ("stdin_is_tty", "answer", "action"),
    [
        (False, None, "leave"),  # no terminal: nobody to ask, leave it running
        (False, "c\n", "leave"),
        (True, None, "leave"),  # EOF or a second Ctrl-C at the prompt
        (True, "\n", "leave"),  # Enter takes the default, L
        (True, "l\n", "leave"),
        (True, "L\n", "leave"),
        (True, "yes\n", "leave"),
        (True, "c\n", "cancel"),
        (True, " C \n", "cancel"),
        (True, "cancel\n", "cancel"),
    ],
)
def test_ctrl_c_cancels_only_when_a_person_at_a_terminal_says_c(stdin_is_tty, answer, action):
    assert decisions.interrupt_action(stdin_is_tty, answer) == action


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (200, 0),
        (202, 0),
        (500, 1),
        (400, 2),
        (409, 2),
        (413, 2),
        (401, 3),
        (403, 3),
        (404, 5),
        (429, 4),
        (502, 4),
        (503, 4),
    ],
)
def test_exit_codes_by_status(status, code):
    assert decisions.exit_code_for(status) == code


def test_the_error_line_carries_message_and_code():
    ended = {
        "error": "Analysis failed",
        "message": "The file is corrupted.",
        "code": "InvalidContent",
        "status": "failed",
        "operationId": "op-1",
        "elapsed_seconds": 3.25,
    }
    line = decisions.error_line(500, ended)
    assert line.startswith("Analysis failed: The file is corrupted. (")
    assert "code InvalidContent" in line and "operation op-1" in line and "after 3.2s" in line
    assert decisions.error_line(404, None) == "HTTP 404: the app answered without a JSON error body"


def test_resume_hint_is_a_wait_command():
    hint = decisions.resume_hint("op-1", "prebuilt-invoice", ["--group", "g1"])
    assert hint == "python -m tools.cli wait op-1 --analyzer prebuilt-invoice --group g1"


def test_token_comes_from_the_flag_then_the_environment():
    parser = build_parser()
    args = parser.parse_args(["status", "op", "--analyzer", "a", "--token", "from-flag"])
    assert resolve_token(args, {"ANALYSIS_TOKEN": "from-env"}) == "from-flag"
    args = parser.parse_args(["status", "op", "--analyzer", "a"])
    assert resolve_token(args, {"ANALYSIS_TOKEN": "from-env"}) == "from-env"
    assert resolve_token(args, {}) is None
    with pytest.raises(SystemExit):  # one source of token at a time
        parser.parse_args(["status", "op", "--analyzer", "a", "--token", "t", "--azure-identity", "api://x/.default"])


def test_plain_progress_is_one_line_per_change_without_escape_codes():
    stream = io.StringIO()
    progress = Progress(stream, live=False)
    progress.update("submitted", {"operationId": "op"})
    running = {"elapsed_seconds": 1.0, "progress": {"azureStatus": "Running", "attempts": 1}}
    progress.update("processing", running)
    progress.update("processing", running)  # nothing new: no line
    progress.update("processing", {"elapsed_seconds": 2.0, "progress": {"azureStatus": "Running", "attempts": 2}})
    files = {"azureStatus": "Running", "attempts": 2, "filesTotal": 3, "filesDone": 1}
    progress.update("processing", {"elapsed_seconds": 2.5, "progress": files})
    progress.finish("succeeded")
    progress.close()
    lines = stream.getvalue().splitlines()
    assert [line.split()[0] for line in lines] == ["submitted", "processing", "processing", "processing", "succeeded"]
    assert "checks 2" in lines[2] and "service Running" in lines[2]
    assert lines[3].endswith("files 1/3")
    assert "service Succeeded" in lines[4] and lines[4].endswith("files 3/3")  # not the last 202's Running 1/3
    assert "\x1b" not in stream.getvalue()


def test_an_ended_operation_shows_how_long_it_ran_not_zero():
    """`wait` on an operation that ended before the CLI started: the 500's elapsed_seconds, frozen."""
    stream = io.StringIO()
    progress = Progress(stream, live=False)
    progress.finish("canceled", {"status": "canceled", "elapsed_seconds": 9.6})
    assert "elapsed    9.6s" in stream.getvalue()
    assert progress.elapsed() == 9.6


def test_an_operation_that_had_already_succeeded_shows_no_elapsed_time_rather_than_zero():
    """`wait` later on a success: the 200 is the service's result and says nothing of time; `elapsed 0.0s` (how long
    `wait` took) would be wrong, so no elapsed time is shown."""
    stream = io.StringIO()
    progress = Progress(stream, live=False)
    progress.finish("succeeded")
    assert stream.getvalue().split() == ["succeeded", "service", "Succeeded"]


class FakeApi:
    """Answers a scripted list of results answers and records when it was asked (in fake time)."""

    base_url = "http://127.0.0.1:9"

    def __init__(self, answers: list[Answer], clock: list[float]):
        self.answers = answers
        self.clock = clock
        self.asked_at: list[float] = []
        self.canceled: list[str] = []

    def results(self, analyzer_id, operation_id):
        self.asked_at.append(self.clock[0])
        return self.answers.pop(0)

    def cancel(self, analyzer_id, operation_id):
        self.canceled.append(operation_id)
        return Answer(202, {"status": "canceling"})


def processing(retry_after: str | None) -> Answer:
    headers = {"Retry-After": retry_after} if retry_after else {}
    body = {"status": "processing", "elapsed_seconds": 1.0, "progress": {"attempts": 1, "azureStatus": "Running"}}
    return Answer(202, body, headers)


def runner_for(api, clock, *, stdin=None, interval=1.0, timeout=900.0):
    args = Namespace(analyzer="a", group=None, quiet=False, timeout=timeout, interval=interval, out=None)

    def sleep(seconds):
        clock[0] += seconds

    return Runner(
        args,
        api,
        stdout=io.StringIO(),
        stderr=io.StringIO(),
        stdin=stdin or io.StringIO(),
        sleep=sleep,
        clock=lambda: clock[0],
    )


def test_polling_waits_what_each_answer_asks_before_the_next_get():
    clock = [0.0]
    answers = [processing("3"), processing(None), Answer(503, {"code": "ServiceUnavailable"}, {"Retry-After": "7"})]
    answers += [Answer(200, {"id": "x", "status": "Succeeded"})]
    api = FakeApi(answers, clock)
    runner = runner_for(api, clock, interval=2.0)
    submitted = Answer(202, {"status": "submitted", "operationId": "op"}, {"Retry-After": "5"})
    assert runner.wait_for("op", first_answer=submitted) == 0
    # The POST's Retry-After 5, then 3 (over --interval 2), then no header: the interval, then the 503's 7.
    assert api.asked_at == [5.0, 8.0, 10.0, 17.0]
    assert '"Succeeded"' in runner.stdout.getvalue()


def test_polling_gives_up_at_the_timeout_without_polling_early():
    clock = [0.0]
    api = FakeApi([processing("5"), processing("5")], clock)
    runner = runner_for(api, clock, timeout=7.0)
    assert runner.wait_for("op") == decisions.EXIT_STILL_RUNNING
    assert api.asked_at == [0.0, 5.0]  # the next one (at 10 s) would be past the deadline
    assert "python -m tools.cli wait op" in runner.stderr.getvalue()


class Interrupting:
    """A sleep that is interrupted by Ctrl-C."""

    def __call__(self, seconds):
        raise KeyboardInterrupt


class Tty(io.StringIO):
    def isatty(self):
        return True


@pytest.mark.parametrize(("stdin", "canceled"), [(io.StringIO("c\n"), []), (Tty("c\n"), ["op"]), (Tty("\n"), [])])
def test_ctrl_c_while_waiting_asks_only_on_a_terminal(stdin, canceled):
    clock = [0.0]
    api = FakeApi([processing("5")], clock)
    runner = runner_for(api, clock, stdin=stdin)
    runner.sleep = Interrupting()
    assert runner.wait_for("op") == decisions.EXIT_INTERRUPTED
    assert api.canceled == canceled
    err = runner.stderr.getvalue()
    assert ("[c/L]" in err) == isinstance(stdin, Tty)
    if not canceled:
        assert "left running: operation op" in err and "python -m tools.cli wait op --analyzer a" in err


def test_azure_identity_asks_default_azure_credential_for_the_scope(monkeypatch):
    import azure.identity

    from tools.cli.main import NoToken

    asked = []

    class Credential:
        def get_token(self, scope):
            asked.append(scope)
            if scope == "api://broken/.default":
                raise RuntimeError("not signed in")
            return Namespace(token="developer-token")

    monkeypatch.setattr(azure.identity, "DefaultAzureCredential", Credential)
    parser = build_parser()
    args = parser.parse_args(["status", "op", "--analyzer", "a", "--azure-identity", "api://app/.default"])
    assert resolve_token(args, {"ANALYSIS_TOKEN": "ignored"}) == "developer-token"
    assert asked == ["api://app/.default"]
    args = parser.parse_args(["status", "op", "--analyzer", "a", "--azure-identity", "api://broken/.default"])
    with pytest.raises(NoToken, match="not signed in"):
        resolve_token(args, {})
