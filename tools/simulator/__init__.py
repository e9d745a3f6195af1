"""Local Azure AI Content Understanding simulator (GA api-version 2025-11-01) over real HTTP."""

from .handle import SimulatorHandle, start_simulator
from .options import SimulatorOptions

__all__ = ["SimulatorHandle", "SimulatorOptions", "start_simulator"]
