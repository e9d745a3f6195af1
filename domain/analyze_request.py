"""Validation of the frontend's analyze request, before anything is started.

Every rejection is a ValidationError with a stable code and a message a frontend developer can act
on; nothing here does I/O, so the whole contract is covered by plain tests.
"""

from __future__ import annotations

import ipaddress
import json
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from domain.refusal import Refusal

# Content Understanding's analyzer id rule: letters, digits, '.', '_', '-', up to 64 characters.
ANALYZER_ID_PATTERN = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
IDEMPOTENCY_KEY_PATTERN = re.compile(r"^[\x21-\x7e]{1,200}$")
PAGES_PATTERN = re.compile(r"^\s*\d+(\s*-\s*\d+)?(\s*,\s*\d+(\s*-\s*\d+)?)*\s*$")
MAX_URL_LENGTH = 8192
MAX_FILE_ID_LENGTH = 1024
MAX_INTEGER_DIGITS = 30
# Deeper bodies are refused as InvalidJson. Python 3.10/3.11's json raises RecursionError near depth 1000
# by itself; 3.12+ parses much deeper, so the limit is checked explicitly (a real body nests about 3 deep).
MAX_JSON_DEPTH = 64
# Cloud metadata endpoints by name (addresses are refused as link-local or by the list below).
METADATA_HOSTS = frozenset({"metadata.google.internal", "metadata", "metadata.azure.com", "instance-data"})
METADATA_ADDRESSES = frozenset({ipaddress.ip_address("100.100.100.200"), ipaddress.ip_address("fd00:ec2::254")})


@dataclass(frozen=True)
class UrlPolicy:
    """Which input URLs Content Understanding may be sent to fetch."""

    allowed_hosts: tuple[str, ...] = ()  # exact hosts or wildcards such as *.blob.core.windows.net
    allow_http: bool = False  # plain http: Development only

    def allows_host(self, host: str) -> bool:
        host = host.lower().rstrip(".")
        for pattern in self.allowed_hosts:
            pattern = pattern.lower().strip()
            if pattern.startswith("*.") and host.endswith(pattern[1:]) and len(host) > len(pattern) - 1:
                return True
            if host == pattern:
                return True
        return False


class ValidationError(Refusal):
    """The request is unacceptable: a 400 (or the status given, 413 for a body too large)."""

    def __init__(self, code: str, message: str, status: int = 400):
        super().__init__(status, code, message)


def request_too_large(max_bytes: int) -> ValidationError:
    """413, for a body (or a declared Content-Length) over MAX_REQUEST_BYTES."""
    return ValidationError("RequestTooLarge", f"The request body exceeds {max_bytes} bytes.", status=413)


# The orchestration input must fit the smallest durable backend's message limit with room to spare: the
# Durable Task Scheduler refuses any payload over 1 MiB, the first execution's history carries the input twice
# (in ExecutionStarted and spread over the submit activities' inputs) and a work item may carry that history,
# and the continued input adds each file's state. A quarter of the limit leaves room for all of it.
MAX_ORCHESTRATION_INPUT_BYTES = 256 * 1024


def orchestration_input_too_large(job: dict) -> ValidationError | None:
    """413 when the orchestration input, as the durable client sends it (JSON text inside a JSON string),
    would exceed MAX_ORCHESTRATION_INPUT_BYTES; None when it fits."""
    size = len(json.dumps(json.dumps(job)).encode("utf-8"))
    if size <= MAX_ORCHESTRATION_INPUT_BYTES:
        return None
    return ValidationError(
        "RequestTooLarge",
        f"The analysis request is too large to start: its workflow input would be {size} bytes once encoded, "
        f"at most {MAX_ORCHESTRATION_INPUT_BYTES} are allowed (a non-ASCII character takes up to 14); "
        "send fewer or shorter inputFiles.",
        status=413,
    )


@dataclass(frozen=True)
class AnalyzeRequest:
    """What the orchestration needs from a valid request."""

    analyzer_id: str
    inputs: tuple[dict, ...]  # each {"url": ...} (used as given) or {"fileId": ...} (a blob name)
    pages: str | None = None
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
            },
            sort_keys=True,
            separators=(",", ":"),
        )


def parse_analyze_request(
    path_analyzer_id: str,
    body: bytes,
    *,
    max_inputs: int,
    max_bytes: int,
    url_policy: UrlPolicy | None = None,
) -> AnalyzeRequest:
    """Turn the raw request body into an AnalyzeRequest or raise ValidationError."""
    check_analyzer_id(path_analyzer_id)
    if len(body) > max_bytes:
        raise request_too_large(max_bytes)
    payload = _parse_json(body)
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
            check_input_url(entry, index, url_policy or UrlPolicy())
            inputs.append({"url": entry})
        else:
            check_file_id(entry, index)
            inputs.append({"fileId": entry})

    return AnalyzeRequest(
        analyzer_id=path_analyzer_id,
        pages=_pages(payload),
        case_id=_optional_text(payload, "case_id", 200),
        inputs=tuple(inputs),
    )


def _parse_json(body: bytes) -> object:
    """json.loads with the hostile cases turned into 400s: deep nesting, huge integers, NaN, bad UTF-8."""
    try:
        value = json.loads(body.decode("utf-8"), parse_int=_bounded_int, parse_constant=_no_constant) if body else None
        if _nesting_depth(value) > MAX_JSON_DEPTH:
            raise ValueError("nested too deep")
        return value
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ValidationError(
            "InvalidJson", "The request body is not valid JSON (or nests or counts too deep)."
        ) from None


def _nesting_depth(value: object) -> int:
    """Deepest nesting of lists and objects, without recursion."""
    deepest = 0
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            deepest = max(deepest, depth)
            pending.extend((child, depth + 1) for child in item)
    return deepest


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INTEGER_DIGITS:
        raise ValueError("integer too long")
    return int(text)


def _no_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


def _pages(payload: dict) -> str | None:
    """A page range such as '1-3,5'; every range ascending."""
    pages = _optional_matching(payload, "pages", PAGES_PATTERN, "a page range such as '1-3,5'")
    if pages is None:
        return None
    for part in pages.split(","):
        bounds = [int(n) for n in part.split("-")]
        if bounds[0] < 1 or bounds != sorted(bounds):
            raise ValidationError("InvalidRequest", f"pages must list ascending ranges from page 1, got {part!r}.")
    return pages


def check_analyzer_id(analyzer_id: str) -> None:
    if not ANALYZER_ID_PATTERN.fullmatch(analyzer_id or ""):
        raise ValidationError(
            "InvalidAnalyzerId",
            "The analyzer id must be 1-64 characters of letters, digits, '.', '_' or '-'.",
        )


def check_idempotency_key(key: str) -> None:
    if not IDEMPOTENCY_KEY_PATTERN.fullmatch(key):
        raise ValidationError(
            "InvalidIdempotencyKey",
            "Idempotency-Key must be 1-200 printable ASCII characters without spaces.",
        )


def check_input_url(url: str, index: int, policy: UrlPolicy) -> None:
    """An https URL on an allowed host: no credentials, no control characters, never link-local or metadata."""
    where = f"inputFiles[{index}]"
    if len(url) > MAX_URL_LENGTH:
        raise ValidationError("InvalidInputUrl", f"{where} is longer than {MAX_URL_LENGTH} characters.")
    if _has_control_characters(url) or " " in url:
        raise ValidationError("InvalidInputUrl", f"{where} contains spaces or control characters.")
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError:
        raise ValidationError("InvalidInputUrl", f"{where} is not a valid URL.") from None
    if not host:
        raise ValidationError("InvalidInputUrl", f"{where} has no host.")
    if "@" in parts.netloc:
        raise ValidationError("InvalidInputUrl", f"{where} must not carry credentials (user:password@).")
    if parts.scheme != "https" and not (parts.scheme == "http" and policy.allow_http):
        raise ValidationError("InvalidInputUrl", f"{where} must be an https URL.")
    if _is_internal_address(host):
        raise ValidationError("InvalidInputUrl", f"{where} points at a link-local or cloud metadata address.")
    if not policy.allows_host(host):
        raise ValidationError(
            "InputHostNotAllowed",
            f"{where} is on a host this service does not fetch from ({host}); see ALLOWED_INPUT_HOSTS.",
        )


def _is_internal_address(host: str) -> bool:
    if host.lower().rstrip(".") in METADATA_HOSTS:
        return True
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return address.is_link_local or address in METADATA_ADDRESSES or address.is_unspecified


def _has_control_characters(text: str) -> bool:
    """C0 and C1 controls, DEL, and lone surrogates (which cannot even be encoded to send on)."""
    return any(ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F or 0xD800 <= ord(ch) <= 0xDFFF for ch in text)


def check_file_id(file_id: str, index: int) -> None:
    """A blob name inside the input container: no traversal, no absolute paths, no control characters."""
    where = f"inputFiles[{index}]"
    if len(file_id) > MAX_FILE_ID_LENGTH:
        raise ValidationError("InvalidFileId", f"{where} is longer than {MAX_FILE_ID_LENGTH} characters.")
    if _has_control_characters(file_id) or "\\" in file_id:
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
