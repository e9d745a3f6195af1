"""Backend profiles: where the real Durable backends are less kind than one SQLite process.

One setting picks the profile, ``DEVHOST_DURABLE_PROFILE`` = ``exact`` (default) | ``azure-storage`` | ``dts``.
Every profile enforces what the extension enforces whatever the backend (the 16 KB custom status limit and
``functionTimeout``); the backend profiles add what their provider does differently. The sources of each
behaviour are cited in tools/docs/devhost-durable.md ("Backend profiles"). ``DEVHOST_DURABLE_TIMER_DELAY_SECONDS``
makes every timer that late on any profile: a stress bound, not a backend's behaviour (the docs say why).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace

PROFILE_SETTING = "DEVHOST_DURABLE_PROFILE"
LATE_SECONDS_SETTING = "DEVHOST_DURABLE_LATE_SECONDS"
TIMER_DELAY_SETTING = "DEVHOST_DURABLE_TIMER_DELAY_SECONDS"
# DTFx TaskHubQueue: the queue poller starts at 50 ms and backs off to maxQueuePollingInterval (30 s default).
QUEUE_POLL_MIN_SECONDS = 0.05
DEFAULT_MAX_QUEUE_POLLING_SECONDS = 30.0
# Extension (DurableOrchestrationContext.SetCustomStatus): 16 KB of UTF-16 JSON, checked in whole KB.
CUSTOM_STATUS_MAX_KB = 16
# Durable Task Scheduler: about 1 MiB per payload, no large-payload offload for the Python 1.x SDK.
DTS_MAX_MESSAGE_BYTES = 1024 * 1024
# Durable Task Scheduler purges by filter in bounded batches (PurgeResult.IsComplete=false: call again).
DTS_PURGE_BATCH = 2


@dataclass(frozen=True)
class BackendProfile:
    name: str
    # azure-storage: start_new checks, then enqueues the start message, then inserts the instance row; a
    # concurrent start of the same new id passes the check too, its row insert conflicts (ignored) and its
    # start message is later discarded as a duplicate. The window is how long the check and insert are apart.
    atomic_start: bool = True
    start_race_seconds: float = 0.0
    # azure-storage: timers and terminate requests are queue messages found by a poller that backs off
    # from 50 ms to this cap while the queue is idle (None: delivered exactly when due).
    max_queue_polling_seconds: float | None = None
    created_time_resets_on_continue_as_new: bool = False
    # dts: any one payload (input, activity input/output, continue-as-new input, output, event) over this fails.
    max_message_bytes: int | None = None
    # dts: a filtered purge deletes at most this many instances per call (None: all of them).
    purge_batch: int | None = None
    # Any profile: every TimerFired is delivered this much after its fireAt (the event keeps its fireAt). No
    # backend does this to every timer; it is the bound the app's default timeout leaves room for.
    timer_delay_seconds: float = 0.0

    def describe(self) -> str:
        parts = [self.name]
        if not self.atomic_start:
            parts.append(f"non-atomic start ({self.start_race_seconds:g}s window)")
        if self.max_queue_polling_seconds is not None:
            parts.append(f"timers/terminates polled with back-off up to {self.max_queue_polling_seconds:g}s")
        if self.created_time_resets_on_continue_as_new:
            parts.append("createdTime reset on continue-as-new")
        if self.max_message_bytes is not None:
            parts.append(f"{self.max_message_bytes} byte message limit")
        if self.purge_batch is not None:
            parts.append(f"purge by filter in batches of {self.purge_batch}")
        if self.timer_delay_seconds:
            parts.append(f"every timer {self.timer_delay_seconds:g}s late")
        return ", ".join(parts)


PROFILES: dict[str, BackendProfile] = {
    "exact": BackendProfile("exact"),
    "azure-storage": BackendProfile(
        "azure-storage",
        atomic_start=False,
        start_race_seconds=0.05,
        max_queue_polling_seconds=DEFAULT_MAX_QUEUE_POLLING_SECONDS,
        created_time_resets_on_continue_as_new=True,
    ),
    "dts": BackendProfile("dts", max_message_bytes=DTS_MAX_MESSAGE_BYTES, purge_batch=DTS_PURGE_BATCH),
}


class ProfileError(ValueError):
    """A profile setting has a value devhost cannot use (the message says which and why)."""


def profile_from_settings(environ: Mapping[str, str] | None = None) -> BackendProfile:
    """The profile the settings choose; ``DEVHOST_DURABLE_LATE_SECONDS`` caps the azure-storage poller,
    ``DEVHOST_DURABLE_TIMER_DELAY_SECONDS`` delays every timer on any profile."""
    environ = os.environ if environ is None else environ
    name = (environ.get(PROFILE_SETTING) or "exact").strip().lower()
    if name not in PROFILES:
        raise ProfileError(f"{PROFILE_SETTING}={name!r} is not one of {', '.join(PROFILES)}")
    profile = PROFILES[name]
    if profile.max_queue_polling_seconds is not None:
        late = _seconds_setting(environ, LATE_SECONDS_SETTING, QUEUE_POLL_MIN_SECONDS)
        if late is not None:
            profile = replace(profile, max_queue_polling_seconds=late)
    delay = _seconds_setting(environ, TIMER_DELAY_SETTING, 0)
    if delay is not None:
        profile = replace(profile, timer_delay_seconds=delay)
    return profile


def _seconds_setting(environ: Mapping[str, str], name: str, minimum: float) -> float | None:
    """The setting in seconds, None when it is unset; a ProfileError unless it is a number >= minimum."""
    text = (environ.get(name) or "").strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not seconds >= minimum:
        raise ProfileError(f"{name}={text!r} must be a number of seconds >= {minimum}")
    return seconds


def next_poll_interval(current: float, cap: float) -> float:
    """DTFx's RandomizedExponentialBackoffStrategy without the +-20 % jitter: min + min * 2^(k-1), up to cap."""
    if current <= 0:
        return QUEUE_POLL_MIN_SECONDS
    step = current - QUEUE_POLL_MIN_SECONDS
    grown = QUEUE_POLL_MIN_SECONDS + (step * 2 if step > 0 else QUEUE_POLL_MIN_SECONDS)
    return min(grown, cap)


def custom_status_error(custom_status_json: str | None) -> str | None:
    """The extension's refusal of a custom status over 16 KB (UTF-16 bytes, whole KB), or None when it fits."""
    if custom_status_json is None:
        return None
    size_kb = int(len(custom_status_json.encode("utf-16-le")) / 1024.0)
    if size_kb <= CUSTOM_STATUS_MAX_KB:
        return None
    return (
        f"The UTF-16 size of the JSON-serialized payload must not exceed {CUSTOM_STATUS_MAX_KB:,} KB. "
        f"The current payload size is {size_kb:,} KB."
    )


def message_size_error(profile: BackendProfile, what: str, payload: str | None) -> str | None:
    """The Durable Task Scheduler's refusal of a payload over its message limit, or None when it fits."""
    if profile.max_message_bytes is None or payload is None:
        return None
    size = len(payload.encode("utf-8"))
    if size <= profile.max_message_bytes:
        return None
    return (
        f'Status(StatusCode="ResourceExhausted", Detail="{what} of {size} bytes exceeds the Durable Task '
        f'Scheduler message size limit of {profile.max_message_bytes} bytes")'
    )


_TIMESPAN = re.compile(r"^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d+))?$")


def parse_function_timeout(value: object) -> float | None:
    """host.json ``functionTimeout`` ("hh:mm:ss", "d.hh:mm:ss", "-1" = unbounded) in seconds; None = unbounded."""
    if value is None:
        return None
    text = str(value).strip()
    if text in ("", "-1"):
        return None
    match = _TIMESPAN.match(text)
    if not match:
        raise ProfileError(f"functionTimeout {text!r} is not a TimeSpan such as 00:10:00")
    days, hours, minutes, seconds, fraction = match.groups()
    total = int(days or 0) * 86400 + int(hours) * 3600 + int(minutes) * 60 + int(seconds)
    if fraction:
        total += float(f"0.{fraction}")
    return float(total)


def format_timespan(seconds: float) -> str:
    """The TimeSpan text the host prints in its timeout message (00:10:00, 00:00:01.5000000)."""
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    text = f"{hours:02d}:{minutes:02d}:{secs:02d}"
    fraction = seconds - whole
    if fraction > 0:
        text += f".{round(fraction * 10_000_000):07d}"
    return text


def function_timeout_message(seconds: float | None, function_name: str) -> str:
    """The host's FunctionTimeoutException message (HTTP and timer functions, activities, orchestrator episodes)."""
    return f"Timeout value of {format_timespan(seconds or 0)} was exceeded by function: Functions.{function_name}"
