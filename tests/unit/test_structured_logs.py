"""Every app log line carries the operation's ids as record properties (customDimensions in Application Insights)."""

import logging
from datetime import datetime, timezone

from observability.azure_monitor import configure_azure_monitor_logs
from observability.log_context import install_record_factory, log_context
from orchestrators.analysis_orchestrator import analysis_orchestrator
from tests.unit.orchestration_replay import replay
from tests.unit.test_analysis_orchestrator import job, service

HANDLE = analysis_orchestrator.build().get_user_function()


def test_records_written_inside_a_context_carry_its_properties(caplog):
    install_record_factory()
    logger = logging.getLogger("analysis.test")
    with caplog.at_level(logging.INFO, logger="analysis"):
        with log_context(operationId="an-1", serviceOperationId=None):
            logger.info("inside")
        logger.info("outside")
    inside, outside = caplog.records[-2:]
    assert inside.operationId == "an-1" and not hasattr(inside, "serviceOperationId")
    assert not hasattr(outside, "operationId")


def test_the_orchestrator_logs_each_step_as_an_event_with_the_operation_ids(caplog):
    start = datetime(2026, 11, 29, 12, tzinfo=timezone.utc)
    with caplog.at_level(logging.INFO, logger="analysis.orchestrator"):
        replay(HANDLE, job(), start, service(["Running", "Succeeded"]), instance_id="an-42")
    events = [(r.event, r.operationId, r.analyzerId, r.scope) for r in caplog.records if hasattr(r, "event")]
    assert ("analysis.submitted", "an-42", "prebuilt-invoice", "user:u1") in events
    assert [e[0] for e in events].count("analysis.checked") == 2
    finished = [r for r in caplog.records if getattr(r, "event", None) == "analysis.finished"]
    assert len(finished) == 1  # once, not again on replay
    assert (finished[0].outcome, finished[0].checks) == ("succeeded", 2)


def test_azure_monitor_is_only_configured_where_there_is_a_connection_string():
    assert configure_azure_monitor_logs({}) is False
