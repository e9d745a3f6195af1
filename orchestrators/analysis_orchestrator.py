"""The analysis workflow: submit each input file, then check them on a durable timer until all end or time runs out.

It only sequences. Decisions come from domain/ (schedule, outcome, progress), I/O happens in the
activities, and time comes only from context.current_utc_datetime, so every replay takes the same path.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import azure.durable_functions as df
from azure.durable_functions.models.Task import TaskState

from domain.activity_result import PERMANENT, ActivityResult
from domain.analysis_outcome import (
    FAILED,
    SUCCEEDED,
    TIMEOUT,
    analysis_output,
    file_error,
    new_file_states,
    operation_outcome,
    progress_status,
)
from domain.polling_schedule import PollingPolicy, next_check_delay, submit_retry_delay

ORCHESTRATOR_NAME = "analysis_orchestrator"
SUBMIT_ACTIVITY = "submit_analysis"
CHECK_ACTIVITY = "check_analysis_status"
DEFAULT_PARALLELISM = 4
# A timeout is never decided on a check made before the deadline; these many fresh checks at most.
MAX_DEADLINE_RECHECKS = 3

bp = df.Blueprint()
log = logging.getLogger("analysis.orchestrator")


class Operation:
    """What the steps share: the job, the files' states, the clock and the progress record."""

    def __init__(self, context: df.DurableOrchestrationContext):
        self.context = context
        self.job = context.get_input()
        self.operation_id = context.instance_id
        self.policy = PollingPolicy.from_dict(self.job["policy"])
        self.started = context.current_utc_datetime
        self.files = new_file_states(len(self.job["inputs"]))
        self.checks = 0
        self.last_checked_at: datetime | None = None
        self.last_error: dict | None = None

    @property
    def deadline(self) -> datetime:
        return self.started + timedelta(seconds=self.policy.timeout_seconds)

    def elapsed(self) -> float:
        return (self.context.current_utc_datetime - self.started).total_seconds()

    def say(self, message: str, *args) -> None:
        if not self.context.is_replaying:
            log.info(message, *args)

    def show(self, phase: str, outcome: str | None = None) -> None:
        self.context.set_custom_status(
            progress_status(
                phase,
                files=self.files,
                checks=self.checks,
                last_checked_at=self.last_checked_at.isoformat() if self.last_checked_at else None,
                elapsed_seconds=self.elapsed(),
                outcome=outcome,
                last_error=self.last_error,
            )
        )

    def finish(self, outcome: str, error: dict | None = None) -> dict:
        self.show("done", outcome)
        return analysis_output(
            outcome,
            analyzer_id=self.job["analyzerId"],
            files=self.files,
            checks=self.checks,
            elapsed_seconds=self.elapsed(),
            completed_at=self.context.current_utc_datetime.isoformat(),
            error=error,
        )


@bp.orchestration_trigger(context_name="context")
def analysis_orchestrator(context: df.DurableOrchestrationContext):
    operation = Operation(context)
    operation.show("submitting")
    failure = yield from submit_files(operation)
    if failure is not None:
        return operation.finish(FAILED, failure)
    outcome, error = yield from poll_files(operation)
    return operation.finish(outcome, error)


def submit_files(operation: Operation):
    """Submit every file, a few at a time; transient failures are retried on durable timers within the deadline.

    Returns None when all were accepted, else the error that ends the operation.
    """
    job, context = operation.job, operation.context
    parallelism = max(int(job.get("parallelism") or DEFAULT_PARALLELISM), 1)
    waiting = list(range(len(job["inputs"])))
    failures = [0] * len(waiting)
    while waiting:
        wave, waiting = waiting[:parallelism], waiting[parallelism:]
        payloads = [_submit_payload(operation, index) for index in wave]
        results = yield from run_activities(context, SUBMIT_ACTIVITY, payloads)
        retry_delays = []
        for index, result in zip(wave, results, strict=True):
            item = job["inputs"][index]
            if result.is_ok:
                operation.files[index].update(result.value or {})
                continue
            if result.kind == PERMANENT:
                operation.say(
                    "[BackgroundPoll] Submit rejected for %s: file %d (%s)",
                    operation.operation_id,
                    index,
                    (result.error or {}).get("code"),
                )
                return file_error(index, item, result.error, "SubmitRejected")
            failures[index] += 1
            delay = submit_retry_delay(failures[index], operation.elapsed(), operation.policy.timeout_seconds)
            operation.say(
                "[BackgroundPoll] Submit attempt %d failed for operation: %s file %d (%s)",
                failures[index],
                operation.operation_id,
                index,
                (result.error or {}).get("code"),
            )
            if delay is None:
                operation.say("[BackgroundPoll] Analysis failed for %s: could not submit", operation.operation_id)
                error = {"code": "SubmitFailed", **_without_code(result.error)}
                error["message"] = "Content Understanding could not be reached to submit. " + str(
                    (result.error or {}).get("message") or ""
                )
                return file_error(index, item, error, "SubmitFailed")
            retry_delays.append((index, delay))
        if retry_delays:
            waiting = [index for index, _ in retry_delays] + waiting
            longest = max(delay for _, delay in retry_delays)
            yield context.create_timer(context.current_utc_datetime + timedelta(seconds=longest))
    operation.say(
        "[BackgroundPoll] Started background polling for operation: %s (%d file(s))",
        operation.operation_id,
        len(operation.files),
    )
    return None


def poll_files(operation: Operation):
    """Check the unfinished files, then wait on a durable timer, until the operation ends or the deadline.

    Returns (outcome, error).
    """
    context, policy = operation.context, operation.policy
    rechecks = 0
    while True:
        pending = [i for i, f in enumerate(operation.files) if f["serviceStatus"] not in ("Succeeded",)]
        payloads = [_check_payload(operation, i) for i in pending]
        results = yield from run_activities(context, CHECK_ACTIVITY, payloads)
        operation.checks += 1
        now = context.current_utc_datetime
        operation.last_checked_at = now
        retry_after, checked_before_deadline = None, False
        operation.last_error = None
        for index, result in zip(pending, results, strict=True):
            file = operation.files[index]
            if result.is_ok:
                value = result.value or {}
                file["serviceStatus"] = value.get("status")
                file["error"] = value.get("error")
                checked_at = _parse_time(value.get("checkedAt")) or now
                checked_before_deadline |= checked_at < operation.deadline
                retry_after = max(retry_after or 0.0, value.get("retryAfter") or 0.0) or retry_after
            elif result.kind == PERMANENT:
                file["serviceStatus"], file["error"] = "Failed", result.error
            else:
                operation.last_error = result.error
                checked_before_deadline = True  # no fresh answer for this file
                retry_after = max(retry_after or 0.0, result.retry_after or 0.0) or retry_after
        operation.say(
            "[BackgroundPoll] Attempt %d at %.1fs for operation: %s - Status: %s",
            operation.checks,
            operation.elapsed(),
            operation.operation_id,
            ",".join(str(operation.files[i]["serviceStatus"]) for i in pending),
        )
        operation.show("polling")

        outcome, deciding = operation_outcome(operation.files)
        if outcome == SUCCEEDED:
            operation.say(
                "[BackgroundPoll] Analysis completed for %s after %d checks, %.1fs",
                operation.operation_id,
                operation.checks,
                operation.elapsed(),
            )
            return outcome, None
        if outcome is not None:
            error = file_error(deciding, operation.job["inputs"][deciding], operation.files[deciding]["error"])
            operation.say("[BackgroundPoll] Analysis %s for %s: %s", outcome, operation.operation_id, error["code"])
            return outcome, error
        if operation.elapsed() >= policy.timeout_seconds:
            if checked_before_deadline and rechecks < MAX_DEADLINE_RECHECKS:
                rechecks += 1  # the last word came from before the deadline: ask once more before giving up
                continue
            operation.say(
                "[BackgroundPoll] Analysis timed out for %s after %.1fs (%d checks)",
                operation.operation_id,
                operation.elapsed(),
                operation.checks,
            )
            message = f"The analysis did not finish within {policy.timeout_seconds:g} seconds."
            return TIMEOUT, {"code": "Timeout", "message": message}
        delay = next_check_delay(policy, operation.checks, operation.elapsed(), retry_after)
        yield context.create_timer(now + timedelta(seconds=delay))


def run_activities(context: df.DurableOrchestrationContext, name: str, payloads: list[dict]):
    """Run activities side by side; each answer as an ActivityResult, a crashed one as a transient failure."""
    tasks = [context.call_activity(name, payload) for payload in payloads]
    try:
        answers = yield context.task_all(tasks)
    except Exception as exc:  # one activity crashed (not a service error: activities return those as data)
        crashed = ActivityResult.transient({"code": "ActivityFailed", "message": str(exc)[:300]})
        return [ActivityResult.from_dict(t.result) if t.state is TaskState.SUCCEEDED else crashed for t in tasks]
    return [ActivityResult.from_dict(answer) for answer in answers]


def _submit_payload(operation: Operation, index: int) -> dict:
    job = operation.job
    return {
        "operationId": operation.operation_id,
        "fileIndex": index,
        "input": job["inputs"][index],
        "analyzerId": job["analyzerId"],
        "pages": job.get("pages"),
        "scope": job.get("scope"),
        "deadline": operation.deadline.isoformat(),
    }


def _check_payload(operation: Operation, index: int) -> dict:
    return {
        "operationId": operation.operation_id,
        "fileIndex": index,
        "operationLocation": operation.files[index]["operationLocation"],
    }


def _without_code(error: dict | None) -> dict:
    return {k: v for k, v in (error or {}).items() if k not in ("code", "message")}


def _parse_time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
