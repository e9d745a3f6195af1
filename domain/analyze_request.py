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

import ada_url

from domain.refusal import Refusal

# Content Understanding's analyzer id rule: letters, digits, '.', '_', '-', up to 64 characters.
ANALYZER_ID_PATTERN = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
IDEMPOTENCY_KEY_PATTERN = re.compile(r"^[\x21-\x7e]{1,200}$")
# ASCII digits only ([0-9], never \\d: that matches Arabic-Indic and other digits), ranges may be open-ended
# ("9-"); ASCII spaces are dropped before matching, every other character is refused.
PAGES_PATTERN = re.compile(r"[0-9]{1,9}(-[0-9]{0,9})?(,[0-9]{1,9}(-[0-9]{0,9})?)*")
MAX_PAGES_LENGTH = 256  # a real range is a few characters; this bounds what reaches int() and the service
# Content Understanding takes URLs of up to 8,192 characters, counted on what it receives: the URL we forward,
# percent-encoded (a non-ASCII character becomes 6-12 characters). Held on the raw text (a cheap bound before
# parsing) and again on the re-serialised URL, so no accepted URL is refused by the service after the 202.
MAX_URL_LENGTH = 8192
# Azure blob names: 1-1,024 characters, at most 254 path segments (docs: "Naming and referencing containers,
# blobs, and metadata"); names ending in '.' or '/' are refused there too (a trailing dot is dropped by clients).
MAX_FILE_ID_LENGTH = 1024
MAX_FILE_ID_SEGMENTS = 254
# Only host names of this shape reach the allow list: what every URL parser (WHATWG, urllib3, .NET) reads alike.
HOST_NAME_PATTERN = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*")
DEFAULT_PORTS = {"https": 443, "http": 80}
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

    allowed_hosts: tuple[str, ...] = ()  # exact hosts or wildcards such as *.blob.core.windows.net, each `:port`
    allow_http: bool = False  # plain http: Development only

    def allows_host(self, host: str, port: int | None = None, *, is_ip: bool = False) -> bool:
        """Whether host (and port: None is the scheme's default) is listed; a wildcard never matches an IP."""
        host = host.lower().rstrip(".")
        for entry in self.allowed_hosts:
            pattern, listed_port = _split_port(entry.lower().strip())
            if listed_port != port:
                continue
            if pattern.startswith("*.") and not is_ip and host.endswith(pattern[1:]) and len(host) > len(pattern) - 1:
                return True
            if host == pattern.rstrip(".").strip("[]") or f"[{host}]" == pattern:
                return True
        return False


def _split_port(entry: str) -> tuple[str, int | None]:
    """`host:port` -> (host, port); `host` -> (host, None); `[v6]` and `[v6]:port` as well."""
    host, sep, port = entry.rpartition(":")
    if sep and port.isdigit() and (":" not in host or (host.startswith("[") and host.endswith("]"))):
        return host, int(port)
    return entry, None


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


def check_orchestration_input_size(job: dict) -> None:
    """Raise a 413 when the orchestration input, as the durable client sends it (JSON text inside a JSON
    string), would exceed MAX_ORCHESTRATION_INPUT_BYTES."""
    size = len(json.dumps(json.dumps(job)).encode("utf-8"))
    if size <= MAX_ORCHESTRATION_INPUT_BYTES:
        return
    raise ValidationError(
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
            inputs.append({"url": check_input_url(entry, index, url_policy or UrlPolicy())})
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
    """A page range such as '1-3,5' or '9-' (open-ended): bounded ASCII, every range ascending from page 1.

    Only ASCII digits, ',', '-' (ASCII spaces are dropped); at most MAX_PAGES_LENGTH characters and 9 digits a
    number, so nothing unbounded reaches int() or the service (which reads `range` as given).
    """
    value = payload.get("pages")
    if value is None or value == "":
        return None
    described = "a page range of ASCII digits, ',' and '-' such as '1-3,5' or '9-'"
    if not isinstance(value, str) or len(value) > MAX_PAGES_LENGTH:
        raise ValidationError("InvalidRequest", f"pages must be {described}, at most {MAX_PAGES_LENGTH} characters.")
    pages = value.replace(" ", "")
    if not pages.isascii() or not PAGES_PATTERN.fullmatch(pages):
        raise ValidationError("InvalidRequest", f"pages must be {described} (at most 9 digits a number).")
    for part in pages.split(","):
        bounds = [int(n) for n in part.split("-") if n]
        if bounds[0] < 1 or bounds != sorted(bounds):
            raise ValidationError("InvalidRequest", f"pages must list ascending ranges from page 1, got {part!r}.")
    return pages


def check_analyzer_id(analyzer_id: str) -> None:
    """Content Understanding's pattern, minus ids made only of dots ('.', '..'): every client normalises
    those away in a URL path, so the resultsEndpoint built from them would never reach this app."""
    if not ANALYZER_ID_PATTERN.fullmatch(analyzer_id or "") or not analyzer_id.strip("."):
        raise ValidationError(
            "InvalidAnalyzerId",
            "The analyzer id must be 1-64 characters of letters, digits, '.', '_' or '-' (not only dots).",
        )


def check_idempotency_key(key: str) -> None:
    if not IDEMPOTENCY_KEY_PATTERN.fullmatch(key):
        raise ValidationError(
            "InvalidIdempotencyKey",
            "Idempotency-Key must be 1-200 printable ASCII characters without spaces.",
        )


def check_input_url(url: str, index: int, policy: UrlPolicy) -> str:
    """The URL to forward: parsed as WHATWG parsers (browsers, urllib3, the service) read it, checked, and
    re-serialised from what was checked, so what is sent is exactly what was validated.

    https only (http in Development); no credentials, backslashes, spaces or control characters; a host of
    plain letters, digits, '-' and '.' (or an IP literal), never link-local or metadata; on the allow list;
    the scheme's default port unless the allow list names the port; at most MAX_URL_LENGTH characters both as
    written and as forwarded (percent-encoded).
    """
    where = f"inputFiles[{index}]"
    if len(url) > MAX_URL_LENGTH:
        raise ValidationError("InvalidInputUrl", f"{where} is longer than {MAX_URL_LENGTH} characters.")
    if _has_control_characters(url) or " " in url:
        raise ValidationError("InvalidInputUrl", f"{where} contains spaces or control characters.")
    if "\\" in url:
        # WHATWG reads '\\' as '/', so 'https://10.0.0.5\\.allowed.host/' is the host 10.0.0.5 to a fetcher.
        raise ValidationError("InvalidInputUrl", f"{where} contains a backslash; use '/'.")
    try:
        parsed = ada_url.URL(url)
    except ValueError:
        raise ValidationError("InvalidInputUrl", f"{where} is not a valid URL.") from None
    scheme = parsed.protocol.rstrip(":")
    if scheme != "https" and not (scheme == "http" and policy.allow_http):
        raise ValidationError("InvalidInputUrl", f"{where} must be an https URL.")
    if parsed.username or parsed.password or "@" in _raw_authority(url):
        raise ValidationError("InvalidInputUrl", f"{where} must not carry credentials (user:password@).")
    host = parsed.hostname
    if not host:
        raise ValidationError("InvalidInputUrl", f"{where} has no host.")
    is_ip = parsed.host_type != ada_url.HostType.DEFAULT
    bare = host.strip("[]")
    if not is_ip and not HOST_NAME_PATTERN.fullmatch(bare.rstrip(".")):
        raise ValidationError(
            "InvalidInputUrl", f"{where} has a host name with characters other than letters, digits, '-' and '.'."
        )
    if _is_internal_address(bare):
        raise ValidationError("InvalidInputUrl", f"{where} points at a link-local or cloud metadata address.")
    port = int(parsed.port) if parsed.port else None  # WHATWG drops the scheme's default port
    if not policy.allows_host(bare, port, is_ip=is_ip):
        shown = host if port is None else f"{host}:{port}"
        if port is not None and policy.allows_host(bare, None, is_ip=is_ip):
            raise ValidationError(
                "InputHostNotAllowed",
                f"{where} names port {port}; only port {DEFAULT_PORTS[scheme]} unless ALLOWED_INPUT_HOSTS lists "
                f"{shown}.",
            )
        raise ValidationError(
            "InputHostNotAllowed",
            f"{where} is on a host this service does not fetch from ({shown}); see ALLOWED_INPUT_HOSTS.",
        )
    forwarded = parsed.href
    if len(forwarded) > MAX_URL_LENGTH:
        raise ValidationError(
            "InvalidInputUrl",
            f"{where} is {len(forwarded)} characters once percent-encoded as it is sent on (a non-ASCII character "
            f"in the path or query takes 6 to 12); Content Understanding takes at most {MAX_URL_LENGTH}.",
        )
    if urlsplit(forwarded).hostname != bare.lower():  # a second parser must read the same host
        raise ValidationError("InvalidInputUrl", f"{where} is not a URL every parser reads alike.")
    return forwarded


def _raw_authority(url: str) -> str:
    """The text between '//' and the next '/', '?' or '#' as written (before any parser's repairs)."""
    after = url.partition("//")[2]
    return re.split(r"[/?#]", after, maxsplit=1)[0]


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
    """A blob name inside the input container, held to Azure's blob-name rules: no traversal, no absolute
    paths, no control characters or Unicode noncharacters, at most 1,024 characters and 254 segments, no
    segment ending in '.'."""
    where = f"inputFiles[{index}]"
    if len(file_id) > MAX_FILE_ID_LENGTH:
        raise ValidationError("InvalidFileId", f"{where} is longer than {MAX_FILE_ID_LENGTH} characters.")
    if _has_control_characters(file_id) or "\\" in file_id:
        raise ValidationError("InvalidFileId", f"{where} contains control characters or backslashes.")
    if any(_is_noncharacter(ch) for ch in file_id):
        raise ValidationError("InvalidFileId", f"{where} contains Unicode noncharacters (such as U+FFFF, U+FDD0).")
    if file_id.startswith("/") or "?" in file_id or "#" in file_id or "%" in file_id:
        raise ValidationError(
            "InvalidFileId", f"{where} must be a plain blob name: no leading '/', no '?', '#' or '%'."
        )
    segments = file_id.split("/")
    if len(segments) > MAX_FILE_ID_SEGMENTS:
        raise ValidationError("InvalidFileId", f"{where} has more than {MAX_FILE_ID_SEGMENTS} path segments.")
    if any(segment in ("", ".", "..") for segment in segments):
        raise ValidationError("InvalidFileId", f"{where} must not contain empty, '.' or '..' path segments.")
    if any(segment.endswith(".") for segment in segments):
        raise ValidationError("InvalidFileId", f"{where} must not have a path segment ending in '.'.")


def _is_noncharacter(ch: str) -> bool:
    code = ord(ch)
    return 0xFDD0 <= code <= 0xFDEF or (code & 0xFFFE) == 0xFFFE


def _looks_like_url(entry: str) -> bool:
    return "://" in entry or entry.lower().startswith(("http:", "https:", "file:", "ftp:", "data:"))


def _optional_text(payload: dict, name: str, max_length: int) -> str | None:
    value = payload.get(name)
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # JSON has one number type: 12.0 is the integer 12 (as JSON Schema, and the document, say)
    if not isinstance(value, str | int) or len(str(value)) > max_length:
        raise ValidationError("InvalidRequest", f"{name} must be a string of at most {max_length} characters.")
    return str(value)
