"""The data that crosses the orchestrator's boundaries, one typed definition each, as the JSON it is stored as.

These are TypedDicts: at run time plain dicts, so what the task hub stores (orchestration input, activity
payloads and answers, custom status, output) stays exactly the JSON operations already running wrote. Keys are
camelCase everywhere. Names: the *job* is the orchestration's input (one analyze request); each input file has a
*file state*; an activity receives a *request*; *progress* is the custom status; the *output* is what the
orchestration returns. The polling policy is domain.polling_schedule.PollingPolicy (its `to_dict` form here).
"""

from __future__ import annotations

from typing import TypedDict


class Scope(TypedDict):
    """Whose operation it is (domain.caller_scope): a group, a user, or the anonymous local caller."""

    kind: str  # "group" | "user" | "anonymous"
    id: str


class InputFile(TypedDict, total=False):
    """One entry of the request's inputFiles: exactly one of the two keys."""

    url: str
    fileId: str


class ErrorDetail(TypedDict, total=False):
    """A service or workflow error as the orchestration keeps it; `file` when one file decided the outcome."""

    code: str
    message: str
    target: str
    innerCode: str
    file: int


class PolicyDict(TypedDict, total=False):
    """PollingPolicy.to_dict(); a cold policy has no plan and no expectedSeconds."""

    timeoutSeconds: float
    initialIntervalSeconds: float
    maxIntervalSeconds: float
    plan: list[float]
    expectedSeconds: float


class DurationModelRequest(TypedDict):
    """Asks the orchestrator to report the files' durations back to the model, for this size bucket."""

    bucket: str


class _FileStateRequired(TypedDict):
    serviceOperationId: str | None
    operationLocation: str | None  # the service's polling URL: where the status and, once done, the result are
    serviceStatus: str | None  # what Content Understanding said last (NotStarted, Running, Succeeded, Failed, ...)
    error: ErrorDetail | None


class FileState(_FileStateRequired, total=False):
    """One input file's analysis as the orchestrator tracks it; the times are seconds since the operation
    started, on the durable clock (what the duration model learns from)."""

    submittedAfter: float
    pendingAfter: float  # last seen still running
    doneAfter: float  # first seen succeeded


class Resume(TypedDict):
    """Where an operation stands when it continues as new; carried in the next execution's job."""

    startedAt: str
    files: list[FileState]
    checks: int
    lastCheckedAt: str | None
    nextCheckAt: str | None


class _JobRequired(TypedDict):
    analyzerId: str
    inputs: list[InputFile]
    pages: str | None
    scope: Scope
    policy: PolicyDict
    parallelism: int  # how many files are submitted at once
    fingerprint: str  # the request's fingerprint: a replayed Idempotency-Key must carry the same request


class AnalysisJob(_JobRequired, total=False):
    """The orchestration's input: everything it needs, so a replay never reads settings, a model or a token.

    It holds the caller's scope (never a token) and no SAS URL: those are minted inside the submit activity.
    """

    # The request's case_id, kept with the operation so an operator can tell which case an instance served
    # (the task hub's management API shows the input); nothing in the app reads it.
    caseId: str | None
    # When the POST was accepted (ISO 8601, UTC): the deadline counts from here, because the frontend's budget
    # (60 polls, 5 s apart) starts at its POST, not when a busy task hub gets round to the first episode; the
    # operation's elapsed time counts from it too, never from the backend's createdTime alone (the Azure Storage
    # provider resets that on continue-as-new); after a start it also tells this request's input from a
    # concurrent start's. Jobs written before it existed have none: their deadline counts from the first episode.
    acceptedAt: str
    durationModel: DurationModelRequest
    resume: Resume


class SubmitRequest(TypedDict):
    """The submit_analysis activity's input: one file of one job."""

    operationId: str
    fileIndex: int
    input: InputFile
    analyzerId: str
    pages: str | None
    scope: Scope
    deadline: str  # ISO 8601: past it, the activity does not submit


class SubmitAccepted(TypedDict):
    """submit_analysis's value when the service accepted the file."""

    serviceOperationId: str
    operationLocation: str


class CheckRequest(TypedDict):
    """The check_analysis_status activity's input: one submitted file."""

    operationId: str
    fileIndex: int
    operationLocation: str
    serviceOperationId: str


class CheckedStatus(TypedDict):
    """check_analysis_status's value: the service's status (and error) and when it was seen."""

    status: str
    error: ErrorDetail | None
    retryAfter: float | None
    checkedAt: str


class RecordDurationRequest(TypedDict):
    """The record_duration activity's input: [low, high] seconds each succeeded file took after its submit."""

    operationId: str
    analyzerId: str
    bucket: str
    observations: list[list[float]]


class _ProgressRequired(TypedDict):
    phase: str  # submitting | polling | done
    serviceStatus: str | None
    outcome: str | None
    checks: int
    lastCheckedAt: str | None
    elapsedSeconds: float
    filesTotal: int
    filesDone: int


class Progress(_ProgressRequired, total=False):
    """The orchestration's custom status, which the results endpoint turns into the 202's `progress`."""

    nextCheckAt: str
    expectedCompletionAt: str
    lastError: ErrorDetail


class FileSummary(TypedDict):
    serviceOperationId: str | None
    operationLocation: str | None
    serviceStatus: str | None


class AnalysisOutput(TypedDict):
    """What the orchestration returns. Never the analysis result: the first GET reads it from the service into
    a claim-check copy (result_copies; results can be megabytes, the history should not carry them)."""

    outcome: str
    analyzerId: str
    files: list[FileSummary]
    checks: int
    elapsedSeconds: float
    completedAt: str
    error: ErrorDetail | None
