"""The orchestrator, driven episode by episode through the real SDK with virtual time."""

import itertools
import json
from datetime import datetime, timedelta, timezone

import pytest

from domain.activity_result import ActivityResult
from domain.polling_schedule import PollingPolicy
from orchestrators.analysis_orchestrator import analysis_orchestrator
from tools.replay.virtual_time import ActivityFailure, flatten, replay

HANDLE = analysis_orchestrator.build().get_user_function()
START = datetime(2026, 11, 29, 12, 0, 0, tzinfo=timezone.utc)
POLICY = PollingPolicy(timeout_seconds=60, initial_interval_seconds=2, max_interval_seconds=8)


def job(policy=POLICY, files=1, parallelism=4):
    return {
        "analyzerId": "prebuilt-invoice",
        "inputs": [{"url": f"https://files.example.com/{i}.pdf?sig=secret"} for i in range(files)],
        "pages": None,
        "scope": {"kind": "user", "id": "u1"},
        "policy": policy.to_dict(),
        "parallelism": parallelism,
        "fingerprint": "f",
    }


def accepted(payload):
    index = payload["fileIndex"]
    location = f"https://cu.example/analyzerResults/svc-{index}?api-version=2025-11-01"
    return ActivityResult.ok({"serviceOperationId": f"svc-{index}", "operationLocation": location}).to_dict()


def status(value, error=None, retry_after=None, checked_at=None):
    answer = {"status": value, "error": error, "retryAfter": retry_after}
    if checked_at is not None:
        answer["checkedAt"] = checked_at
    return ActivityResult.ok(answer).to_dict()


def service(statuses, submit=None):
    """An activity script: submit answers `submit` (or accepts); each check of file i pops its next status."""
    queues = {}

    def activity(name, payload, elapsed):
        if name == "submit_analysis":
            return submit(payload, elapsed) if callable(submit) else (submit or accepted(payload))
        assert name == "check_analysis_status"
        index = payload["fileIndex"]
        assert payload["operationLocation"].endswith(f"svc-{index}?api-version=2025-11-01")
        script = statuses[index] if isinstance(statuses, dict) else statuses
        queue = queues.setdefault(index, list(script))
        item = queue.pop(0) if len(queue) > 1 else queue[0]
        if callable(item):
            return item(elapsed)
        return item if isinstance(item, dict) else status(item)

    return activity


def checks(run, index=None):
    return [(t, p) for t, name, p in run.calls if name == "check_analysis_status" and index in (None, p["fileIndex"])]


def test_success_after_several_checks_reports_where_to_read_the_result():
    run = replay(HANDLE, job(), START, service(["NotStarted", "Running", "Running", "Succeeded"]))
    assert run.is_done and run.error is None
    assert run.output["outcome"] == "succeeded"
    assert run.output["files"] == [
        {
            "serviceOperationId": "svc-0",
            "operationLocation": "https://cu.example/analyzerResults/svc-0?api-version=2025-11-01",
            "serviceStatus": "Succeeded",
        }
    ]
    assert "result" not in run.output  # results go to a claim-check copy on the first GET, never into history
    assert run.output["checks"] == 4
    # Checks at 0, 2, 6 and 14 virtual seconds: the schedule doubles from 2 s.
    assert [t for t, _ in checks(run)] == [0, 2, 6, 14]
    assert run.output["elapsedSeconds"] == 14


def test_each_file_is_its_own_analysis_submitted_side_by_side():
    run = replay(
        HANDLE, job(files=3), START, service({0: ["Succeeded"], 1: ["Running", "Succeeded"], 2: ["Succeeded"]})
    )
    submits = [(t, p) for t, name, p in run.calls if name == "submit_analysis"]
    assert [p["fileIndex"] for _, p in submits] == [0, 1, 2]
    assert {t for t, _ in submits} == {0}  # one wave: all three at once
    assert submits[1][1]["input"] == {"url": "https://files.example.com/1.pdf?sig=secret"}
    assert submits[0][1]["operationId"] == "op-test"
    assert run.output["outcome"] == "succeeded"
    assert [f["serviceOperationId"] for f in run.output["files"]] == ["svc-0", "svc-1", "svc-2"]
    # A finished file is not checked again.
    assert [t for t, _ in checks(run, 0)] == [0]
    assert [t for t, _ in checks(run, 1)] == [0, 2]


def test_parallelism_bounds_how_many_files_are_submitted_at_once():
    run = replay(HANDLE, job(files=5, parallelism=2), START, service(["Succeeded"]))
    cumulative = [len(actions) for actions in run.actions_by_episode]
    fresh = [b - a for a, b in zip([0, *cumulative], cumulative, strict=False)]
    assert fresh[:3] == [2, 2, 1]  # waves of two, then the last file
    submits = [p["fileIndex"] for _, name, p in run.calls if name == "submit_analysis"]
    assert submits == [0, 1, 2, 3, 4]
    assert run.output["outcome"] == "succeeded"


def test_a_failed_file_fails_the_operation_naming_the_file_and_the_service_code():
    failed = status(
        "Failed", {"code": "InvalidContent", "message": "The file is corrupted.", "innerCode": "InvalidContentFormat"}
    )
    run = replay(HANDLE, job(files=2), START, service({0: ["Running", "Running"], 1: ["Running", failed]}))
    assert run.output["outcome"] == "failed"
    error = run.output["error"]
    assert error["code"] == "InvalidContent"
    assert error["file"] == 1 and error["innerCode"] == "InvalidContentFormat"
    assert "inputFiles[1] (https://files.example.com/1.pdf)" in error["message"]
    assert "secret" not in json.dumps(run.output)  # SAS-like query strings never reach the message


def test_canceled_by_the_service_ends_as_canceled():
    run = replay(HANDLE, job(), START, service(["Running", "Canceled"]))
    assert run.output["outcome"] == "canceled"
    assert run.output["files"][0]["serviceStatus"] == "Canceled"
    assert run.output["error"]["code"] == "ServiceCanceled"  # not our caller's cancel, and not "failed"
    assert "canceled by Content Understanding" in run.output["error"]["message"]


def test_transient_check_errors_are_recorded_and_polling_goes_on():
    transient = ActivityResult.transient({"code": "HTTP503", "message": "busy"}).to_dict()
    run = replay(HANDLE, job(), START, service([transient, transient, "Running", "Succeeded"]))
    assert run.output["outcome"] == "succeeded"
    assert run.output["checks"] == 4
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
    assert run.output["checks"] == 3
    assert any((s.get("lastError") or {}).get("code") == "ActivityFailed" for s in run.custom_statuses)


def test_retry_after_from_the_service_is_honoured():
    throttled = ActivityResult.transient({"code": "HTTP429", "message": "slow down"}, retry_after=7).to_dict()
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


def test_the_deadline_counts_from_the_post_not_from_the_first_episode():
    """A busy task hub started the orchestration 20 s after the POST: the frontend's budget began at the POST."""
    accepted_at = START - timedelta(seconds=20)
    run = replay(HANDLE, {**job(), "acceptedAt": accepted_at.isoformat()}, START, service(["Running"]))
    assert run.output["outcome"] == "timeout"
    assert [t for t, _ in checks(run)][-1] == 40  # 60 s after the POST
    assert run.output["elapsedSeconds"] == 60


def test_a_timeout_is_never_decided_on_a_check_made_before_the_deadline():
    """Under load a check made at 58 s can be read at 61 s: ask again before calling it a timeout."""

    def stale(elapsed):
        made = START + timedelta(seconds=min(elapsed, 58))
        return status("Running", checked_at=made.isoformat())

    def fresh_success(elapsed):
        return status("Succeeded", checked_at=(START + timedelta(seconds=elapsed)).isoformat())

    script = [stale] * 10 + [fresh_success]
    run = replay(HANDLE, job(), START, service(script))
    assert run.output["outcome"] == "succeeded"
    assert [t for t, _ in checks(run)][-2:] == [60, 60]  # one more check at the deadline, not a false timeout


def test_permanent_check_error_fails_the_analysis():
    gone = ActivityResult.permanent({"code": "NotFound", "message": "no such operation"}).to_dict()
    run = replay(HANDLE, job(), START, service(["Running", gone]))
    assert run.output["outcome"] == "failed"
    assert run.output["error"]["code"] == "NotFound"


def test_submit_rejected_by_the_service_fails_without_polling():
    rejected = ActivityResult.permanent(
        {
            "code": "InvalidRequest",
            "message": "bad url",
            "target": "inputs[0].url",
            "innerCode": "InvalidContentSourceFormat",
        }
    ).to_dict()
    run = replay(HANDLE, job(), START, service(["Running"], submit=rejected))
    assert run.output["outcome"] == "failed"
    error = run.output["error"]
    assert (error["code"], error["target"], error["innerCode"]) == (
        "InvalidRequest",
        "inputs[0].url",
        "InvalidContentSourceFormat",
    )
    assert "InvalidRequest/InvalidContentSourceFormat" in error["message"]
    assert checks(run) == []


def test_transient_submit_failures_are_retried_on_durable_timers():
    attempts = []

    def flaky(payload, elapsed):
        attempts.append(elapsed)
        if len(attempts) < 3:
            return ActivityResult.transient({"code": "ServiceUnavailable", "message": "down"}).to_dict()
        return accepted(payload)

    run = replay(HANDLE, job(), START, service(["Succeeded"], submit=flaky))
    assert run.output["outcome"] == "succeeded"
    assert attempts == [0, 2, 6]  # backoff 2 s, then 4 s


def test_a_crashed_submit_activity_is_retried_like_a_transient_failure():
    attempts = []

    def crashing(payload, elapsed):
        attempts.append(elapsed)
        if len(attempts) == 1:
            raise ActivityFailure("worker process exited")
        return accepted(payload)

    run = replay(HANDLE, job(), START, service(["Succeeded"], submit=crashing))
    assert run.output["outcome"] == "succeeded"
    assert attempts == [0, 2]


def test_submit_gives_up_after_the_last_attempt():
    def down(payload, elapsed):
        return ActivityResult.transient({"code": "ConnectionFailed", "message": "refused"}).to_dict()

    run = replay(HANDLE, job(), START, service(["Running"], submit=down))
    assert run.output["outcome"] == "failed"
    assert run.output["error"]["code"] == "SubmitFailed"
    assert "(ConnectionFailed). refused" in run.output["error"]["message"]  # the last attempt's reason, for people
    assert len([c for c in run.calls if c[1] == "submit_analysis"]) == 5


def test_submit_retries_stay_inside_the_deadline():
    policy = PollingPolicy(timeout_seconds=10, initial_interval_seconds=2, max_interval_seconds=8)

    def down(payload, elapsed):
        assert datetime.fromisoformat(payload["deadline"]) == START + timedelta(seconds=10)
        return ActivityResult.transient({"code": "ReadTimeout", "message": "silent"}).to_dict()

    run = replay(HANDLE, job(policy), START, service(["Running"], submit=down))
    submits = [t for t, name, _ in run.calls if name == "submit_analysis"]
    assert submits == [0, 2, 6]  # a 4th attempt would start at 14 s, past the 10 s deadline
    assert run.output["outcome"] == "failed" and run.output["elapsedSeconds"] < 10


def test_custom_status_keeps_the_service_status_and_our_outcome_apart():
    run = replay(HANDLE, job(), START, service(["NotStarted", "Running", "Failed"]))
    polling = [s for s in run.custom_statuses if s["phase"] == "polling"]
    assert polling[0]["serviceStatus"] == "NotStarted"
    second = next(s for s in polling if s["checks"] == 2)
    assert (second["serviceStatus"], second["lastCheckedAt"][:19]) == ("Running", "2026-11-29T12:00:02")
    done = run.custom_statuses[-1]
    assert (done["phase"], done["serviceStatus"], done["outcome"]) == ("done", "Failed", "failed")
    assert set(polling[-1]) >= {"phase", "serviceStatus", "checks", "lastCheckedAt", "elapsedSeconds", "filesTotal"}
    assert all(len(json.dumps(s)) < 1024 for s in run.custom_statuses)


def test_replaying_the_same_history_gives_the_same_actions():
    run = replay(HANDLE, job(files=2), START, service(["Running", "Running", "Succeeded"]))
    for payload, actions in zip(run.histories, run.actions_by_episode, strict=False):
        again = json.loads(HANDLE(payload))
        assert flatten(again["actions"]) == actions


@pytest.mark.parametrize("timeout", [1, 5, 299])
def test_deadline_holds_for_any_timeout(timeout):
    policy = PollingPolicy(timeout_seconds=timeout, initial_interval_seconds=2, max_interval_seconds=10)
    run = replay(HANDLE, job(policy), START, service(["Running"]))
    assert run.output["outcome"] == "timeout"
    assert checks(run)[-1][0] == timeout


def test_a_300_second_analysis_keeps_its_history_small():
    """Each episode replays its execution's whole history: the orchestration continues as new every
    CHECKS_PER_EXECUTION checks, carrying its state, so no execution's history grows with the analysis' length."""
    policy = PollingPolicy(timeout_seconds=300, initial_interval_seconds=2, max_interval_seconds=10)
    script = ["Running"] * 31 + ["Succeeded"]  # done at the last check before the 300 s deadline
    run = replay(HANDLE, job(policy, files=2), START, service(script))
    assert run.output["outcome"] == "succeeded"
    assert run.executions == 3 and run.output["checks"] == 32
    assert run.events <= 150
    assert max(len(h) for h in run.histories) <= 64 * 1024


@pytest.mark.parametrize(("files", "events"), [(1, 99), (2, 125), (10, 337)])
def test_the_history_figures_stated_at_checks_per_execution_hold(files, events):
    policy = PollingPolicy(timeout_seconds=300, initial_interval_seconds=2, max_interval_seconds=10)
    run = replay(HANDLE, job(policy, files=files), START, service(["Running"]))
    assert run.output["outcome"] == "timeout" and run.executions == 3
    assert run.events <= events


def test_continuing_as_new_keeps_the_schedule_the_deadline_and_the_operation():
    policy = PollingPolicy(timeout_seconds=300, initial_interval_seconds=2, max_interval_seconds=10)
    run = replay(HANDLE, job(policy), START, service(["Running"]))
    times = [t for t, _ in checks(run)]
    assert times[:5] == [0, 2, 6, 14, 24] and times[-1] == 300  # the same plan across executions
    assert all(b - a == 10 for a, b in itertools.pairwise(times[4:-1]))
    assert run.executions > 1 and run.output["outcome"] == "timeout"
    assert run.output["elapsedSeconds"] == 300  # measured from the first execution's start
    assert [c[1]["operationLocation"] for c in checks(run)][-1].endswith("svc-0?api-version=2025-11-01")
    submits = [c for c in run.calls if c[1] == "submit_analysis"]
    assert len(submits) == 1  # a continued execution never submits again


PLANNED = PollingPolicy(timeout_seconds=60, initial_interval_seconds=2, max_interval_seconds=8, plan=(20.0, 25.0, 28.0))


def learning_job(policy=PLANNED, files=1):
    return {**job(policy, files), "durationModel": {"bucket": "pages-1"}}


def recorder(statuses, recorded, fail=False):
    base = service(statuses)

    def activity(name, payload, elapsed):
        if name == "record_duration":
            recorded.append((elapsed, payload))
            if fail:
                raise ActivityFailure("storage down")
            return ActivityResult.ok({"recorded": True}).to_dict()
        return base(name, payload, elapsed)

    return activity


def test_a_planned_policy_checks_at_zero_then_on_the_plan_then_the_cold_tail_then_the_deadline():
    run = replay(HANDLE, job(PLANNED), START, service(["Running"]))
    assert [t for t, _ in checks(run)] == [0, 20, 25, 28, 30, 32, 36, 44, 52, 60]
    assert run.output["outcome"] == "timeout" and run.output["elapsedSeconds"] == 60


def test_a_planned_policy_honours_retry_after_and_returns_to_the_plan():
    throttled = ActivityResult.transient({"code": "HTTP429", "message": "slow down"}, retry_after=23).to_dict()
    run = replay(HANDLE, job(PLANNED), START, service([throttled, "Running", "Succeeded"]))
    assert [t for t, _ in checks(run)] == [0, 23, 25]


def test_replaying_a_planned_operation_gives_the_same_actions():
    recorded = []
    run = replay(HANDLE, learning_job(files=2), START, recorder(["Running", "Running", "Succeeded"], recorded))
    assert run.output["outcome"] == "succeeded"
    for payload, actions in zip(run.histories, run.actions_by_episode, strict=False):
        assert flatten(json.loads(HANDLE(payload))["actions"]) == actions


def test_the_custom_status_says_when_the_next_check_is_and_when_completion_is_expected():
    policy = PollingPolicy(60, 2, 8, plan=(20.0, 25.0, 28.0), expected_seconds=24.0)
    run = replay(HANDLE, job(policy), START, service(["Running", "Running", "Succeeded"]))
    waiting = [s for s in run.custom_statuses if s.get("nextCheckAt")]
    first = waiting[0]
    assert first["nextCheckAt"][:19] == "2026-11-29T12:00:20"
    assert first["expectedCompletionAt"][:19] == "2026-11-29T12:00:24"
    assert waiting[-1]["expectedCompletionAt"][:19] == "2026-11-29T12:00:25"  # never before the next check
    assert "nextCheckAt" not in run.custom_statuses[-1]  # done: nothing more to wait for
    cold = replay(HANDLE, job(), START, service(["Running", "Succeeded"]))
    assert [s.get("expectedCompletionAt") for s in cold.custom_statuses] == [None] * len(cold.custom_statuses)


def test_a_succeeded_operation_reports_each_files_duration_once():
    recorded = []
    script = {0: ["Running", "Succeeded"], 1: ["Running", "Running", "Running", "Succeeded"]}
    run = replay(HANDLE, learning_job(files=2), START, recorder(script, recorded))
    assert run.output["outcome"] == "succeeded"
    assert len(recorded) == 1
    elapsed, payload = recorded[0]
    assert payload["analyzerId"] == "prebuilt-invoice" and payload["bucket"] == "pages-1"
    # File 0: running at 0, done at 20; file 1: running at 0, 20, 25, done at 28.
    assert payload["observations"] == [[0, 20], [25, 28]]
    assert elapsed == 28


def test_a_failing_record_never_fails_the_operation():
    recorded = []
    run = replay(HANDLE, learning_job(), START, recorder(["Running", "Succeeded"], recorded, fail=True))
    assert run.output["outcome"] == "succeeded" and len(recorded) == 1


def test_failed_operations_and_jobs_without_a_model_teach_nothing():
    recorded = []
    replay(HANDLE, learning_job(), START, recorder(["Running", "Failed"], recorded))
    replay(HANDLE, job(PLANNED), START, recorder(["Running", "Succeeded"], recorded))
    assert recorded == []


def test_a_planned_300_second_analysis_keeps_its_history_small():
    plan = tuple(float(x) for x in range(150, 300, 3))
    policy = PollingPolicy(timeout_seconds=300, initial_interval_seconds=2, max_interval_seconds=10, plan=plan)
    recorded = []
    run = replay(
        HANDLE,
        {**job(policy), "durationModel": {"bucket": "all"}},
        START,
        recorder(["Running"] * 49 + ["Succeeded"], recorded),
    )
    assert run.output["outcome"] == "succeeded" and run.output["checks"] == 50
    assert run.executions == 5  # 50 checks, CHECKS_PER_EXECUTION at a time
    assert run.events <= 99 + 4  # the one-file figure at CHECKS_PER_EXECUTION, plus the record activity's events
    assert max(len(h) for h in run.histories) <= 20 * 1024


def test_a_submit_that_keeps_failing_says_why_while_it_retries():
    def down(payload, elapsed):
        return ActivityResult.transient({"code": "ConnectionFailed", "message": "refused"}).to_dict()

    run = replay(HANDLE, job(), START, service(["Running"], submit=down))
    submitting = [s for s in run.custom_statuses if s["phase"] == "submitting" and s.get("lastError")]
    assert submitting and submitting[0]["lastError"]["code"] == "ConnectionFailed"
