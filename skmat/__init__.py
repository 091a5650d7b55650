"""skmat: Memorization-Aware Training (MAT) for scikit-learn and skorch."""

from ._version import __version__
from .mat import MATClassifier

__all__ = ["MATClassifier", "__version__"]
