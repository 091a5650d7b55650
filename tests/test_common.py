"""scikit-learn's own estimator checks on MATClassifier."""

import pytest
from _sklearn_checks import (
    SUBSET_INVARIANCE,
    WEIGHTS_CV,
    WEIGHTS_XRM,
    parametrize_checks,
    sample_weight_failures,
)
from sklearn.linear_model import LogisticRegression

from skmat import MATClassifier
from skmat.mlp import mlp_net

# Fits on tiny or random data, where MAT's guard often finds that the shift
# leaves nothing to learn; that warning is asserted in tests/test_guard.py, and
# only silenced here.
pytestmark = pytest.mark.filterwarnings("ignore::skmat.exceptions.MATFitWarning")


def _net(width, **params):
    # Small and quick, but trained enough to pass sklearn's accuracy checks.
    return mlp_net((width,), max_epochs=40, lr=1e-2, **params)


ESTIMATORS = {
    "MAT-cv": MATClassifier(
        _net(32, batch_size=64), holdout_estimator=LogisticRegression(), cv=2
    ),
    # held-out copies of the net (the default holdout_estimator=None)
    "MAT-cv-net": MATClassifier(_net(16), cv=2),
    # held-out fold nets trained together (skmat.together)
    "MAT-cv-together": MATClassifier(_net(16), cv=2, folds_together=True),
    # XRM twins train on half the rows each: a wider net, more steps per epoch
    "MAT-xrm": MATClassifier(_net(32, batch_size=64), holdout="xrm"),
}
# Measured per estimator (sklearn seeds the check: the same weights every run);
# the fold nets trained together happen to predict the check's subsets exactly.
EXPECTED_FAILURES = {
    "MAT-cv": {
        "check_methods_subset_invariance": SUBSET_INVARIANCE,
        **sample_weight_failures(WEIGHTS_CV),
    },
    "MAT-cv-net": {
        "check_methods_subset_invariance": SUBSET_INVARIANCE,
        **sample_weight_failures(WEIGHTS_CV),
    },
    "MAT-cv-together": sample_weight_failures(WEIGHTS_CV),
    "MAT-xrm": {
        "check_methods_subset_invariance": SUBSET_INVARIANCE,
        **sample_weight_failures(WEIGHTS_XRM),
    },
}


@parametrize_checks(ESTIMATORS, EXPECTED_FAILURES)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
