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
    timeout_error,
)
from domain.caller_scope import scope_key
from domain.orchestration_data import (
    AnalysisJob,
    AnalysisOutput,
    CheckedStatus,
    CheckRequest,
    ErrorDetail,
    RecordDurationRequest,
    Resume,
    SubmitAccepted,
    SubmitRequest,
)
from domain.polling_schedule import PollingPolicy, next_check_delay, submit_retry_delay
from domain.times import parse_time

ORCHESTRATOR_NAME = "analysis_orchestrator"
SUBMIT_ACTIVITY = "submit_analysis"
CHECK_ACTIVITY = "check_analysis_status"
RECORD_ACTIVITY = "record_duration"
# A timeout is never decided on a check made before the deadline; these many fresh checks at most.
MAX_DEADLINE_RECHECKS = 3
# Every episode replays the execution's whole history, and each check adds 6 + 2 x (files checked) events
# (per file an activity scheduled and completed; a timer created and fired; two episode markers per episode):
# 8 for one file. After this many checks the orchestration continues as new with its state, so an execution
# holds at most 12 x 8 + 3 = 99 events for one file (about 17 KB), 125 for two, 337 for ten (the most
# MAX_INPUT_FILES allows by default), measured by replaying a 300 s analysis (tests/unit/test_analysis_orchestrator).
CHECKS_PER_EXECUTION = 12

bp = df.Blueprint()
log = logging.getLogger("analysis.orchestrator")


class Operation:
    """What the steps share: the job, the files' states, the clock and the progress record."""

    def __init__(self, context: df.DurableOrchestrationContext):
        self.context = context
        self.job: AnalysisJob = context.get_input()
        self.operation_id = context.instance_id
        self.policy = PollingPolicy.from_dict(self.job["policy"])
        # The deadline counts from the POST (the frontend's budget starts there), not from when a busy task hub
        # got round to the first episode; the accept time travels in the input, so replays agree.
        accepted = parse_time(self.job.get("acceptedAt"))
        now = context.current_utc_datetime
        self.started = min(accepted, now) if accepted is not None else now
        self.files = new_file_states(len(self.job["inputs"]))
        self.checks = 0
        self.last_checked_at: datetime | None = None
        self.last_error: ErrorDetail | None = None
        self.next_check_at: datetime | None = None
        resumed = self.job.get("resume")
        if resumed:  # a continued execution: the same operation, its state carried in the input
            self.started = parse_time(resumed["startedAt"])
            self.files = resumed["files"]
            self.checks = resumed["checks"]
            self.last_checked_at = parse_time(resumed["lastCheckedAt"])
            self.next_check_at = parse_time(resumed["nextCheckAt"])
        self.checks_before_this_execution = self.checks

    @property
    def resumed(self) -> bool:
        return bool(self.job.get("resume"))

    def continued_input(self) -> AnalysisJob:
        """The input of the next execution: the job as started, plus where the operation stands."""
        resume: Resume = {
            "startedAt": self.started.isoformat(),
            "files": self.files,
            "checks": self.checks,
            "lastCheckedAt": self.last_checked_at.isoformat() if self.last_checked_at else None,
            "nextCheckAt": self.next_check_at.isoformat() if self.next_check_at else None,
        }
        return {**self.job, "resume": resume}

    @property
    def deadline(self) -> datetime:
        return self.started + timedelta(seconds=self.policy.timeout_seconds)

    def elapsed(self) -> float:
        return (self.context.current_utc_datetime - self.started).total_seconds()

    def say(self, event: str, message: str, *args, **properties) -> None:
        """Log once (not again on replay), with the operation's ids as properties of the record."""
        if not self.context.is_replaying:
            extra = {
                "event": event,
                "operationId": self.operation_id,
                "analyzerId": self.job["analyzerId"],
                "scope": scope_key(self.job["scope"]),
                "serviceOperationId": ",".join(f["serviceOperationId"] for f in self.files if f["serviceOperationId"])
                or None,
                "checks": self.checks,
                "elapsedSeconds": round(self.elapsed(), 3),
                **properties,
            }
            log.info(message, *args, extra=extra)

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
                next_check_at=self.next_check_at.isoformat() if self.next_check_at else None,
                expected_completion_at=self.expected_completion_at(),
            )
        )

    def expected_completion_at(self) -> str | None:
        """When the model expects the analysis to end (its median), never before the next check; None when cold."""
        if self.policy.expected_seconds is None or self.next_check_at is None:
            return None
        return max(self.started + timedelta(seconds=self.policy.expected_seconds), self.next_check_at).isoformat()

    def finish(self, outcome: str, error: ErrorDetail | None = None) -> AnalysisOutput:
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
    if operation.resumed:
        operation.show("polling")
        yield context.create_timer(operation.next_check_at)  # the check the last execution had planned
    else:
        operation.show("submitting")
        failure = yield from submit_files(operation)
        if failure is not None:
            return operation.finish(FAILED, failure)
    outcome, error = yield from poll_files(operation)
    if outcome is None:
        return None  # continued as new: the next execution carries on
    if outcome == SUCCEEDED and operation.job.get("durationModel"):
        yield from record_durations(operation)
    return operation.finish(outcome, error)


def submit_files(operation: Operation):
    """Submit every file, a few at a time; transient failures are retried on durable timers within the deadline.

    Returns None when all were accepted, else the error that ends the operation.
    """
    job, context = operation.job, operation.context
    parallelism = job["parallelism"]
    waiting = list(range(len(job["inputs"])))
    failures = [0] * len(waiting)
    while waiting:
        wave, waiting = waiting[:parallelism], waiting[parallelism:]
        results = yield from run_activities(context, SUBMIT_ACTIVITY, [_submit_payload(operation, i) for i in wave])
        error, retry_delays = record_submits(operation, wave, results, failures)
        if error is not None:
            return error
        if retry_delays:
            operation.show("submitting")
            waiting = list(retry_delays) + waiting
            longest = max(retry_delays.values())
            yield context.create_timer(context.current_utc_datetime + timedelta(seconds=longest))
    operation.say(
        "analysis.submitted",
        "[BackgroundPoll] Started background polling for operation: %s (%d file(s))",
        operation.operation_id,
        len(operation.files),
    )
    return None


def record_submits(
    operation: Operation, wave: list[int], results: list[ActivityResult], failures: list[int]
) -> tuple[ErrorDetail | None, dict[int, float]]:
    """Write one wave of submit answers into the files' states.

    Returns (the error that ends the operation, or None; {file index: seconds before retrying it}).
    """
    retry_delays: dict[int, float] = {}
    for index, result in zip(wave, results, strict=True):
        item, code = operation.job["inputs"][index], (result.error or {}).get("code")
        if result.is_ok:
            accepted: SubmitAccepted = result.value
            operation.files[index].update(accepted)
            operation.files[index]["submittedAfter"] = operation.elapsed()
        elif result.kind == PERMANENT:
            operation.say(
                "analysis.submit_rejected",
                "[BackgroundPoll] Submit rejected for %s: file %d (%s)",
                operation.operation_id,
                index,
                code,
            )
            return file_error(index, item, result.error, "SubmitRejected"), {}
        else:
            failures[index] += 1
            operation.last_error = result.error  # shown in the 202's progress: why it is still submitting
            operation.say(
                "analysis.submit_retry",
                "[BackgroundPoll] Submit attempt %d failed for operation: %s file %d (%s)",
                failures[index],
                operation.operation_id,
                index,
                code,
            )
            delay = submit_retry_delay(failures[index], operation.elapsed(), operation.policy.timeout_seconds)
            if delay is None:
                operation.say(
                    "analysis.finished",
                    "[BackgroundPoll] Analysis failed for %s: could not submit",
                    operation.operation_id,
                    outcome="failed",
                )
                reason = (result.error or {}).get("message") or ""
                error = {
                    **_without_code(result.error),
                    "code": "SubmitFailed",
                    "message": f"Content Understanding could not be reached to submit ({code}). {reason}",
                }
                return file_error(index, item, error, "SubmitFailed"), {}
            retry_delays[index] = delay
    return None, retry_delays


def poll_files(operation: Operation):
    """Check the unfinished files, then wait on a durable timer, until the operation ends or the deadline.

    Returns (outcome, error); (None, None) when it continued as new instead of waiting.
    """
    context, policy = operation.context, operation.policy
    rechecks = 0
    while True:
        pending = [i for i, f in enumerate(operation.files) if f["serviceStatus"] != "Succeeded"]
        results = yield from run_activities(context, CHECK_ACTIVITY, [_check_payload(operation, i) for i in pending])
        retry_after, stale = record_checks(operation, pending, results)
        outcome, error = decide(operation)
        if outcome is not None:
            return outcome, error
        if operation.elapsed() >= policy.timeout_seconds:
            if stale and rechecks < MAX_DEADLINE_RECHECKS:
                rechecks += 1  # the last word came from before the deadline: ask once more before giving up
                continue
            operation.say(
                "analysis.finished",
                "[BackgroundPoll] Analysis timed out for %s after %.1fs (%d checks)",
                operation.operation_id,
                operation.elapsed(),
                operation.checks,
                outcome=TIMEOUT,
            )
            return TIMEOUT, timeout_error(policy.timeout_seconds)
        delay = next_check_delay(policy, operation.checks, operation.elapsed(), retry_after)
        operation.next_check_at = context.current_utc_datetime + timedelta(seconds=delay)
        operation.show("polling")  # with the next check's time: the results endpoint's Retry-After
        if operation.checks - operation.checks_before_this_execution >= CHECKS_PER_EXECUTION:
            context.continue_as_new(operation.continued_input())
            return None, None
        yield context.create_timer(operation.next_check_at)


def record_durations(operation: Operation):
    """Teach the duration model how long each file took (first seen done vs last seen running, after its
    submit, on the durable clock). Its failure never fails the operation: the answer is not even read."""
    observations: list[list[float]] = []
    for file in operation.files:
        if file.get("doneAfter") is None or file.get("submittedAfter") is None:
            continue
        submitted = file["submittedAfter"]
        low = max(file.get("pendingAfter", submitted) - submitted, 0.0)
        observations.append([round(low, 3), round(file["doneAfter"] - submitted, 3)])
    if not observations:
        return
    payload: RecordDurationRequest = {
        "operationId": operation.operation_id,
        "analyzerId": operation.job["analyzerId"],
        "bucket": operation.job["durationModel"]["bucket"],
        "observations": observations,
    }
    yield from run_activities(operation.context, RECORD_ACTIVITY, [payload])


def record_checks(operation: Operation, pending: list[int], results: list[ActivityResult]) -> tuple[float | None, bool]:
    """Write one round of check answers into the files' states.

    Returns (the longest Retry-After the service asked for, whether any answer predates the deadline or is
    missing: then a timeout must not be decided on it).
    """
    now = operation.context.current_utc_datetime
    operation.checks += 1
    operation.last_checked_at = now
    operation.last_error = None
    retry_after, stale = None, False
    for index, result in zip(pending, results, strict=True):
        file = operation.files[index]
        if result.is_ok:
            checked: CheckedStatus = result.value
            file["serviceStatus"], file["error"] = checked["status"], checked["error"]
            stale |= (parse_time(checked.get("checkedAt")) or now) < operation.deadline
            file["doneAfter" if checked["status"] == "Succeeded" else "pendingAfter"] = operation.elapsed()
            asked = checked["retryAfter"]
        elif result.kind == PERMANENT:
            file["serviceStatus"], file["error"] = "Failed", result.error
            asked = None
        else:
            operation.last_error, stale, asked = result.error, True, result.retry_after
        if asked:
            retry_after = max(retry_after or 0.0, float(asked))
    operation.say(
        "analysis.checked",
        "[BackgroundPoll] Attempt %d at %.1fs for operation: %s - Status: %s",
        operation.checks,
        operation.elapsed(),
        operation.operation_id,
        ",".join(str(operation.files[i]["serviceStatus"]) for i in pending),
        serviceStatus=",".join(str(operation.files[i]["serviceStatus"]) for i in pending),
    )
    operation.show("polling")
    return retry_after, stale


def decide(operation: Operation) -> tuple[str | None, ErrorDetail | None]:
    """The operation's outcome once its files say so: succeeded when all did, failed/canceled with the first."""
    outcome, deciding = operation_outcome(operation.files)
    if outcome == SUCCEEDED:
        operation.say(
            "analysis.finished",
            "[BackgroundPoll] Analysis completed for %s after %d checks, %.1fs",
            operation.operation_id,
            operation.checks,
            operation.elapsed(),
            outcome=SUCCEEDED,
        )
        return outcome, None
    if outcome is None:
        return None, None
    error = file_error(deciding, operation.job["inputs"][deciding], operation.files[deciding]["error"], outcome=outcome)
    operation.say(
        "analysis.finished",
        "[BackgroundPoll] Analysis %s for %s: %s",
        outcome,
        operation.operation_id,
        error["code"],
        outcome=outcome,
        errorCode=error["code"],
    )
    return outcome, error


ACTIVITY_FAILED: ErrorDetail = {
    "code": "ActivityFailed",
    "message": "A step of the analysis failed unexpectedly; it is tried again. See the service logs.",
}


def run_activities(context: df.DurableOrchestrationContext, name: str, payloads: list):
    """Run activities side by side; each answer as an ActivityResult.

    The one place a crashed activity (a bug, an SDK surprise, a worker that died) is handled: it counts as a
    transient failure, so it costs one attempt, never the analysis. Its exception stays in the host's log and
    the history, not in the progress callers see (it may name URLs). Service trouble is not a crash: the
    activities answer it as data.
    """
    tasks = [context.call_activity(name, payload) for payload in payloads]
    try:
        answers = yield context.task_all(tasks)
    except Exception:
        crashed = ActivityResult.transient(ACTIVITY_FAILED)
        return [ActivityResult.from_dict(t.result) if t.state is TaskState.SUCCEEDED else crashed for t in tasks]
    return [ActivityResult.from_dict(answer) for answer in answers]


def _submit_payload(operation: Operation, index: int) -> SubmitRequest:
    job = operation.job
    return {
        "operationId": operation.operation_id,
        "fileIndex": index,
        "input": job["inputs"][index],
        "analyzerId": job["analyzerId"],
        "pages": job["pages"],
        "scope": job["scope"],
        "deadline": operation.deadline.isoformat(),
    }


def _check_payload(operation: Operation, index: int) -> CheckRequest:
    return {
        "operationId": operation.operation_id,
        "fileIndex": index,
        "operationLocation": operation.files[index]["operationLocation"],
        "serviceOperationId": operation.files[index]["serviceOperationId"],
    }


def _without_code(error: ErrorDetail | None) -> ErrorDetail:
    return {k: v for k, v in (error or {}).items() if k not in ("code", "message")}
