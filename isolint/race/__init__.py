"""Race tests: the generator behind ``isolint race`` and the runtime generated tests use.

The runtime (this package's top level) imports only the standard library: generated tests
import it inside the user's project as ``from isolint import race``.
"""

from isolint.race.execution import Driver
from isolint.race.runtime import (
    CorruptionDetected,
    LeakDetected,
    NotRunnable,
    Shared,
    assert_isolated,
    driver_for,
    entry,
)
from isolint.race.tokens import SimulatedUser

__all__ = [
    "CorruptionDetected",
    "Driver",
    "LeakDetected",
    "NotRunnable",
    "Shared",
    "SimulatedUser",
    "assert_isolated",
    "driver_for",
    "entry",
]
