"""scikit-learn's estimator checks with short test ids and strict, named
expected failures.

``parametrize_checks({label: estimator}, {label: {check: reason}})`` parametrizes
a test over every check of every estimator: its ids are ``label-check_name``
(not the estimator's repr), and a check listed for an estimator is a strict
expected failure (``xfail(strict=True)``): it fails the suite if it passes.

The known failure, where it occurs: prediction runs the network through skorch
in float32. A float32 matrix product sums in an order that depends on the batch's
number of rows, so a row's output can change in its last bits with the other rows
predicted beside it: ``check_methods_subset_invariance`` compares predictions of
mini-batches with those of the whole set at ~1e-7 relative tolerance (measured:
differences of at most 2.4e-7 on logits of order 1, one float32 ulp; predicted
labels do not change). The same rounding separates a weighted batch mean from
the mean over repeated rows in ``check_sample_weight_equivalence_*`` (measured:
at most 5.5e-7); where a method draws by rows (cross-validation, XRM's twins,
DFR's subsets) repeated rows change the draws.
"""

import functools

import pytest
from sklearn.utils.estimator_checks import estimator_checks_generator

#: The reason of the known failure (one short line, shown by ``-ra``).
SUBSET_INVARIANCE = "float32 forwards of different batch sizes differ in the last bit"
#: Why weights differ from repeated rows (``check_sample_weight_equivalence_*``).
WEIGHTS_FLOAT32 = (
    "float32: a weighted batch mean and a repeated-rows mean differ in the last bits"
)
WEIGHTS_CV = "cross-validation splits rows: a repeated row can train and be held out"
WEIGHTS_XRM = "XRM assigns each row to a twin by a coin: a repeated row can train both"
WEIGHTS_LFF = (
    "LfF normalises its loss averages by each class's largest, weight-0 rows included"
)
WEIGHTS_DFR = "DFR's split and balanced subsets draw rows: repeated rows change them"


def sample_weight_failures(reason):
    """The two ``check_sample_weight_equivalence`` checks, failing for ``reason``."""
    return {
        f"check_sample_weight_equivalence_on_{kind}_data": reason
        for kind in ("dense", "sparse")
    }


def check_name(check):
    """The name of a check (sklearn hands them out as partials)."""
    while isinstance(check, functools.partial):
        check = check.func
    return check.__name__


def parametrize_checks(estimators, expected_failures=None):
    """``pytest.mark.parametrize("estimator, check", ...)`` over sklearn's checks.

    Parameters
    ----------
    estimators : dict
        ``{label: estimator}``; the label starts each test id.
    expected_failures : dict, default=None
        ``{label: {check_name: reason}}``: the checks that fail for that
        estimator, each a strict xfail with its one-line reason. A name that no
        check of the estimator has is an error (a stale entry).
    """
    expected_failures = expected_failures or {}
    unknown = set(expected_failures) - set(estimators)
    if unknown:
        raise KeyError(f"expected failures of unknown estimators: {sorted(unknown)}")
    params = []
    for label, estimator in estimators.items():
        failing = expected_failures.get(label, {})
        seen = set()
        for est, check in estimator_checks_generator(estimator, legacy=True):
            name = check_name(check)
            seen.add(name)
            marks = ()
            if name in failing:
                marks = pytest.mark.xfail(strict=True, reason=failing[name])
            params.append(pytest.param(est, check, marks=marks, id=f"{label}-{name}"))
        stale = set(failing) - seen
        if stale:
            raise KeyError(f"{label}: no such checks {sorted(stale)}")
    return pytest.mark.parametrize("estimator, check", params)
