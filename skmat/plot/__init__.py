"""Display objects in scikit-learn's style: MAT's transition matrix, group accuracies.

Each display holds the numbers to draw; ``plot(ax=None, ...)`` draws them and
returns the display, whose ``figure_`` and ``ax_`` (and the artists) are then
set. The class methods ``from_estimator`` / ``from_predictions`` compute the
numbers and plot in one call, as :class:`sklearn.metrics.ConfusionMatrixDisplay`
does.

* :class:`TransitionMatrixDisplay`: the transition matrix
  ``p(y = c | y_ho = k)`` of MAT as an annotated heat map;
* :class:`GroupAccuracyDisplay`: accuracy within each group, one bar per
  estimator, each estimator's worst group outlined;
* :class:`GroupTrainingCurvesDisplay`: accuracy of each group over the epochs
  of a skorch net's training, recorded by
  :class:`skmat.callbacks.GroupAccuracyCallback` (the paper's Figure 1 curves);
* :class:`MemorizationDisplay`: a memorization diagnosis
  (:class:`skmat.diagnosis.MemorizationDiagnosis`): in-sample against
  held-out confidence of every example, accuracy per inferred group, the
  transition matrix and the verdict.

matplotlib is an optional dependency (``pip install skmat[plot]``); it is
imported only when something is drawn.
"""

from ._group_accuracy import GroupAccuracyDisplay
from ._memorization import MemorizationDisplay
from ._training_curves import GroupTrainingCurvesDisplay
from ._transition import TransitionMatrixDisplay

__all__ = [
    "TransitionMatrixDisplay",
    "GroupAccuracyDisplay",
    "GroupTrainingCurvesDisplay",
    "MemorizationDisplay",
]
