"""Workloads: how long analyses last, and what the request says about their size.

W1 uniform 120-300 s; W2 lognormal, median 180 s, CV 10%; W3 a mix of small (about 20 s, 2 pages) and large
(about 240 s, 40 pages) documents whose request gives the page range. BENCH_WORKLOADS adds more as JSON:
[{"name": "W4", "kind": "lognormal", "median_s": 90, "cv": 0.2}], kinds uniform (min_s, max_s), lognormal
(median_s, cv), mix (parts: a list of workloads, each with a weight and optionally pages).
"""

from __future__ import annotations

import json
import math
import os
import random
from dataclasses import dataclass

DEFAULT_SPECS = [
    {"name": "W1", "kind": "uniform", "min_s": 120, "max_s": 300},
    {"name": "W2", "kind": "lognormal", "median_s": 180, "cv": 0.10},
    {
        "name": "W3",
        "kind": "mix",
        "parts": [
            {"kind": "lognormal", "median_s": 20, "cv": 0.15, "pages": "1-2", "weight": 0.5},
            {"kind": "lognormal", "median_s": 240, "cv": 0.10, "pages": "1-40", "weight": 0.5},
        ],
    },
]


@dataclass(frozen=True)
class Workload:
    name: str
    spec: dict

    def sample(self, rng: random.Random) -> tuple[float, str | None]:
        """(duration in seconds, the request's page range or None)."""
        return _sample(self.spec, rng)

    def describe(self) -> str:
        return _describe(self.spec)


def _sample(spec: dict, rng: random.Random) -> tuple[float, str | None]:
    kind = spec["kind"]
    if kind == "uniform":
        return rng.uniform(float(spec["min_s"]), float(spec["max_s"])), spec.get("pages")
    if kind == "lognormal":
        sigma = math.sqrt(math.log(1 + float(spec["cv"]) ** 2))
        return float(spec["median_s"]) * math.exp(rng.gauss(0, sigma)), spec.get("pages")
    if kind == "mix":
        parts = spec["parts"]
        pick = rng.random() * sum(float(p.get("weight", 1)) for p in parts)
        for part in parts:
            pick -= float(part.get("weight", 1))
            if pick <= 0:
                return _sample(part, rng)
        return _sample(parts[-1], rng)
    raise ValueError(f"unknown workload kind {kind!r} (uniform, lognormal, mix)")


def _describe(spec: dict) -> str:
    kind = spec["kind"]
    pages = f", pages {spec['pages']}" if spec.get("pages") else ""
    if kind == "uniform":
        return f"uniform {spec['min_s']}-{spec['max_s']} s{pages}"
    if kind == "lognormal":
        return f"lognormal median {spec['median_s']} s CV {float(spec['cv']):.0%}{pages}"
    return "mix of " + " + ".join(f"{p.get('weight', 1)}x {_describe(p)}" for p in spec["parts"])


def workloads(environ: dict | None = None) -> list[Workload]:
    """The default workloads, then any from BENCH_WORKLOADS (a JSON list)."""
    specs = list(DEFAULT_SPECS)
    extra = (environ if environ is not None else os.environ).get("BENCH_WORKLOADS", "").strip()
    if extra:
        loaded = json.loads(extra)
        specs.extend(loaded if isinstance(loaded, list) else [loaded])
    result = []
    for spec in specs:
        _sample(spec, random.Random(0))  # fail early on a bad spec
        result.append(Workload(str(spec.get("name") or f"W{len(result) + 1}"), spec))
    return result
