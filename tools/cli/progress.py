"""Progress while waiting, on stderr: a live rich line on a terminal, plain lines otherwise, nothing with --quiet.

Plain lines (no ANSI control codes) are written once per change of state, check count or service status,
so a log or a CI job shows every step without a redraw.
"""

from __future__ import annotations

import time
from typing import TextIO

from rich.console import Console
from rich.live import Live
from rich.spinner import Spinner
from rich.text import Text


class Progress:
    """What the CLI knows of one operation: state, elapsed time, checks, the service's status."""

    def __init__(self, stream: TextIO, *, live: bool, quiet: bool = False) -> None:
        self._stream = stream
        self._quiet = quiet
        self._state = "starting"
        self._server_elapsed: float | None = None
        self._server_elapsed_at = time.monotonic()
        self._started = time.monotonic()
        self._checks: int | None = None
        self._service: str | None = None
        self._files: tuple[int, int] | None = None
        self._last_line: tuple | None = None
        self._live: Live | None = None
        self._spinner = Spinner("dots")
        self._frozen = False  # an ended operation's elapsed time no longer ticks
        if live and not quiet:
            console = Console(file=stream, stderr=True)
            self._live = Live(self, console=console, refresh_per_second=4, transient=False)
            self._live.start()

    # what the live display renders, again at each refresh (the elapsed time ticks between answers)
    def __rich__(self) -> Spinner:
        self._spinner.update(text=Text(self.summary()))
        return self._spinner

    def elapsed(self) -> float:
        if self._frozen and self._server_elapsed is not None:
            return self._server_elapsed
        if self._server_elapsed is None:
            return time.monotonic() - self._started
        return self._server_elapsed + (time.monotonic() - self._server_elapsed_at)

    def summary(self) -> str:
        parts = [f"{self._state:<10}"]
        if not (self._frozen and self._server_elapsed is None):
            parts.append(f"elapsed {self.elapsed():6.1f}s")
        if self._checks is not None:
            parts.append(f"checks {self._checks}")
        if self._service:
            parts.append(f"service {self._service}")
        if self._files is not None:
            parts.append(f"files {self._files[0]}/{self._files[1]}")
        return "  ".join(parts)

    def update(self, state: str, body: dict | None = None) -> None:
        """A new answer: the state ('submitted', 'processing', ...) and the 202 body, when there is one."""
        body = body or {}
        self._state = state
        if isinstance(body.get("elapsed_seconds"), int | float):
            self._server_elapsed = float(body["elapsed_seconds"])
            self._server_elapsed_at = time.monotonic()
        progress = body.get("progress") if isinstance(body.get("progress"), dict) else {}
        if isinstance(progress.get("attempts"), int):
            self._checks = progress["attempts"]
        if progress.get("azureStatus"):
            self._service = str(progress["azureStatus"])
        total, done = progress.get("filesTotal"), progress.get("filesDone")
        if isinstance(total, int) and total > 1 and isinstance(done, int):
            self._files = (done, total)
        if self._live is not None:
            self._live.refresh()
            return
        key = (self._state, self._checks, self._service, self._files)
        if key != self._last_line:
            self._last_line = key
            self.line(self.summary().rstrip())

    def finish(self, state: str, body: dict | None = None) -> None:
        """The last answer: the operation ended. Its elapsed time stops; a success shows every file done and the
        service's Succeeded, not the last 202's `Running 0/2`."""
        if state == "succeeded":
            self._service = "Succeeded"
            if self._files is not None:
                self._files = (self._files[1], self._files[1])
        # The CLI's own clock counts only when it saw the operation start or run (a POST, a 202); `wait` on an
        # operation that had already succeeded learns no time at all (the 200 is the service's result): no
        # elapsed is shown then rather than the 0.0 s `wait` took.
        seen_running = self._state != "starting"
        self._server_elapsed = self.elapsed() if seen_running else self._server_elapsed
        self._frozen = True
        self.update(state, body)  # an ended operation's 500 says how long it ran: that wins

    def line(self, text: str) -> None:
        """A line of its own (a note, the outcome); kept above the live line on a terminal."""
        if self._quiet:
            return
        if self._live is not None:
            self._live.console.print(Text(text))
            return
        self._stream.write(text + "\n")
        self._stream.flush()

    def close(self) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None
