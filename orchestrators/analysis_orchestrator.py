"""The analysis workflow: submit once, then check on a durable timer until the analysis ends or time runs out.

It only sequences. Decisions come from domain/ (schedule, outcome, progress), I/O happens in the
activities, and time comes only from context.current_utc_datetime, so every replay takes the same path.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import azure.durable_functions as df

from domain.analysis_outcome import (
    CANCELED,
    FAILED,
    TIMEOUT,
    analysis_output,
    outcome_for_service_status,
    progress_status,
)
from domain.polling_schedule import PollingPolicy, next_check_delay, submit_retry_delay

ORCHESTRATOR_NAME = "analysis_orchestrator"
SUBMIT_ACTIVITY = "submit_analysis"
CHECK_ACTIVITY = "check_analysis_status"

bp = df.Blueprint()
log = logging.getLogger("analysis.orchestrator")


@bp.orchestration_trigger(context_name="context")
def analysis_orchestrator(context: df.DurableOrchestrationContext):
    job = context.get_input()
    operation_id = context.instance_id
    analyzer_id = job["analyzerId"]
    policy = PollingPolicy.from_dict(job["policy"])
    started = context.current_utc_datetime

    def elapsed() -> float:
        return (context.current_utc_datetime - started).total_seconds()

    def say(message: str, *args) -> None:
        if not context.is_replaying:
            log.info(message, *args)

    def finish(outcome: str, *, attempts: int, azure_id: str | None, result=None, error=None) -> dict:
        context.set_custom_status(
            progress_status(
                "done",
                azure_status=outcome,
                attempts=attempts,
                last_checked_at=None,
                elapsed_seconds=elapsed(),
            )
        )
        return analysis_output(
            outcome,
            analyzer_id=analyzer_id,
            azure_operation_id=azure_id,
            attempts=attempts,
            elapsed_seconds=elapsed(),
            completed_at=context.current_utc_datetime.isoformat(),
            result=result,
            error=error,
        )

    # Step 1: submit, retrying transient failures on durable timers.
    context.set_custom_status(
        progress_status("submitting", azure_status=None, attempts=0, last_checked_at=None, elapsed_seconds=0)
    )
    submit_failures = 0
    while True:
        try:
            submitted = yield context.call_activity(SUBMIT_ACTIVITY, {**job, "operationId": operation_id})
            break
        except Exception as exc:  # an activity failure surfaces as an exception from the yield
            submit_failures += 1
            delay = submit_retry_delay(submit_failures)
            say(
                "[BackgroundPoll] Submit attempt %d failed for operation: %s (%s)",
                submit_failures,
                operation_id,
                exc,
            )
            if delay is None:
                say("[BackgroundPoll] Analysis failed for %s: could not submit", operation_id)
                error = {
                    "code": "SubmitFailed",
                    "message": "Content Understanding could not be reached to submit.",
                }
                return finish(FAILED, attempts=0, azure_id=None, error=error)
            yield context.create_timer(context.current_utc_datetime + timedelta(seconds=delay))

    if not submitted.get("ok"):
        say(
            "[BackgroundPoll] Analysis failed for %s: submit rejected (%s)",
            operation_id,
            submitted["error"].get("code"),
        )
        return finish(FAILED, attempts=0, azure_id=None, error=submitted["error"])
    operation = submitted["operation"]
    azure_id = operation["operation_id"]
    say("[BackgroundPoll] Started background polling for operation: %s (azure id %s)", operation_id, azure_id)

    # Step 2: check, then wait on a durable timer, until terminal or the deadline.
    attempts = 0
    while True:
        attempts += 1
        try:
            check = yield context.call_activity(CHECK_ACTIVITY, {"operationId": operation_id, "operation": operation})
        except (
            Exception
        ) as exc:  # the activity itself failed (a crash, a host timeout): one lost check, not a lost analysis
            check = {"kind": "transient_error", "error": {"code": "CheckFailed", "message": str(exc)[:300]}}
        now = context.current_utc_datetime
        azure_status = check.get("status")
        say(
            "[BackgroundPoll] Attempt %d at %.1fs for operation: %s - Status: %s",
            attempts,
            elapsed(),
            operation_id,
            azure_status or check["kind"],
        )
        context.set_custom_status(
            progress_status(
                "polling",
                azure_status=azure_status,
                attempts=attempts,
                last_checked_at=now.isoformat(),
                elapsed_seconds=elapsed(),
                last_error=check.get("error") if check["kind"] != "status" else None,
            )
        )

        if check["kind"] == "permanent_error":
            say("[BackgroundPoll] Analysis failed for %s: %s", operation_id, check["error"].get("code"))
            return finish(FAILED, attempts=attempts, azure_id=azure_id, error=check["error"])
        outcome = outcome_for_service_status(azure_status) if check["kind"] == "status" else None
        if outcome is not None:
            if outcome == FAILED:
                say(
                    "[BackgroundPoll] Analysis failed for %s: %s",
                    operation_id,
                    (check.get("error") or {}).get("code"),
                )
            elif outcome == CANCELED:
                say("[BackgroundPoll] Analysis canceled by the service for %s", operation_id)
            else:
                say(
                    "[BackgroundPoll] Analysis completed for %s after %d checks, %.1fs",
                    operation_id,
                    attempts,
                    elapsed(),
                )
            return finish(
                outcome,
                attempts=attempts,
                azure_id=azure_id,
                result=check.get("result"),
                error=check.get("error"),
            )
        if elapsed() >= policy.timeout_seconds:
            say(
                "[BackgroundPoll] Analysis timed out for %s after %.1fs (%d checks)",
                operation_id,
                elapsed(),
                attempts,
            )
            error = {
                "code": "Timeout",
                "message": f"The analysis did not finish within {policy.timeout_seconds:g} seconds.",
            }
            return finish(TIMEOUT, attempts=attempts, azure_id=azure_id, error=error)

        delay = next_check_delay(policy, attempts, elapsed(), check.get("retryAfter"))
        yield context.create_timer(now + timedelta(seconds=delay))
