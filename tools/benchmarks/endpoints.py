"""Endpoint latencies over HTTP on the local host (devhost + simulator) with analyses in flight, and the app's
own cost per request measured in-process: the decorated functions' user code with a stub durable client,
no HTTP and no durable backend."""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from types import SimpleNamespace

import requests

from tools.benchmarks.schedules import percentile
from tools.devhost.local_stack import HOST_READY, SIMULATOR_READY, Child, start_quiet

REPO = Path(__file__).resolve().parents[2]
ANALYZER = "prebuilt-invoice"
DOC = "https://files.example.com/invoice.pdf"
BENCH_HOST_KEY = "bench-host-key"


def start_stack(state_dir: Path, settings: dict[str, str], app_dir: Path = REPO) -> tuple[Child, Child]:
    """The simulator and a host serving `app_dir` (another checkout runs its own app and devhost)."""
    simulator = start_quiet("simulator", ["-m", "tools.simulator", "--port", "0", "--quiet"], SIMULATOR_READY)
    env = {
        "CONTENT_UNDERSTANDING_ENDPOINT": simulator.ready_url or "",
        "CONTENT_UNDERSTANDING_KEY": "local-simulator-key",
        "DURABLE_TASK_HUB_NAME": "Bench",
        "AUTH_MODE": "none",
        "AZURE_FUNCTIONS_ENVIRONMENT": "Development",
        "ALLOWED_INPUT_HOSTS": "*.example.com,example.com",
        "PURGE_SCHEDULE": "0 0 0 1 1 *",
        "DEVHOST_HOST_KEY": BENCH_HOST_KEY,  # the management API needs the host key, as the real host's does
        "CALLER_STARTS_PER_MINUTE": "100000",  # one anonymous caller measures the endpoints, not the limits
        "CALLER_READS_PER_MINUTE": "1000000",
        **settings,
    }
    try:
        args = ["-m", "tools.devhost", "--port", "0", "--app-dir", str(app_dir), "--state-dir", str(state_dir)]
        if "--no-local-settings" in (app_dir / "tools" / "devhost" / "cli.py").read_text(encoding="utf-8"):
            # The figures never depend on a developer's local.settings.json (an older checkout has no such option).
            args.append("--no-local-settings")
        host = start_quiet("host", args, HOST_READY, env, cwd=app_dir)
    except RuntimeError:
        simulator.stop()
        raise
    return simulator, host


def summary(samples_ms: list[float]) -> dict:
    ordered = sorted(samples_ms)
    return {
        "n": len(ordered),
        "p50": round(percentile(ordered, 0.5), 2),
        "p99": round(percentile(ordered, 0.99), 2),
        "max": round(ordered[-1], 2) if ordered else None,
    }


def timed(call) -> tuple[float, requests.Response]:
    started = time.perf_counter()
    response = call()
    return (time.perf_counter() - started) * 1000, response


def over_http(in_flight: int = 50, requests_per_figure: int = 400) -> dict:
    """POST and GET latencies with `in_flight` analyses running (real-time default schedule, 240 s analyses; the
    measured POSTs start 0.2 s analyses, so the load stays near `in_flight`), GETs of the running ones, then GET
    of a 2 MB result."""
    with tempfile.TemporaryDirectory(prefix="bench-endpoints-") as state:
        simulator, host = start_stack(Path(state), {})
        session = requests.Session()
        base = f"{host.ready_url}/pro-mode/content-analyzers/{ANALYZER}"
        try:

            def post(index: int, duration: float = 240, extra: str = "") -> tuple[float, requests.Response]:
                body = {"inputFiles": [f"{DOC}?n={index}&sim_duration={duration}{extra}"]}
                return timed(lambda: session.post(f"{base}:analyze", json=body, timeout=30))

            running = []
            for index in range(in_flight):  # staggered over 10 s, as real traffic is: no synchronised check bursts
                running.append(post(index)[1].json()["operationId"])
                time.sleep(10 / in_flight)
            time.sleep(5)  # past the first checks' quick ramp: the steady state of 50 analyses in flight
            post_ms = []
            for index in range(requests_per_figure):  # short analyses: the load stays at about `in_flight`
                ms, response = post(1000 + index, 0.2)
                post_ms.append(ms)
            get_ms = []
            for index in range(requests_per_figure):
                url = f"{base}/results/{running[index % len(running)]}"
                get_ms.append(timed(lambda url=url: session.get(url, timeout=30))[0])
            _, response = post(99999, 0.5, "&sim_result_kb=2048")
            large_id = response.json()["operationId"]
            deadline = time.monotonic() + 60
            while session.get(f"{base}/results/{large_id}", timeout=30).status_code == 202:
                if time.monotonic() > deadline:
                    break
                time.sleep(0.2)
            large = [timed(lambda: session.get(f"{base}/results/{large_id}", timeout=30)) for _ in range(50)]
            size_kb = len(large[-1][1].content) / 1024
            return {
                "in_flight": len(running),
                "post_ms": summary(post_ms),
                "get_ms": summary(get_ms),
                "get_2mb_ms": {**summary([ms for ms, _ in large]), "kb": round(size_kb)},
            }
        finally:
            host.stop()
            simulator.stop()


class _StubDurableClient:
    """Just enough of DurableOrchestrationClient for the starter and the results endpoint."""

    def __init__(self) -> None:
        self.instances: dict[str, dict] = {}

    async def start_new(self, name: str, instance_id: str, job: dict) -> str:
        self.instances[instance_id] = job
        return instance_id

    async def get_status(self, instance_id: str, show_input: bool = False):
        job = self.instances.get(instance_id)
        if job is None:
            return None
        now = datetime.now(timezone.utc)
        custom = {
            "phase": "polling",
            "serviceStatus": "Running",
            "checks": 7,
            "lastCheckedAt": now.isoformat(),
            "nextCheckAt": now.isoformat(),
            "filesTotal": 1,
            "filesDone": 0,
        }
        return SimpleNamespace(
            input_=job,
            runtime_status=SimpleNamespace(value="Running"),
            output=None,
            custom_status=custom,
            created_time=now,
        )


def in_process(count: int = 2000) -> dict:
    """The handlers' own cost: POST (validate, plan, start) and GET while running, no HTTP, no backend."""
    import azure.functions as func

    defaults = {
        "CONTENT_UNDERSTANDING_ENDPOINT": "http://127.0.0.1:9",
        "DURABLE_TASK_HUB_NAME": "Bench",
        "PURGE_SCHEDULE": "0 */5 * * * *",
        "AUTH_MODE": "none",
        "AZURE_FUNCTIONS_ENVIRONMENT": "Development",
        "ALLOWED_INPUT_HOSTS": "*.example.com,example.com",
        "CALLER_STARTS_PER_MINUTE": "100000",
        "CALLER_READS_PER_MINUTE": "1000000",
    }
    for name, value in defaults.items():
        os.environ.setdefault(name, value)
    # The production path: a store holding a warm model, so each POST plans (from the per-process cache).
    models = tempfile.mkdtemp(prefix="bench-models-")
    os.environ["DURATION_MODEL_STORE"] = f"file:{models}"
    from config.per_process import reset_per_process
    from domain.duration_model import ALL_SIZES, observe
    from duration_models.folder_store import FolderStore

    model = None
    for index in range(20):
        end = 175.0 + index % 10
        model = observe(model, ANALYZER, ALL_SIZES, [(end - 2, end)])
    FolderStore(models).update(ANALYZER, lambda _: model)
    reset_per_process()
    from http_api.analysis_results import get_analysis_results
    from http_api.analyze_starter import start_analysis

    # The user code under the SDK's client middleware (which would build a real client from a binding string).
    start = start_analysis.build().get_user_function().__wrapped__
    results = get_analysis_results.build().get_user_function().__wrapped__
    client = _StubDurableClient()
    route = f"/pro-mode/content-analyzers/{ANALYZER}"

    async def measure() -> tuple[list[float], list[float]]:
        post_ms, get_ms, ids = [], [], []
        for index in range(count):
            body = f'{{"inputFiles": ["{DOC}?n={index}"], "pages": "1-3"}}'.encode()
            request = func.HttpRequest(
                "POST",
                f"http://localhost{route}:analyze",
                headers={"Content-Type": "application/json"},
                route_params={"analyzerId": ANALYZER},
                body=body,
            )
            started = time.perf_counter()
            response = await start(request, client)
            post_ms.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 202, response.get_body()
            ids.append(next(reversed(client.instances)))
        assert client.instances[ids[-1]]["policy"].get("plan"), "the in-process POSTs should have planned"
        for index in range(count):
            operation_id = ids[index]
            request = func.HttpRequest(
                "GET",
                f"http://localhost{route}/results/{operation_id}",
                headers={},
                route_params={"analyzerId": ANALYZER, "operationId": operation_id},
                body=b"",
            )
            started = time.perf_counter()
            response = await results(request, client)
            get_ms.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 202, response.get_body()
        return post_ms, get_ms

    try:
        post_ms, get_ms = asyncio.run(measure())
    finally:
        os.environ.pop("DURATION_MODEL_STORE", None)
        reset_per_process()
    return {"post": summary(post_ms[100:]), "get": summary(get_ms[100:])}  # the first 100 warm the caches
