"""skmat: Memorization-Aware Training (MAT) for scikit-learn and skorch."""

from ._version import __version__
from .baselines import (
    AFRClassifier,
    DFRClassifier,
    ERMClassifier,
    GroupDROClassifier,
    GroupReweightingClassifier,
    JTTClassifier,
    LfFClassifier,
    LogitAdjustedClassifier,
    LogitCorrectionClassifier,
    XRMGroupDROClassifier,
)
from .mat import MATClassifier

__all__ = [
    "MATClassifier",
    "ERMClassifier",
    "GroupReweightingClassifier",
    "GroupDROClassifier",
    "JTTClassifier",
    "LogitAdjustedClassifier",
    "LfFClassifier",
    "LogitCorrectionClassifier",
    "DFRClassifier",
    "AFRClassifier",
    "XRMGroupDROClassifier",
    "__version__",
]
