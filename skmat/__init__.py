"""skmat: Memorization-Aware Training (MAT) for scikit-learn and skorch."""

from ._version import __version__
from .baselines import (
    ERMClassifier,
    GroupDROClassifier,
    GroupReweightingClassifier,
    JTTClassifier,
    LogitAdjustedClassifier,
)
from .mat import MATClassifier

__all__ = [
    "MATClassifier",
    "ERMClassifier",
    "GroupReweightingClassifier",
    "GroupDROClassifier",
    "JTTClassifier",
    "LogitAdjustedClassifier",
    "__version__",
]
