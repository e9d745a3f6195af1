"""A small function app that exercises every feature devhost emulates (used by tests/devhost)."""

import json
import logging
import os

import azure.durable_functions as df
import azure.functions as func

app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)
log = logging.getLogger("sample_app")
ticks: list[bool] = []  # past_due flag of each timer run
uploads: list[dict] = []  # what `upload` received (method and body size), read back through `uploads`


def _json(payload, status: int = 200, headers: dict | None = None) -> func.HttpResponse:
    return func.HttpResponse(json.dumps(payload), status_code=status, mimetype="application/json", headers=headers)


@app.route(route="hello/{name}", methods=["GET"])
def hello(req: func.HttpRequest) -> func.HttpResponse:
    log.info("hello called for %s", req.route_params["name"])
    return _json(
        {
            "name": req.route_params["name"],
            "query": dict(req.params),
            "header": req.headers.get("x-sample"),
            "method": req.method,
            "url": req.url,
        }
    )


@app.route(route="echo", methods=["POST", "PUT"])
async def echo(req: func.HttpRequest) -> func.HttpResponse:
    body = req.get_json()
    return _json({"received": body, "method": req.method}, status=201, headers={"X-Echo": "yes"})


@app.route(route="upload", methods=["POST", "OPTIONS"])
def upload(req: func.HttpRequest) -> func.HttpResponse:
    uploads.append({"method": req.method, "size": len(req.get_body())})
    return _json(uploads[-1], status=201)


@app.route(route="uploads", methods=["GET"])
def upload_log(req: func.HttpRequest) -> func.HttpResponse:
    return _json(uploads)


@app.route(route="items/{itemId}:analyze", methods=["POST"])
def analyze(req: func.HttpRequest) -> func.HttpResponse:
    return _json({"itemId": req.route_params["itemId"]})


@app.route(route="numbers/{id:int}")
def numbers(req: func.HttpRequest) -> func.HttpResponse:
    return _json({"id": req.route_params["id"]})


@app.route(route="files/{*path}", methods=["GET"])
def files(req: func.HttpRequest) -> str:
    return req.route_params.get("path", "")


@app.route(route="boom", methods=["GET"])
def boom(req: func.HttpRequest) -> func.HttpResponse:
    raise RuntimeError("sample failure")


@app.route(route="settings/{name}", methods=["GET"])
def settings(req: func.HttpRequest) -> func.HttpResponse:
    return _json({"value": os.environ.get(req.route_params["name"])})


@app.route(route="whoami", methods=["GET"])
def whoami(req: func.HttpRequest, context: func.Context) -> func.HttpResponse:
    return _json({"function_name": context.function_name, "invocation_id": context.invocation_id})


@app.route(route="ticks", methods=["GET"])
def tick_count(req: func.HttpRequest) -> func.HttpResponse:
    return _json({"count": len(ticks), "past_due": ticks})


@app.timer_trigger(arg_name="timer", schedule="%TICK_SCHEDULE%", run_on_startup=True, use_monitor=False)
def tick(timer: func.TimerRequest) -> None:
    ticks.append(timer.past_due)


@app.route(route="orchestrators/{name}", methods=["POST"])
@app.durable_client_input(client_name="client")
async def start_orchestration(req: func.HttpRequest, client) -> func.HttpResponse:
    instance_id = await client.start_new(req.route_params["name"], client_input=req.get_json())
    return client.create_check_status_response(req, instance_id)


@app.route(route="status/{instance_id}", methods=["GET"])
@app.durable_client_input(client_name="client")
async def orchestration_status(req: func.HttpRequest, client) -> func.HttpResponse:
    status = await client.get_status(req.route_params["instance_id"])
    if not status:
        return _json({"error": "not found"}, status=404)
    return _json({"runtimeStatus": status.runtime_status.value, "output": status.output})


@app.orchestration_trigger(context_name="context")
def greet_cities(context: df.DurableOrchestrationContext):
    cities = context.get_input()
    greetings = []
    for city in cities:
        greetings.append((yield context.call_activity("say_hello", city)))
    shouted = yield context.call_activity("shout", {"words": greetings})
    return shouted


@app.activity_trigger(input_name="city")
def say_hello(city: str) -> str:
    return f"Hello {city}"


@app.activity_trigger(input_name="payload")
async def shout(payload: dict) -> list:
    return [w.upper() for w in payload["words"]]


@app.queue_trigger(arg_name="msg", queue_name="unsupported", connection="AzureWebJobsStorage")
def unsupported(msg: func.QueueMessage) -> None:
    pass
