"""Activity: teach the shared duration model how long a finished analysis took.

Called once at the end of a succeeded operation. Answers an ActivityResult; the orchestrator never lets its
failure fail the operation (the schedule only gets a little less informed).
"""

from __future__ import annotations

import logging

import azure.durable_functions as df

from domain.activity_result import ActivityResult
from domain.duration_model import ALL_SIZES
from domain.orchestration_data import RecordDurationRequest
from duration_models import record_observations

bp = df.Blueprint()
log = logging.getLogger("analysis.activities")


@bp.activity_trigger(input_name="request")
def record_duration(request: RecordDurationRequest) -> dict:
    try:
        recorded = record_observations(request["analyzerId"], request["bucket"] or ALL_SIZES, request["observations"])
    except Exception as exc:  # the store is down or contended: this analysis is not learned from, nothing else
        log.warning("[BackgroundPoll] Duration not recorded for operation: %s (%s)", request["operationId"], exc)
        return ActivityResult.transient({"code": "DurationNotRecorded", "message": type(exc).__name__}).to_dict()
    return ActivityResult.ok({"recorded": recorded}).to_dict()
