"""Plausible GA-shaped analysis results (result.contents[].fields with typed values)."""

from __future__ import annotations

import mimetypes
import re
from typing import Any
from urllib.parse import urlsplit

from .options import DEFAULT_DEPLOYMENTS

PREBUILT_ANALYZERS: dict[str, str] = {
    "prebuilt-read": "Extracts text (OCR).",
    "prebuilt-layout": "Extracts text, tables and layout.",
    "prebuilt-document": "Extracts content and layout from documents.",
    "prebuilt-documentSearch": "Extracts content and a summary for search (RAG).",
    "prebuilt-invoice": "Extracts invoice fields.",
    "prebuilt-receipt": "Extracts receipt fields.",
    "prebuilt-idDocument": "Extracts identity document fields.",
    "prebuilt-contract": "Extracts contract fields.",
    "prebuilt-image": "Analyzes images.",
    "prebuilt-imageSearch": "Describes images for search.",
    "prebuilt-audio": "Transcribes audio.",
    "prebuilt-audioSearch": "Transcribes and summarizes audio.",
    "prebuilt-video": "Analyzes video.",
    "prebuilt-videoSearch": "Analyzes and summarizes video.",
    "prebuilt-callCenter": "Analyzes call center recordings.",
}

# (name, type, value) per prebuilt analyzer; value shapes follow ContentField subtypes of the GA spec.
_INVOICE = [
    ("InvoiceId", "string", "INV-100"),
    ("InvoiceDate", "date", "2025-11-01"),
    ("DueDate", "date", "2025-12-01"),
    ("VendorName", "string", "CONTOSO LTD."),
    ("CustomerName", "string", "MICROSOFT CORPORATION"),
    ("TotalAmount", "object", {"Amount": ("number", 610.0), "CurrencyCode": ("string", "USD")}),
]
_RECEIPT = [
    ("MerchantName", "string", "Contoso Coffee"),
    ("TransactionDate", "date", "2025-11-01"),
    ("TransactionTime", "time", "13:59:00"),
    ("Total", "object", {"Amount": ("number", 14.5), "CurrencyCode": ("string", "USD")}),
]
_ID_DOCUMENT = [
    ("FirstName", "string", "AVERY"),
    ("LastName", "string", "SMITH"),
    ("DocumentNumber", "string", "D1234567"),
    ("DateOfBirth", "date", "1990-01-31"),
    ("DateOfExpiration", "date", "2030-01-31"),
    ("CountryRegion", "string", "USA"),
]
_CONTRACT = [
    ("Title", "string", "Master Services Agreement"),
    ("ExecutionDate", "date", "2025-10-15"),
    ("Parties", "array", [("string", "Contoso Ltd."), ("string", "Fabrikam Inc.")]),
]
_SUMMARY = [("Summary", "string", "A simulated document used for local testing.")]

# Analyzers that only extract content (no generative model, hence no model deployment needed).
CONTENT_ONLY_ANALYZERS = frozenset({"prebuilt-read", "prebuilt-layout"})
# Model names a generative prebuilt analyzer needs deployments for (GA 2025-11-01): gpt-4.1 and
# text-embedding-3-large; the `*Search` (RAG) prebuilts use gpt-4.1-mini instead of gpt-4.1.
PREBUILT_MODELS = {"completion": "gpt-4.1", "embedding": "text-embedding-3-large"}
SEARCH_PREBUILT_MODELS = {"completion": "gpt-4.1-mini", "embedding": "text-embedding-3-large"}
# The spec's SupportedModels: for each kind, a string array of model names.
SUPPORTED_MODELS = {"completion": ["gpt-4.1", "gpt-4.1-mini"], "embedding": ["text-embedding-3-large"]}


def prebuilt_models(analyzer_id: str) -> dict[str, str]:
    """The models a generative prebuilt analyzer uses, by kind."""
    return dict(SEARCH_PREBUILT_MODELS if analyzer_id.endswith("Search") else PREBUILT_MODELS)


# The resource's defaults: each model to the deployment named after it.
DEFAULT_MODEL_DEPLOYMENTS = {name: name for name in DEFAULT_DEPLOYMENTS}
_TEXT_MIME_TYPES = frozenset({"text/plain", "text/html", "text/markdown", "text/csv", "application/json"})

FIELDS_BY_ANALYZER: dict[str, list[tuple[str, str, Any]]] = {
    "prebuilt-invoice": _INVOICE,
    "prebuilt-receipt": _RECEIPT,
    "prebuilt-idDocument": _ID_DOCUMENT,
    "prebuilt-contract": _CONTRACT,
    "prebuilt-documentSearch": _SUMMARY,
    "prebuilt-imageSearch": _SUMMARY,
    "prebuilt-audioSearch": _SUMMARY,
    "prebuilt-videoSearch": _SUMMARY,
}

_SAMPLE_BY_TYPE: dict[str, Any] = {
    "string": "sample text",
    "date": "2025-11-01",
    "time": "12:00:00",
    "number": 42.5,
    "integer": 42,
    "boolean": True,
    "json": {"sample": True},
}
_MAX_SCHEMA_DEPTH = 6
_VALUE_KEY = {
    "string": "valueString",
    "date": "valueDate",
    "time": "valueTime",
    "number": "valueNumber",
    "integer": "valueInteger",
    "boolean": "valueBoolean",
    "json": "valueJson",
    "array": "valueArray",
    "object": "valueObject",
}


def page_numbers(range_expression: str | None) -> list[int]:
    """Pages implied by a range like '1-3,5' (open ranges count one page); default: page 1."""
    if not range_expression:
        return [1]
    pages: set[int] = set()
    for part in range_expression.split(","):
        numbers = [int(n) for n in re.findall(r"\d+", part)]
        if len(numbers) >= 2 and "-" in part:
            pages.update(range(numbers[0], min(numbers[1], numbers[0] + 299) + 1))
        elif numbers:
            pages.add(numbers[0])
    return sorted(pages) or [1]


def guess_mime_type(item: dict[str, Any]) -> str:
    if item.get("mimeType"):
        return str(item["mimeType"])
    url = item.get("url")
    if url:
        guessed, _ = mimetypes.guess_type(urlsplit(url).path)
        if guessed:
            return guessed
    return "application/pdf"


def fields_for(analyzer_id: str, analyzer: dict[str, Any] | None) -> list[tuple[str, str, Any]]:
    """Prebuilt field sets, or one sample value per field of a custom analyzer's fieldSchema.

    Values: a plain value for leaf types; {name: (type, value)} for objects; [(type, value), ...] for arrays.
    """
    if analyzer_id in FIELDS_BY_ANALYZER:
        return FIELDS_BY_ANALYZER[analyzer_id]
    schema = (analyzer or {}).get("fieldSchema") or {}
    fields = schema.get("fields") if isinstance(schema, dict) else None
    if not isinstance(fields, dict):
        return []
    definitions = schema.get("definitions") if isinstance(schema.get("definitions"), dict) else {}
    return [(name, *_sample(definition, definitions, name, 0)) for name, definition in fields.items()]


def _sample(definition: Any, definitions: dict[str, Any], name: str, depth: int) -> tuple[str, Any]:
    """(type, value) for one ContentFieldDefinition: items/properties/$ref are followed (a few levels deep)."""
    if not isinstance(definition, dict) or depth > _MAX_SCHEMA_DEPTH:
        return "string", f"{name} value"
    ref = definition.get("$ref")
    if isinstance(ref, str):
        target = definitions.get(ref.rsplit("/", 1)[-1])
        return _sample(target, definitions, name, depth + 1)
    field_type = definition.get("type", "string")
    if field_type == "array":
        items = definition.get("items") or {"type": "string"}
        return "array", [_sample(items, definitions, f"{name} {i}", depth + 1) for i in (1, 2)]
    if field_type == "object":
        properties = definition.get("properties") if isinstance(definition.get("properties"), dict) else {}
        return "object", {key: _sample(sub, definitions, key, depth + 1) for key, sub in properties.items()}
    enum = definition.get("enum")
    if field_type == "string" and isinstance(enum, list) and enum:
        return "string", str(enum[0])
    if field_type == "string":
        return "string", f"{name} value"
    if field_type not in _SAMPLE_BY_TYPE:
        return "string", f"{name} value"
    return field_type, _SAMPLE_BY_TYPE[field_type]


def _field(field_type: str, value: Any, markdown: str, page: int) -> dict[str, Any]:
    if field_type == "object":
        return {
            "type": "object",
            "valueObject": {k: _field(t, v, markdown, page) for k, (t, v) in value.items()},
            "confidence": 0.91,
        }
    if field_type == "array":
        return {"type": "array", "valueArray": [_field(t, v, markdown, page) for t, v in value]}
    entry: dict[str, Any] = {"type": field_type, _VALUE_KEY.get(field_type, "valueString"): value}
    text = str(value)
    offset = markdown.find(text)
    if offset >= 0:
        entry["spans"] = [{"offset": offset, "length": len(text)}]
        entry["source"] = f"D({page},1.0,1.0,3.0,1.0,3.0,1.3,1.0,1.3)"
    entry["confidence"] = 0.93
    return entry


def _flat_texts(fields: list[tuple[str, str, Any]]) -> list[str]:
    texts = []
    for name, field_type, value in fields:
        if field_type == "object":
            texts.extend(_flat_texts([(f"{name} {k}", t, v) for k, (t, v) in value.items()]))
        elif field_type == "array":
            texts.extend(_flat_texts([(f"{name} {i}", t, v) for i, (t, v) in enumerate(value, 1)]))
        else:
            texts.append(f"{name}: {value}")
    return texts


def required_models(analyzer_id: str, analyzer: dict[str, Any] | None) -> list[str]:
    """Model names whose deployments an analysis with this analyzer needs ([] = content extraction only)."""
    if analyzer_id in CONTENT_ONLY_ANALYZERS:
        return []
    if analyzer_id.startswith("prebuilt-"):
        return sorted(set(prebuilt_models(analyzer_id).values()))
    if not fields_for(analyzer_id, analyzer):
        return []
    models = (analyzer or {}).get("models")
    if not isinstance(models, dict) or not models:
        models = PREBUILT_MODELS
    return sorted({str(name) for name in models.values()})


def build_content(
    analyzer_id: str, analyzer: dict[str, Any] | None, item: dict[str, Any], index: int, result_kb: float
) -> dict[str, Any]:
    pages = page_numbers(item.get("range"))
    fields = fields_for(analyzer_id, analyzer)
    lines = [f"# Simulated {analyzer_id} result for input{index}", ""]
    lines.extend(_flat_texts(fields))
    lines.append("")
    markdown = "\n".join(lines)
    if result_kb > 0:
        filler = "Lorem ipsum dolor sit amet, consectetur adipiscing elit. "
        target = int(result_kb * 1024)
        if len(markdown) < target:
            markdown += (filler * (target // len(filler) + 1))[: target - len(markdown)]
    mime_type = guess_mime_type(item)
    is_image = mime_type.startswith("image/") and mime_type != "image/tiff"
    tables: list[dict[str, Any]] = []
    if analyzer_id in ("prebuilt-layout", "prebuilt-invoice"):
        tables.append(
            {
                "rowCount": 2,
                "columnCount": 2,
                "cells": [
                    {
                        "kind": "columnHeader",
                        "rowIndex": 0,
                        "columnIndex": 0,
                        "rowSpan": 1,
                        "columnSpan": 1,
                        "content": "Item",
                    },
                    {
                        "kind": "columnHeader",
                        "rowIndex": 0,
                        "columnIndex": 1,
                        "rowSpan": 1,
                        "columnSpan": 1,
                        "content": "Amount",
                    },
                    {
                        "kind": "content",
                        "rowIndex": 1,
                        "columnIndex": 0,
                        "rowSpan": 1,
                        "columnSpan": 1,
                        "content": "Consulting",
                    },
                    {
                        "kind": "content",
                        "rowIndex": 1,
                        "columnIndex": 1,
                        "rowSpan": 1,
                        "columnSpan": 1,
                        "content": "610.00",
                    },
                ],
                "source": f"D({pages[0]},1.0,5.0,7.5,5.0,7.5,6.0,1.0,6.0)",
            }
        )
    content: dict[str, Any] = {
        "path": f"input{index}",
        "markdown": markdown,
        "fields": {name: _field(t, v, markdown, pages[0]) for name, t, v in fields},
        "kind": "document",
        "startPageNumber": pages[0],
        "endPageNumber": pages[-1],
        "mimeType": mime_type,
        "analyzerId": analyzer_id,
        "unit": "pixel" if is_image else "inch",
        "pages": [
            {
                "pageNumber": n,
                "angle": 0,
                "width": 1700 if is_image else 8.5,
                "height": 2200 if is_image else 11,
                "spans": [{"offset": 0, "length": len(markdown)}],
            }
            for n in pages
        ],
        "tables": tables,
    }
    return content


def usage_for(analyzer_id: str, analyzer: dict[str, Any] | None, contents: list[dict[str, Any]]) -> dict[str, Any]:
    """GA UsageDetails: pages per processing level, plus model tokens when a generative model ran."""
    usage: dict[str, Any] = {"documentPagesMinimal": 0, "documentPagesBasic": 0, "documentPagesStandard": 0}
    for content in contents:
        pages = len(content["pages"])
        if content["mimeType"] in _TEXT_MIME_TYPES:
            usage["documentPagesMinimal"] += pages
        elif analyzer_id == "prebuilt-read":
            usage["documentPagesBasic"] += pages
        else:
            usage["documentPagesStandard"] += pages
    models = required_models(analyzer_id, analyzer)
    if models:
        page_count = sum(len(c["pages"]) for c in contents)
        usage["contextualizationTokens"] = 1000 * page_count
        completion = next((m for m in models if not m.startswith("text-embedding")), models[0])
        usage["tokens"] = {f"{completion}-input": 1500 * page_count, f"{completion}-output": 120 * page_count}
    return usage


def build_result(
    operation_id: str,
    analyzer_id: str,
    analyzer: dict[str, Any] | None,
    api_version: str,
    created_at: str,
    inputs: list[dict[str, Any]],
    result_kb: float,
    string_encoding: str = "codePoint",
) -> dict[str, Any]:
    contents = [build_content(analyzer_id, analyzer, item, i + 1, result_kb) for i, item in enumerate(inputs)]
    return {
        "id": operation_id,
        "status": "Succeeded",
        "result": {
            "analyzerId": analyzer_id,
            "apiVersion": api_version,
            "createdAt": created_at,
            "stringEncoding": string_encoding,
            "warnings": [],
            "contents": contents,
        },
        "usage": usage_for(analyzer_id, analyzer, contents),
    }
