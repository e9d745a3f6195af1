"""Schemathesis hooks for tests/e2e/test_schemathesis.py (loaded through SCHEMATHESIS_HOOKS).

The OpenAPI document states most of what the app accepts as schema (patterns, limits, nullability). A few rules
cannot be a JSON Schema: the body's analyzerId must equal the path's, the input URL's host must be in
ALLOWED_INPUT_HOSTS (a setting), the host must not be a link-local or metadata address once parsed (`https://0` is
0.0.0.0), the input URL must stay within 8,192 characters once percent-encoded (the schema's maxLength counts
them as written), page ranges must ascend, and no number anywhere in the body may have more than 30 digits (nor the
body nest deeper than 64). The document states them in words; this check
replaces schemathesis' positive_data_acceptance so that a schema-valid request refused for one of exactly
these reasons is not a mismatch, and any other refusal still is.
"""

from __future__ import annotations

import json

import schemathesis

# (code, a phrase of the message) that only the document's words describe.
RULES_IN_WORDS = {
    ("AnalyzerIdMismatch", ""),
    ("InputHostNotAllowed", ""),
    ("InvalidRequest", "ascending ranges"),
    ("InvalidJson", "too deep"),
    ("InvalidInputUrl", "link-local or cloud metadata"),  # e.g. https://0 is 0.0.0.0 to a WHATWG parser
    ("InvalidInputUrl", "once percent-encoded"),  # non-ASCII characters count 6-12 each as sent
}


@schemathesis.check
def schema_valid_requests_are_accepted(ctx, response, case):
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or response.status_code not in (400, 413):
        return None
    try:
        body = json.loads(response.content)
    except ValueError:
        body = {}
    code, message = str(body.get("code")), str(body.get("message"))
    if any(code == rule and phrase in message for rule, phrase in RULES_IN_WORDS):
        return None
    raise AssertionError(f"A schema-valid request was refused: {response.status_code} {code}: {message}")
