"""The orchestrator, driven episode by episode through the real SDK with virtual time."""

import json
from datetime import datetime, timezone

import pytest

from domain.polling_schedule import PollingPolicy
from orchestrators.analysis_orchestrator import analysis_orchestrator
from tests.unit.orchestration_replay import ActivityFailure, replay

HANDLE = analysis_orchestrator.build().get_user_function()
START = datetime(2026, 11, 29, 12, 0, 0, tzinfo=timezone.utc)
POLICY = PollingPolicy(timeout_seconds=60, initial_interval_seconds=2, max_interval_seconds=8)
OPERATION = {
    "operation_id": "azure-op-1",
    "operation_location": "https://cu.example/analyzerResults/azure-op-1?api-version=x",
}
RESULT = {"id": "azure-op-1", "status": "Succeeded", "result": {"contents": [{"fields": {}}]}}


def job(policy=POLICY):
    return {
        "analyzerId": "prebuilt-invoice",
        "inputs": [{"url": "https://files.example.com/a.pdf"}],
        "groupId": None,
        "policy": policy.to_dict(),
        "fingerprint": "f",
    }


def service(statuses, submit=None):
    """An activity script: submit answers `submit` (or accepts), each check pops the next status."""
    statuses = list(statuses)

    def activity(name, payload, elapsed):
        if name == "submit_analysis":
            if callable(submit):
                return submit(payload, elapsed)
            return submit or {"ok": True, "operation": OPERATION}
        assert name == "check_analysis_status"
        assert payload["operation"] == OPERATION
        item = statuses.pop(0) if len(statuses) > 1 else statuses[0]
        if isinstance(item, dict):
            return item
        return {
            "kind": "status",
            "status": item,
            "retryAfter": None,
            "result": RESULT if item == "Succeeded" else None,
            "error": None,
        }

    return activity


def checks(run):
    return [(t, p) for t, name, p in run.calls if name == "check_analysis_status"]


def test_success_after_several_checks_returns_the_service_body():
    run = replay(HANDLE, job(), START, service(["NotStarted", "Running", "Running", "Succeeded"]))
    assert run.is_done and run.error is None
    assert run.output["outcome"] == "succeeded"
    assert run.output["result"] == RESULT
    assert run.output["azureOperationId"] == "azure-op-1"
    assert run.output["attempts"] == 4
    # Checks at 0, 2, 6 and 14 virtual seconds: the schedule doubles from 2 s.
    assert [t for t, _ in checks(run)] == [0, 2, 6, 14]
    assert run.output["elapsedSeconds"] == 14


def test_the_submit_carries_the_operation_id_and_the_whole_job():
    run = replay(HANDLE, job(), START, service(["Succeeded"]), instance_id="op-42")
    submit = next(p for _, name, p in run.calls if name == "submit_analysis")
    assert submit["operationId"] == "op-42"
    assert submit["inputs"] == [{"url": "https://files.example.com/a.pdf"}]


def test_failed_analysis_carries_the_service_error():
    failed = {
        "kind": "status",
        "status": "Failed",
        "retryAfter": None,
        "result": None,
        "error": {"code": "InvalidContent", "message": "The file is corrupted."},
    }
    run = replay(HANDLE, job(), START, service(["Running", failed]))
    assert run.output["outcome"] == "failed"
    assert run.output["error"] == {"code": "InvalidContent", "message": "The file is corrupted."}
    assert run.output["result"] is None


def test_canceled_by_the_service_ends_as_canceled():
    run = replay(HANDLE, job(), START, service(["Running", "Canceled"]))
    assert run.output["outcome"] == "canceled"
    assert run.output["error"]["code"] == "Canceled"


def test_transient_check_errors_are_recorded_and_polling_goes_on():
    transient = {
        "kind": "transient_error",
        "error": {"code": "HTTP503", "message": "busy"},
        "retryAfter": None,
    }
    run = replay(HANDLE, job(), START, service([transient, transient, "Running", "Succeeded"]))
    assert run.output["outcome"] == "succeeded"
    assert run.output["attempts"] == 4
    recorded = [s for s in run.custom_statuses if s.get("lastError")]
    assert recorded and recorded[0]["lastError"]["code"] == "HTTP503"


def test_a_check_activity_that_crashes_costs_one_check_not_the_analysis():
    crashes = iter([True, False, False])
    healthy = service(["Running", "Succeeded"])

    def world(name, payload, elapsed):
        if name == "check_analysis_status" and next(crashes):
            raise ActivityFailure("worker process exited")
        return healthy(name, payload, elapsed)

    run = replay(HANDLE, job(), START, world)
    assert run.output["outcome"] == "succeeded"
    assert run.output["attempts"] == 3
    assert any((s.get("lastError") or {}).get("code") == "CheckFailed" for s in run.custom_statuses)


def test_retry_after_from_the_service_is_honoured():
    throttled = {
        "kind": "transient_error",
        "error": {"code": "HTTP429", "message": "slow down"},
        "retryAfter": 7,
    }
    run = replay(HANDLE, job(), START, service([throttled, "Succeeded"]))
    assert [t for t, _ in checks(run)] == [0, 7]


def test_deadline_is_reached_at_exactly_the_timeout():
    run = replay(HANDLE, job(), START, service(["Running"]))
    assert run.output["outcome"] == "timeout"
    assert run.output["error"]["code"] == "Timeout"
    times = [t for t, _ in checks(run)]
    # 0, 2, 6, 14, then every 8 s, and a final check at exactly 60 s.
    assert times == [0, 2, 6, 14, 22, 30, 38, 46, 54, 60]
    assert run.output["elapsedSeconds"] == 60


def test_permanent_check_error_fails_the_analysis():
    gone = {"kind": "permanent_error", "error": {"code": "NotFound", "message": "no such operation"}}
    run = replay(HANDLE, job(), START, service(["Running", gone]))
    assert run.output["outcome"] == "failed"
    assert run.output["error"]["code"] == "NotFound"


def test_submit_rejected_by_the_service_fails_without_polling():
    rejected = {"ok": False, "error": {"code": "InvalidRequest", "message": "bad url"}}
    run = replay(HANDLE, job(), START, service(["Running"], submit=rejected))
    assert run.output["outcome"] == "failed"
    assert run.output["error"] == {"code": "InvalidRequest", "message": "bad url"}
    assert checks(run) == []


def test_transient_submit_failures_are_retried_on_durable_timers():
    attempts = []

    def flaky(payload, elapsed):
        attempts.append(elapsed)
        if len(attempts) < 3:
            raise ActivityFailure("Content Understanding unavailable")
        return {"ok": True, "operation": OPERATION}

    run = replay(HANDLE, job(), START, service(["Succeeded"], submit=flaky))
    assert run.output["outcome"] == "succeeded"
    assert attempts == [0, 2, 6]  # backoff 2 s, then 4 s


def test_submit_gives_up_after_the_last_attempt():
    def down(payload, elapsed):
        raise ActivityFailure("Content Understanding unavailable")

    run = replay(HANDLE, job(), START, service(["Running"], submit=down))
    assert run.output["outcome"] == "failed"
    assert run.output["error"]["code"] == "SubmitFailed"
    assert len([c for c in run.calls if c[1] == "submit_analysis"]) == 5


def test_custom_status_is_small_and_describes_progress():
    run = replay(HANDLE, job(), START, service(["NotStarted", "Running", "Succeeded"]))
    polling = [s for s in run.custom_statuses if s["phase"] == "polling"]
    assert polling[0]["azureStatus"] == "NotStarted"
    assert polling[-1]["attempts"] == 2
    assert polling[-1]["lastCheckedAt"].startswith("2026-11-29T12:00:02")
    assert run.custom_statuses[-1]["phase"] == "done"
    assert set(polling[-1]) >= {"phase", "azureStatus", "attempts", "lastCheckedAt", "elapsedSeconds"}
    assert all(len(json.dumps(s)) < 1024 for s in run.custom_statuses)
    assert "result" not in json.dumps(run.custom_statuses)


def test_replaying_the_same_history_gives_the_same_actions():
    run = replay(HANDLE, job(), START, service(["Running", "Running", "Succeeded"]))
    for payload, actions in zip(run.histories, run.actions_by_episode, strict=False):
        again = json.loads(HANDLE(payload))
        flat = [a for group in again["actions"] for a in group]
        assert flat == actions


@pytest.mark.parametrize("timeout", [1, 5, 299])
def test_deadline_holds_for_any_timeout(timeout):
    policy = PollingPolicy(timeout_seconds=timeout, initial_interval_seconds=2, max_interval_seconds=10)
    run = replay(HANDLE, job(policy), START, service(["Running"]))
    assert run.output["outcome"] == "timeout"
    assert checks(run)[-1][0] == timeout
