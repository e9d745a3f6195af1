"""The management/RPC HTTP API, driven through the SDK's real DurableOrchestrationClient and raw HTTP."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta, timezone

import aiohttp
import azure.durable_functions as df
import azure.functions as func
import pytest
from durable_apps import harness

Status = df.OrchestrationRuntimeStatus


async def http(method: str, url: str, **kwargs):
    async with aiohttp.ClientSession() as session, session.request(method, url, **kwargs) as response:
        body = await response.text()
        return response.status, response.headers, (json.loads(body) if body else None)


def test_client_starts_and_reads_status_and_custom_status(tmp_path):
    async def scenario():
        async with harness(tmp_path) as h:
            instance_id = await h.client.start_new("approval", instance_id="approval-1")
            assert instance_id == "approval-1"

            async def waiting():
                status = await h.client.get_status(instance_id)
                return status.custom_status == {"stage": "waiting for approval"} and status

            from tests.support import wait_until_async as wait_until

            status = await wait_until(waiting)
            assert status.runtime_status == Status.Running
            await h.client.raise_event(instance_id, "approve", {"ok": True})
            await h.wait_for_status(instance_id, {"Completed"})
            status = await h.client.get_status(instance_id, show_history=True, show_history_output=True)
            assert status.runtime_status == Status.Completed
            # The real extension hands a Python client's event payload to the orchestrator as JSON text
            # (azure-functions-durable-python#295); devhost does the same.
            assert status.output == ["Hello approver!", '{"ok": true}']
            assert status.custom_status == {"stage": "approved"}
            names = [e["EventType"] for e in status.historyEvents]
            assert names[0] == "ExecutionStarted" and names[-1] == "ExecutionCompleted"

    asyncio.run(scenario())


def test_start_new_errors_for_unknown_function_and_running_instance(tmp_path):
    async def scenario():
        async with harness(tmp_path) as h:
            with pytest.raises(Exception, match="The function 'nope' doesn't exist"):
                await h.client.start_new("nope")
            await h.client.start_new("approval", instance_id="busy")
            with pytest.raises(Exception, match="already exists"):
                await h.client.start_new("approval", instance_id="busy")

            await h.client.start_new("chain", instance_id="again", client_input=["a"])
            first = await h.wait_for_status("again", {"Completed"})
            await h.client.start_new("chain", instance_id="again", client_input=["b"])
            second = await h.wait_for_status("again", {"Completed"})
            assert first["output"] == ["Hello a!"] and second["output"] == ["Hello b!"]

    asyncio.run(scenario())


def test_terminate_then_gone_and_unknown(tmp_path):
    async def scenario():
        async with harness(tmp_path) as h:
            instance_id = await h.client.start_new("approval")
            code, _, _ = await http("POST", h.rpc(f"instances/{instance_id}/terminate?reason=user%20cancelled"))
            assert code == 202
            status = await h.wait_for_status(instance_id, {"Terminated"})
            assert status["output"] == "user cancelled"
            code, _, _ = await http("POST", h.rpc(f"instances/{instance_id}/terminate?reason=again"))
            assert code == 410
            await h.client.terminate(instance_id, "again")  # the SDK treats 410 as done
            code, _, _ = await http("POST", h.rpc("instances/missing/terminate?reason=x"))
            assert code == 404
            with pytest.raises(Exception, match="No instance with ID 'missing' found"):
                await h.client.terminate("missing", "x")

    asyncio.run(scenario())


def test_webhook_status_codes_and_headers(tmp_path):
    async def scenario():
        async with harness(tmp_path) as h:
            waiting = await h.client.start_new("approval")
            await h.wait_for_status(waiting, {"Running"})
            code, headers, body = await http("GET", h.webhook(f"instances/{waiting}"))
            assert code == 202
            assert headers["Location"].endswith(f"/runtime/webhooks/durabletask/instances/{waiting}")
            assert headers["Retry-After"] == "5"
            assert body["runtimeStatus"] == "Running" and body["instanceId"] == waiting
            assert set(body) == {
                "name", "instanceId", "runtimeStatus", "input", "customStatus", "output",
                "createdTime", "lastUpdatedTime",
            }  # fmt: skip

            done = await h.client.start_new("chain", client_input=["z"])
            await h.wait_for_status(done, {"Completed"})
            code, headers, body = await http("GET", h.webhook(f"instances/{done}?showHistory=true"))
            assert code == 200 and "Location" not in headers
            assert body["output"] == ["Hello z!"] and body["historyEvents"]

            failed = await h.client.start_new("unhandled_failure")
            await h.wait_for_status(failed, {"Failed"})
            code, _, _ = await http("GET", h.webhook(f"instances/{failed}"))
            assert code == 200
            code, _, _ = await http("GET", h.webhook(f"instances/{failed}?returnInternalServerErrorOnFailure=true"))
            assert code == 500

            code, _, _ = await http("GET", h.webhook("instances/unknown-id"))
            assert code == 404
            assert not await h.client.get_status("unknown-id")

    asyncio.run(scenario())


def test_check_status_response_points_at_the_webhooks(tmp_path):
    async def scenario():
        async with harness(tmp_path) as h:
            instance_id = await h.client.start_new("chain", client_input=["q"])
            request = func.HttpRequest("POST", f"{h.base_url}/api/start", body=b"")
            response = h.client.create_check_status_response(request, instance_id)
            assert response.status_code == 202
            links = json.loads(response.get_body())
            assert links["id"] == instance_id
            await h.wait_for_status(instance_id, {"Completed"})
            code, _, body = await http("GET", links["statusQueryGetUri"])
            assert code == 200 and body["output"] == ["Hello q!"]

    asyncio.run(scenario())


def test_query_by_status_and_time(tmp_path):
    async def scenario():
        async with harness(tmp_path) as h:
            running = await h.client.start_new("approval")
            done = await h.client.start_new("chain", client_input=["a"])
            await h.wait_for_status(done, {"Completed"})
            await h.wait_for_status(running, {"Running"})
            found = await h.client.get_status_by(runtime_status=[Status.Running])
            assert [s.instance_id for s in found] == [running]
            everything = await h.client.get_status_all()
            assert {s.instance_id for s in everything} == {running, done}
            future = datetime.now(timezone.utc) + timedelta(hours=1)
            assert await h.client.get_status_by(created_time_from=future) == []

    asyncio.run(scenario())


def test_purge_one_and_many(tmp_path):
    async def scenario():
        async with harness(tmp_path) as h:
            ids = [await h.client.start_new("chain", client_input=[str(i)]) for i in range(3)]
            failed = await h.client.start_new("unhandled_failure")
            running = await h.client.start_new("approval")
            for instance_id in ids:
                await h.wait_for_status(instance_id, {"Completed"})
            await h.wait_for_status(failed, {"Failed"})

            result = await h.client.purge_instance_history(ids[0])
            assert result.instances_deleted == 1
            assert not await h.client.get_status(ids[0])
            assert (await h.client.purge_instance_history(ids[0])).instances_deleted == 0
            with pytest.raises(Exception, match="412"):
                await h.client.purge_instance_history(running)

            since = datetime.now(timezone.utc) - timedelta(hours=1)
            result = await h.client.purge_instance_history_by(
                created_time_from=since, runtime_status=[Status.Completed]
            )
            assert result.instances_deleted == 2
            remaining = {s.instance_id for s in await h.client.get_status_all()}
            assert remaining == {failed, running}
            result = await h.client.purge_instance_history_by(created_time_from=since)
            assert result.instances_deleted == 1  # the failed one; running instances are never purged

    asyncio.run(scenario())


def test_rewind_is_reported_as_unsupported(tmp_path):
    async def scenario():
        async with harness(tmp_path) as h:
            failed = await h.client.start_new("unhandled_failure")
            await h.wait_for_status(failed, {"Failed"})
            with pytest.raises(Exception, match="Rewind is not supported by devhost"):
                await h.client.rewind(failed, "try again")

    asyncio.run(scenario())
