"""Knobs of the simulator, shared by the CLI and start_simulator()."""

from __future__ import annotations

from dataclasses import dataclass, field

# GA only. The previews were retired on 2026-07-15: the service answers them 410 (inner code ApiVersionRetired),
# any other unknown version 400 UnsupportedApiVersionValue.
SUPPORTED_API_VERSIONS = frozenset({"2025-11-01"})
RETIRED_API_VERSIONS = frozenset({"2024-12-01-preview", "2025-05-01-preview"})
# The model deployments that exist in the resource's Foundry project (named after their models by default).
DEFAULT_DEPLOYMENTS = ("gpt-4.1", "gpt-4.1-mini", "text-embedding-3-large")


@dataclass
class SimulatorOptions:
    host: str = "127.0.0.1"
    port: int = 0
    duration: float = 5.0  # simulated analysis time in seconds (per-analysis override: sim_duration)
    key: str | None = None  # when set, only exactly this subscription key is accepted
    analyzers: list[str] = field(default_factory=list)  # custom analyzers that exist from the start
    submit_fail: int = 0  # the next N analyze calls answer submit_fail_status
    submit_fail_status: int = 503
    submit_throttle: int = 0  # the next N analyze calls answer 429 with Retry-After
    submit_retry_after: float = 1.0
    quiet: bool = False
    # Base URL written into Operation-Location; "{port}" is replaced by the bound port.
    # None = derive it from the request's Host header, like the service echoes its endpoint.
    public_base_url: str | None = None
    # Adds an opaque query parameter to Operation-Location that status/delete calls must send back.
    signed_operation_location: bool = False
    # True: the resource has default model deployments (gpt-4.1, gpt-4.1-mini, text-embedding-3-large), as after
    # PATCH /contentunderstanding/defaults. False (--no-default-models): none, so analyzers that need a generative
    # model fail unless the request carries modelDeployments.
    default_models: bool = True
    # Deployment names that exist: PATCH /contentunderstanding/defaults refuses any other (--deployments).
    deployments: tuple[str, ...] = DEFAULT_DEPLOYMENTS
