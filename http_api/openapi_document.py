"""GET /openapi.json - the OpenAPI 3.1 description of this app's HTTP API, anonymous.

The document is http_api/openapi.json, deployed with the app. It is read once, at first use, and served
as stored (the e2e suite checks every answer the app gives against it).
"""

from __future__ import annotations

from pathlib import Path

import azure.functions as func

from config.per_process import per_process

OPENAPI_FILE = Path(__file__).with_name("openapi.json")

bp = func.Blueprint()


@per_process
def openapi_document_bytes() -> bytes:
    """The document's bytes; read from disk on the first call only."""
    return OPENAPI_FILE.read_bytes()


@bp.route(route="openapi.json", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def openapi_document(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(
        body=openapi_document_bytes(),
        status_code=200,
        mimetype="application/json",
        charset="utf-8",
        headers={"Cache-Control": "public, max-age=300"},
    )
