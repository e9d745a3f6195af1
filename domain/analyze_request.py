"""Validation of the frontend's analyze request, before anything is started.

Every rejection is a ValidationError with a stable code and a message a frontend developer can act
on; nothing here does I/O, so the whole contract is covered by plain tests.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

# Content Understanding's analyzer id rule: letters, digits, '.', '_', '-', up to 64 characters.
ANALYZER_ID_PATTERN = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
GROUP_ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,128}$")
IDEMPOTENCY_KEY_PATTERN = re.compile(r"^[\x21-\x7e]{1,200}$")
PAGES_PATTERN = re.compile(r"^\s*\d+(\s*-\s*\d+)?(\s*,\s*\d+(\s*-\s*\d+)?)*\s*$")
LOCALE_PATTERN = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
MAX_URL_LENGTH = 8192
MAX_FILE_ID_LENGTH = 1024
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


class ValidationError(ValueError):
    """The request is unacceptable; code and message go to the caller as a 400 body."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class AnalyzeRequest:
    """What the orchestration needs from a valid request."""

    analyzer_id: str
    inputs: tuple[dict, ...]  # each {"url": ...} (used as given) or {"fileId": ...} (a blob name)
    pages: str | None = None
    locale: str | None = None
    case_id: str | None = None

    @property
    def file_ids(self) -> tuple[str, ...]:
        return tuple(item["fileId"] for item in self.inputs if "fileId" in item)

    def fingerprint_source(self) -> str:
        """A canonical text of what makes two requests 'the same analysis' (for idempotency)."""
        return json.dumps(
            {
                "analyzerId": self.analyzer_id,
                "inputs": list(self.inputs),
                "pages": self.pages,
                "locale": self.locale,
            },
            sort_keys=True,
            separators=(",", ":"),
        )


def parse_analyze_request(path_analyzer_id: str, body: bytes, *, max_inputs: int, max_bytes: int) -> AnalyzeRequest:
    """Turn the raw request body into an AnalyzeRequest or raise ValidationError."""
    check_analyzer_id(path_analyzer_id)
    if len(body) > max_bytes:
        raise ValidationError("RequestTooLarge", f"The request body exceeds {max_bytes} bytes.")
    try:
        payload = json.loads(body.decode("utf-8")) if body else None
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ValidationError("InvalidJson", "The request body is not valid JSON.") from None
    if not isinstance(payload, dict):
        raise ValidationError("InvalidRequest", "The request body must be a JSON object.")

    body_analyzer_id = payload.get("analyzerId")
    if body_analyzer_id is not None and body_analyzer_id != path_analyzer_id:
        raise ValidationError(
            "AnalyzerIdMismatch",
            f"analyzerId in the body ({body_analyzer_id!r}) differs from the one in the path ({path_analyzer_id!r}).",
        )

    files = payload.get("inputFiles")
    if files is None:
        raise ValidationError("MissingInputFiles", "inputFiles is required: a non-empty list of URLs or file ids.")
    if not isinstance(files, list) or not files:
        raise ValidationError("InvalidInputFiles", "inputFiles must be a non-empty list of strings.")
    if len(files) > max_inputs:
        raise ValidationError(
            "TooManyInputFiles", f"inputFiles has {len(files)} entries; at most {max_inputs} allowed."
        )

    inputs: list[dict] = []
    for index, entry in enumerate(files):
        if not isinstance(entry, str) or not entry.strip():
            raise ValidationError("InvalidInputFiles", f"inputFiles[{index}] must be a non-empty string.")
        entry = entry.strip()
        if _looks_like_url(entry):
            check_input_url(entry, index)
            inputs.append({"url": entry})
        else:
            check_file_id(entry, index)
            inputs.append({"fileId": entry})

    return AnalyzeRequest(
        analyzer_id=path_analyzer_id,
        pages=_optional_matching(payload, "pages", PAGES_PATTERN, "a page range such as '1-3,5'"),
        locale=_optional_matching(payload, "locale", LOCALE_PATTERN, "a language tag such as 'en-US'"),
        case_id=_optional_text(payload, "case_id", 200),
        inputs=tuple(inputs),
    )


def check_analyzer_id(analyzer_id: str) -> None:
    if not ANALYZER_ID_PATTERN.fullmatch(analyzer_id or ""):
        raise ValidationError(
            "InvalidAnalyzerId",
            "The analyzer id must be 1-64 characters of letters, digits, '.', '_' or '-'.",
        )


def check_group_id(group_id: str) -> None:
    if not GROUP_ID_PATTERN.fullmatch(group_id):
        raise ValidationError("InvalidGroupId", "X-Group-ID must be 1-128 characters of letters, digits, '_' or '-'.")


def check_idempotency_key(key: str) -> None:
    if not IDEMPOTENCY_KEY_PATTERN.fullmatch(key):
        raise ValidationError(
            "InvalidIdempotencyKey",
            "Idempotency-Key must be 1-200 printable ASCII characters without spaces.",
        )


def check_input_url(url: str, index: int) -> None:
    """https only (plain http for loopback, for local development); no embedded credentials."""
    where = f"inputFiles[{index}]"
    if len(url) > MAX_URL_LENGTH:
        raise ValidationError("InvalidInputUrl", f"{where} is longer than {MAX_URL_LENGTH} characters.")
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError:
        raise ValidationError("InvalidInputUrl", f"{where} is not a valid URL.") from None
    if not host:
        raise ValidationError("InvalidInputUrl", f"{where} has no host.")
    if parts.username is not None or parts.password is not None:
        raise ValidationError("InvalidInputUrl", f"{where} must not carry credentials (user:password@).")
    if parts.scheme == "https":
        return
    if parts.scheme == "http" and host in LOOPBACK_HOSTS:
        return
    raise ValidationError("InvalidInputUrl", f"{where} must be an https URL (plain http only for loopback hosts).")


def check_file_id(file_id: str, index: int) -> None:
    """A blob name inside the input container: no traversal, no absolute paths, no control characters."""
    where = f"inputFiles[{index}]"
    if len(file_id) > MAX_FILE_ID_LENGTH:
        raise ValidationError("InvalidFileId", f"{where} is longer than {MAX_FILE_ID_LENGTH} characters.")
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in file_id) or "\\" in file_id:
        raise ValidationError("InvalidFileId", f"{where} contains control characters or backslashes.")
    if file_id.startswith("/") or "?" in file_id or "#" in file_id or "%" in file_id:
        raise ValidationError(
            "InvalidFileId", f"{where} must be a plain blob name: no leading '/', no '?', '#' or '%'."
        )
    segments = file_id.split("/")
    if any(segment in ("", ".", "..") for segment in segments):
        raise ValidationError("InvalidFileId", f"{where} must not contain empty, '.' or '..' path segments.")


def _looks_like_url(entry: str) -> bool:
    return "://" in entry or entry.lower().startswith(("http:", "https:", "file:", "ftp:", "data:"))


def _optional_matching(payload: dict, name: str, pattern: re.Pattern, described: str) -> str | None:
    value = payload.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise ValidationError("InvalidRequest", f"{name} must be {described}.")
    return value.replace(" ", "")


def _optional_text(payload: dict, name: str, max_length: int) -> str | None:
    value = payload.get(name)
    if value is None:
        return None
    if not isinstance(value, str | int) or len(str(value)) > max_length:
        raise ValidationError("InvalidRequest", f"{name} must be a string of at most {max_length} characters.")
    return str(value)
