"""The backend profiles (DEVHOST_DURABLE_PROFILE) through the SDK's real client: what each backend does differently."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timezone

import pytest
from durable_apps import harness, release_slow

from tests.support import wait_until_async as wait_until
from tools.devhost.durable.profiles import (
    PROFILES,
    ProfileError,
    custom_status_error,
    format_timespan,
    next_poll_interval,
    parse_function_timeout,
    profile_from_settings,
)

STORAGE = PROFILES["azure-storage"]
DTS = PROFILES["dts"]


def _storage(cap: float = 1.0):
    return profile_from_settings({"DEVHOST_DURABLE_PROFILE": "azure-storage", "DEVHOST_DURABLE_LATE_SECONDS": str(cap)})


def test_one_setting_chooses_the_profile_and_a_bad_value_says_why():
    assert profile_from_settings({}).name == "exact"
    assert profile_from_settings({"DEVHOST_DURABLE_PROFILE": "DTS"}).max_message_bytes == 1024 * 1024
    assert _storage(2).max_queue_polling_seconds == 2.0
    assert profile_from_settings({"DEVHOST_DURABLE_PROFILE": "azure-storage"}).max_queue_polling_seconds == 30.0
    with pytest.raises(ProfileError, match="not one of exact, azure-storage, dts"):
        profile_from_settings({"DEVHOST_DURABLE_PROFILE": "netherite"})
    with pytest.raises(ProfileError, match="DEVHOST_DURABLE_LATE_SECONDS"):
        _storage("soon")  # type: ignore[arg-type]
    delayed = profile_from_settings({"DEVHOST_DURABLE_PROFILE": "dts", "DEVHOST_DURABLE_TIMER_DELAY_SECONDS": "1.5"})
    assert (delayed.name, delayed.timer_delay_seconds) == ("dts", 1.5)
    with pytest.raises(ProfileError, match="DEVHOST_DURABLE_TIMER_DELAY_SECONDS"):
        profile_from_settings({"DEVHOST_DURABLE_TIMER_DELAY_SECONDS": "-1"})


def test_queue_poller_backs_off_like_dtfx_and_stops_at_the_cap():
    intervals, current = [], 0.0
    for _ in range(12):
        current = next_poll_interval(current, 30.0)
        intervals.append(round(current, 3))
    assert intervals[:6] == [0.05, 0.1, 0.15, 0.25, 0.45, 0.85]
    assert intervals[-1] == 30.0


def test_custom_status_limit_is_16_kb_of_utf16_in_whole_kb():
    assert custom_status_error('"' + "x" * 8000 + '"') is None  # 16,004 bytes of UTF-16: 15 KB
    assert custom_status_error('"' + "x" * 8700 + '"') is None  # 17,404 bytes: 16.99 KB, counted as 16
    assert custom_status_error('"' + "x" * 8800 + '"') == (
        "The UTF-16 size of the JSON-serialized payload must not exceed 16 KB. The current payload size is 17 KB."
    )


def test_function_timeout_reads_timespans():
    assert parse_function_timeout("00:10:00") == 600
    assert parse_function_timeout("1.00:00:00") == 86400
    assert parse_function_timeout("00:00:01.5") == 1.5
    assert parse_function_timeout("-1") is None
    assert format_timespan(600) == "00:10:00"
    assert format_timespan(0.3) == "00:00:00.3000000"
    with pytest.raises(ProfileError):
        parse_function_timeout("ten minutes")


def test_exact_start_is_atomic_the_second_concurrent_start_is_refused(tmp_path):
    async def scenario():
        async with harness(tmp_path) as h:
            outcomes = await asyncio.gather(
                h.client.start_new("chain", "same-id", ["alice"]),
                h.client.start_new("chain", "same-id", ["bob"]),
                return_exceptions=True,
            )
            assert sum(isinstance(o, Exception) for o in outcomes) == 1

    asyncio.run(scenario())


def test_azure_storage_start_is_check_then_insert_both_succeed_and_one_input_silently_wins(tmp_path):
    async def scenario():
        async with harness(tmp_path, profile=_storage()) as h:
            outcomes = await asyncio.gather(
                h.client.start_new("chain", "same-id", ["alice"]),
                h.client.start_new("chain", "same-id", ["bob"]),
            )
            assert outcomes == ["same-id", "same-id"]  # nobody was told about the conflict
            stored = (await h.client.get_status("same-id", show_input=True)).input_
            final = await h.wait_for_status("same-id", {"Completed"})
            # The instance row and the execution that ran are the same start; the other start message is dropped.
            winner = "alice" if "alice" in str(stored) else "bob"
            assert final["output"] == [f"Hello {winner}!"]
            await asyncio.sleep(0.3)
            assert (await h.engine.get_status("same-id"))["output"] == [f"Hello {winner}!"]

    asyncio.run(scenario())


def test_azure_storage_timer_is_picked_up_late_after_an_idle_wait(tmp_path):
    async def scenario():
        async with harness(tmp_path, profile=_storage(cap=1.0)) as h:
            asked = datetime.now(timezone.utc)
            await h.client.start_new("waits", "idle", 2.0)
            status = await h.wait_for_status("idle", {"Completed"}, timeout=15)
            late = (datetime.fromisoformat(status["output"]) - asked).total_seconds() - 2.0
            assert 0.2 < late <= 1.3  # the poller had backed off towards its 1 s cap while nothing happened

    asyncio.run(scenario())


def test_exact_timer_fires_on_time(tmp_path):
    async def scenario():
        async with harness(tmp_path) as h:
            asked = datetime.now(timezone.utc)
            await h.client.start_new("waits", "idle", 1.0)
            status = await h.wait_for_status("idle", {"Completed"}, timeout=15)
            assert (datetime.fromisoformat(status["output"]) - asked).total_seconds() - 1.0 < 0.2

    asyncio.run(scenario())


def test_a_timer_delay_makes_every_timer_fire_that_late_on_any_profile(tmp_path):
    """DEVHOST_DURABLE_TIMER_DELAY_SECONDS: the episode after a timer runs that much after its fireAt."""

    async def scenario():
        profile = profile_from_settings({"DEVHOST_DURABLE_TIMER_DELAY_SECONDS": "0.5"})
        async with harness(tmp_path, profile=profile) as h:
            asked = datetime.now(timezone.utc)
            await h.client.start_new("waits", "delayed", 1.0)
            status = await h.wait_for_status("delayed", {"Completed"}, timeout=15)
            assert (datetime.fromisoformat(status["output"]) - asked).total_seconds() >= 1.0 + 0.5

    asyncio.run(scenario())


def test_azure_storage_terminate_waits_for_the_queue_poller(tmp_path):
    async def scenario():
        async with harness(tmp_path, profile=_storage(cap=1.5)) as h:
            await h.client.start_new("approval", "waiting")
            await h.wait_for_status("waiting", {"Running"})
            await asyncio.sleep(2.5)  # idle: the poller is at its cap now
            asked = time.monotonic()
            await h.client.terminate("waiting", "stop")
            assert (await h.engine.get_status("waiting"))["runtimeStatus"] == "Running"
            await h.wait_for_status("waiting", {"Terminated"}, timeout=10)
            assert time.monotonic() - asked > 0.3

    asyncio.run(scenario())


@pytest.mark.parametrize(("profile", "resets"), [(None, False), (STORAGE, True)])
def test_created_time_resets_on_continue_as_new_only_on_azure_storage(tmp_path, profile, resets):
    async def scenario():
        async with harness(tmp_path, profile=profile) as h:
            await h.client.start_new("ticking", "counting", 0)
            first = (await h.engine.get_status("counting"))["createdTime"]  # one-second resolution
            status = await h.wait_for_status("counting", {"Completed"}, timeout=15)
            assert (status["createdTime"] != first) is resets

    asyncio.run(scenario())


def test_every_profile_fails_a_custom_status_over_16_kb(tmp_path):
    async def scenario():
        async with harness(tmp_path) as h:
            await h.client.start_new("big_status", "small", 7000)
            await h.client.start_new("big_status", "big", 9000)
            assert (await h.wait_for_status("small", {"Completed", "Failed"}))["runtimeStatus"] == "Completed"
            failed = await h.wait_for_status("big", {"Completed", "Failed"})
            assert failed["runtimeStatus"] == "Failed"
            assert "must not exceed 16 KB" in failed["output"]

    asyncio.run(scenario())


def test_dts_refuses_payloads_over_one_mib(tmp_path):
    async def scenario():
        async with harness(tmp_path, profile=DTS) as h:
            with pytest.raises(Exception, match="ResourceExhausted"):
                await h.client.start_new("chain", "huge", ["x" * (1024 * 1024)])
            assert await h.engine.get_status("huge") is None
            await h.client.start_new("asks_sized", "big-output", 1024 * 1024 + 10)
            await h.client.start_new("asks_sized", "fits", 1000 * 1000)
            big = await h.wait_for_status("big-output", {"Completed", "Failed"})
            assert "exceeds the Durable Task Scheduler message size limit" in big["output"]
            assert (await h.wait_for_status("fits", {"Completed", "Failed"}))["output"] == 1000 * 1000

    asyncio.run(scenario())


def test_exact_takes_a_large_input(tmp_path):
    async def scenario():
        async with harness(tmp_path) as h:
            await h.client.start_new("chain", "large", ["x" * (1024 * 1024)])
            assert (await h.wait_for_status("large", {"Completed", "Failed"}))["runtimeStatus"] == "Completed"

    asyncio.run(scenario())


def test_dts_purges_by_filter_in_batches(tmp_path):
    async def scenario():
        async with harness(tmp_path, profile=DTS) as h:
            for i in range(5):
                await h.client.start_new("chain", f"done-{i}", ["x"])
            for i in range(5):
                await h.wait_for_status(f"done-{i}", {"Completed"})
            frm = datetime(2020, 1, 1)
            deleted = []
            for _ in range(4):
                deleted.append((await h.client.purge_instance_history_by(created_time_from=frm)).instances_deleted)
            assert deleted == [2, 2, 1, 0]

    asyncio.run(scenario())


def test_function_timeout_fails_an_activity_that_runs_too_long(tmp_path):
    async def scenario():
        release_slow.clear()
        try:
            async with harness(tmp_path, function_timeout_seconds=0.3) as h:
                await h.client.start_new("asks_slow", "too-slow")
                status = await wait_until(lambda: _completed(h, "too-slow"), 10)
                assert "Timeout value of 00:00:00.3000000 was exceeded by function: Functions.slow" in status["output"]
        finally:
            release_slow.set()

    asyncio.run(scenario())


async def _completed(h, instance_id):
    status = await h.engine.get_status(instance_id)
    return status if status and status["runtimeStatus"] == "Completed" else None
