"""Plausible GA-shaped analysis results (result.contents[].fields with typed values)."""

from __future__ import annotations

import mimetypes
import re
from typing import Any
from urllib.parse import urlsplit

PREBUILT_ANALYZERS: dict[str, str] = {
    "prebuilt-read": "Extracts text (OCR).",
    "prebuilt-layout": "Extracts text, tables and layout.",
    "prebuilt-document": "Extracts content and layout from documents.",
    "prebuilt-documentSearch": "Extracts content and a summary for search (RAG).",
    "prebuilt-documentAnalyzer": "Preview-era general document analyzer.",
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
    ("Parties", "array", ["Contoso Ltd.", "Fabrikam Inc."]),
]
_SUMMARY = [("Summary", "string", "A simulated document used for local testing.")]

FIELDS_BY_ANALYZER: dict[str, list[tuple[str, str, Any]]] = {
    "prebuilt-invoice": _INVOICE,
    "prebuilt-receipt": _RECEIPT,
    "prebuilt-idDocument": _ID_DOCUMENT,
    "prebuilt-contract": _CONTRACT,
    "prebuilt-documentSearch": _SUMMARY,
    "prebuilt-documentAnalyzer": _SUMMARY,
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
    """Prebuilt field sets, or one sample value per field of a custom analyzer's fieldSchema."""
    if analyzer_id in FIELDS_BY_ANALYZER:
        return FIELDS_BY_ANALYZER[analyzer_id]
    schema = (analyzer or {}).get("fieldSchema") or {}
    fields = schema.get("fields") if isinstance(schema, dict) else None
    if not isinstance(fields, dict):
        return []
    result = []
    for name, definition in fields.items():
        field_type = definition.get("type", "string") if isinstance(definition, dict) else "string"
        if field_type in ("array", "object"):
            result.append((name, "string", f"{name} value"))
        else:
            result.append((name, field_type, _SAMPLE_BY_TYPE.get(field_type, "sample text")))
    return result


def _field(field_type: str, value: Any, markdown: str, page: int) -> dict[str, Any]:
    if field_type == "object":
        return {
            "type": "object",
            "valueObject": {k: _field(t, v, markdown, page) for k, (t, v) in value.items()},
            "confidence": 0.91,
        }
    if field_type == "array":
        return {"type": "array", "valueArray": [_field("string", v, markdown, page) for v in value]}
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
            texts.extend(f"{name} {k}: {v}" for k, (_t, v) in value.items())
        elif field_type == "array":
            texts.extend(f"{name}: {v}" for v in value)
        else:
            texts.append(f"{name}: {value}")
    return texts


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
    tables: list[dict[str, Any]] = []
    if analyzer_id in ("prebuilt-layout", "prebuilt-invoice"):
        tables.append(
            {
                "rowCount": 2,
                "columnCount": 2,
                "cells": [
                    {"kind": "columnHeader", "rowIndex": 0, "columnIndex": 0, "content": "Item"},
                    {"kind": "columnHeader", "rowIndex": 0, "columnIndex": 1, "content": "Amount"},
                    {"kind": "content", "rowIndex": 1, "columnIndex": 0, "content": "Consulting"},
                    {"kind": "content", "rowIndex": 1, "columnIndex": 1, "content": "610.00"},
                ],
            }
        )
    return {
        "path": f"input{index}",
        "kind": "document",
        "mimeType": guess_mime_type(item),
        "markdown": markdown,
        "startPageNumber": pages[0],
        "endPageNumber": pages[-1],
        "unit": "inch",
        "pages": [
            {"pageNumber": n, "width": 8.5, "height": 11, "spans": [{"offset": 0, "length": len(markdown)}]}
            for n in pages
        ],
        "tables": tables,
        "fields": {name: _field(t, v, markdown, pages[0]) for name, t, v in fields},
    }


def build_result(
    operation_id: str,
    analyzer_id: str,
    analyzer: dict[str, Any] | None,
    api_version: str,
    created_at: str,
    inputs: list[dict[str, Any]],
    result_kb: float,
) -> dict[str, Any]:
    contents = [build_content(analyzer_id, analyzer, item, i + 1, result_kb) for i, item in enumerate(inputs)]
    page_count = sum(len(c["pages"]) for c in contents)
    extracts_fields = any(c["fields"] for c in contents)
    usage: dict[str, Any] = {"documentStandardPages": page_count}
    if extracts_fields:
        usage["contextualizationTokens"] = 1000 * page_count
        usage["tokens"] = {"gpt-4.1-input": 1500 * page_count, "gpt-4.1-output": 120 * page_count}
    return {
        "id": operation_id,
        "status": "Succeeded",
        "result": {
            "analyzerId": analyzer_id,
            "apiVersion": api_version,
            "createdAt": created_at,
            "warnings": [],
            "contents": contents,
        },
        "usage": usage,
    }
