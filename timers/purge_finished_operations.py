"""Timer: purge finished operations (and their results) once they are older than RESULT_TTL_SECONDS.

Running operations are never purged: the purge filters on terminal runtime statuses only. The claim-check
copies of their results (result_copies) older than the same cutoff are deleted with them.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta, timezone

import azure.durable_functions as df
import azure.functions as func
from azure.durable_functions.models.OrchestrationRuntimeStatus import OrchestrationRuntimeStatus

from config.settings import get_settings
from result_copies import delete_copies_older_than

FINISHED_STATUSES = [
    OrchestrationRuntimeStatus.Completed,
    OrchestrationRuntimeStatus.Failed,
    OrchestrationRuntimeStatus.Terminated,
]
# A sane lower bound for the purge query (datetime.min breaks the storage query).
PURGE_FROM = datetime(2020, 1, 1, tzinfo=timezone.utc)

MAX_PURGE_CALLS = 100

bp = df.Blueprint()
log = logging.getLogger("analysis.retention")


# The host resolves %PURGE_SCHEDULE% from the app settings, as it does any %NAME% binding expression.
@bp.timer_trigger(arg_name="timer", schedule="%PURGE_SCHEDULE%", run_on_startup=False)
@bp.durable_client_input(client_name="client")
async def purge_finished_operations(timer: func.TimerRequest, client: df.DurableOrchestrationClient) -> None:
    cutoff = datetime.now(timezone.utc) - timedelta(seconds=get_settings().result_ttl_seconds)
    purged = 0
    # The Durable Task Scheduler purges by filter in bounded batches (it reports an incomplete purge); ask again
    # until a call deletes nothing, a bounded number of times (the next run carries on).
    for _ in range(MAX_PURGE_CALLS):
        deleted = (
            await client.purge_instance_history_by(
                created_time_from=PURGE_FROM, created_time_to=cutoff, runtime_status=FINISHED_STATUSES
            )
        ).instances_deleted
        purged += deleted
        if not deleted:
            break
    log.info("[Retention] Purged %d finished operations created before %s", purged, cutoff.isoformat())
    try:
        copies = await asyncio.to_thread(delete_copies_older_than, cutoff)
        log.info("[Retention] Deleted %d result copies written before %s", copies, cutoff.isoformat())
    except Exception:
        log.exception("[Retention] Deleting result copies failed; the next run tries again")
