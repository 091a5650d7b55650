# ruff: noqa: E501
# (The tables below keep one bad input per line.)
"""Every public entry point against a table of bad inputs.

Each row of each table is one bad (or borderline) input given to one entry point,
with what skmat promises for it: either a documented result (checked for
validity: finite probabilities that sum to one, labels among ``classes_``...) or
an error of the right type (``ValueError`` or ``TypeError``; scikit-learn's
``InvalidParameterError`` is both) whose message names the parameter. No entry
point may return NaN probabilities. ``docs/reliability.rst`` summarises the
tables; ``tests/test_reliability.py`` covers faults, reproducibility and
portability.

Tables, in order: estimator constructor parameters, ``fit`` data, ``groups``,
``holdout_proba``, extreme temperatures, prediction methods, ``score``,
``MATClassifier.infer_groups``, then the functions of ``skmat.transition``,
``skmat.holdout``, ``skmat.xrm``, ``skmat.nets``, ``skmat.metrics``,
``skmat.callbacks`` and ``skmat.datasets``.
"""

import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import sklearn
import torch
from _estimators import (
    NEEDS_GROUPS,
    READS_GROUPS,
    RIVALS,
    makers,
    tiny_net,
)
from sklearn.exceptions import ConvergenceWarning, DataConversionWarning, NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score
from sklearn.model_selection import GroupKFold
from sklearn.svm import SVC
from sklearn.utils.validation import check_is_fitted
from skorch.helper import SliceDataset

from skmat import _devices as DEV
from skmat import _outputs as O
from skmat import datasets as D
from skmat import factory as F
from skmat import holdout as H
from skmat import metrics as M
from skmat import mlp as MLP
from skmat import transition as T
from skmat import xrm as XR
from skmat.callbacks import GroupAccuracyCallback
from skmat.datasets import make_spurious_classification

# Fits on tiny or random data, where MAT's guard often finds that the shift
# leaves nothing to learn; that warning is asserted in tests/test_guard.py, and
# only silenced here.
pytestmark = pytest.mark.filterwarnings("ignore::skmat.exceptions.MATFitWarning")


N_SAMPLES, N_FEATURES = 40, 4
X0, Y0, G0 = make_spurious_classification(N_SAMPLES, N_FEATURES, random_state=0)
OK = "ok"  # expected outcome: a documented, valid result


def _sized_net(**params):
    """A MAT net that knows its sizes (used on its own, outside an estimator)."""
    return tiny_net(module__n_features=N_FEATURES, module__n_classes=2, **params)


# Small, seeded estimators (the shared table); keyword arguments override defaults.
ESTIMATORS = makers(
    [
        "MAT-cv",
        "MAT-xrm",
        "MAT-cv-together",
        "ERM",
        "GroupReweighting",
        "GroupDRO",
        "JTT",
        "LogitAdjusted",
        *RIVALS,
    ],
    net=tiny_net,
)


def fit(name, estimator, X, y, groups=None):
    if name in READS_GROUPS:
        return estimator.fit(X, y, groups=G0 if groups is None else groups)
    return estimator.fit(X, y)


def assert_unfitted(estimator):
    with pytest.raises(NotFittedError):
        check_is_fitted(estimator)
    assert not [k for k in vars(estimator) if k.endswith("_")]


def assert_valid_proba(proba, n_rows, n_classes):
    proba = np.asarray(proba)
    assert proba.shape == (n_rows, n_classes)
    assert np.all(np.isfinite(proba)), "NaN or infinite probabilities"
    assert np.all(proba >= 0)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-9, atol=1e-9)


def assert_valid_fit(estimator, X, y):
    classes = np.unique(np.asarray(y).ravel())
    np.testing.assert_array_equal(estimator.classes_, classes)
    assert_valid_proba(estimator.predict_proba(X), len(y), len(classes))
    assert set(np.asarray(estimator.predict(X))) <= set(classes)
    if hasattr(estimator, "shift_"):
        assert np.all(np.isfinite(estimator.shift_))
        np.testing.assert_allclose(np.exp(estimator.shift_).sum(axis=1), 1.0)
        np.testing.assert_allclose(estimator.transition_matrix_.sum(axis=1), 1.0)


def check_outcome(call, expected, match=None, validate=None):
    """Run ``call``; it must raise ``expected`` matching ``match``, or (``OK``)
    return a result that ``validate`` accepts."""
    if expected is OK:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataConversionWarning)
            result = call()
        if validate is not None:
            validate(result)
        return result
    with pytest.raises(expected, match=match):
        call()
    return None


# =====================================================================
# Constructor parameters (validated by fit, as in scikit-learn)
# =====================================================================
BAD_PARAMS = [
    # (estimator, params, error, message naming the parameter)
    ("MAT-cv", dict(temperature=0), ValueError, "temperature"),
    ("MAT-cv", dict(temperature=-1.0), ValueError, "temperature"),
    ("MAT-cv", dict(temperature=np.nan), ValueError, "temperature"),
    ("MAT-cv", dict(temperature=np.inf), ValueError, "temperature"),
    ("MAT-cv", dict(temperature="hot"), TypeError, "temperature"),
    ("MAT-cv", dict(temperature=None), TypeError, "temperature"),
    ("MAT-cv", dict(temperature=[0.1]), TypeError, "temperature"),
    ("MAT-cv", dict(cv=1), ValueError, "cv"),
    ("MAT-cv", dict(cv=2.5), ValueError, "cv"),
    ("MAT-cv", dict(cv="five"), ValueError, "cv"),
    ("MAT-cv", dict(cv=200), ValueError, "cv=200"),
    ("MAT-cv", dict(holdout="loo"), ValueError, "holdout"),
    ("MAT-cv", dict(folds_together="yes"), ValueError, "folds_together"),
    ("MAT-cv", dict(vmap=None), ValueError, "vmap"),
    # folds_together=True needs skorch held-out nets (MAT-cv uses LogisticRegression)
    ("MAT-cv", dict(folds_together=True), ValueError, "folds_together"),
    ("MAT-cv", dict(holdout_estimator=SVC()), TypeError, "holdout_estimator"),
    ("MAT-cv", dict(estimator=LogisticRegression()), TypeError, "estimator"),
    (
        "MAT-cv",
        dict(estimator=tiny_net(criterion=torch.nn.MSELoss)),
        TypeError,
        "criterion",
    ),
    (
        "MAT-xrm",
        dict(holdout_estimator=LogisticRegression()),
        TypeError,
        "holdout_estimator",
    ),
    ("MAT-cv", dict(device="warp-drive"), ValueError, "device"),
    ("MAT-cv", dict(device=3), ValueError, "device"),
    ("MAT-cv", dict(device="cuda:99"), ValueError, "device"),
    ("MAT-xrm", dict(device="cuda:99"), ValueError, "device"),
    ("MAT-cv", dict(n_jobs="all"), TypeError, "n_jobs"),
    ("MAT-cv", dict(n_jobs=1.5), TypeError, "n_jobs"),
    ("MAT-cv", dict(verbose=-1), ValueError, "verbose"),
    ("MAT-cv", dict(random_state="seed"), ValueError, "random_state"),
    ("ERM", dict(estimator=LogisticRegression()), TypeError, "estimator"),
    ("ERM", dict(device="warp-drive"), ValueError, "device"),
    ("ERM", dict(device="cuda:99"), ValueError, "device"),
    ("ERM", dict(random_state=-1), ValueError, "random_state"),
    ("ERM", dict(verbose="loud"), TypeError, "verbose"),
    ("GroupReweighting", dict(device="cuda:99"), ValueError, "device"),
    ("GroupDRO", dict(eta=-1.0), ValueError, "eta"),
    ("GroupDRO", dict(eta=np.nan), ValueError, "eta"),
    ("GroupDRO", dict(eta=np.inf), ValueError, "eta"),
    ("GroupDRO", dict(eta="big"), TypeError, "eta"),
    ("JTT", dict(upweight=0.5), ValueError, "upweight"),
    ("JTT", dict(upweight=np.inf), ValueError, "upweight"),
    ("JTT", dict(first_epochs=0), ValueError, "first_epochs"),
    ("JTT", dict(first_epochs=1.5), TypeError, "first_epochs"),
    (
        "JTT",
        dict(identification_estimator=object()),
        TypeError,
        "identification_estimator",
    ),
    ("JTT", dict(device="cuda:99"), ValueError, "device"),
    ("LogitAdjusted", dict(tau=-1.0), ValueError, "tau"),
    ("LogitAdjusted", dict(tau=np.inf), ValueError, "tau"),
    ("LogitAdjusted", dict(tau="1"), TypeError, "tau"),
]


def _param_id(params):
    def short(value):
        if isinstance(value, (int, float, str, type(None))):
            return repr(value)
        return type(value).__name__

    return ",".join(f"{k}={short(v)}" for k, v in params.items())


@pytest.mark.parametrize(
    "name, params, error, match",
    BAD_PARAMS,
    ids=[f"{n}-{_param_id(p)}" for n, p, _, _ in BAD_PARAMS],
)
def test_bad_constructor_parameter(name, params, error, match):
    estimator = ESTIMATORS[name](**params)
    with pytest.raises(error, match=match):
        fit(name, estimator, X0, Y0)
    assert_unfitted(estimator)


EXTREME_VALID_PARAMS = [
    ("GroupDRO", dict(eta=1e8)),
    ("GroupDRO", dict(eta=0.0)),
    ("JTT", dict(upweight=1e30)),
    ("JTT", dict(upweight=1.0)),
    ("LogitAdjusted", dict(tau=1e8)),
    ("LogitAdjusted", dict(tau=0.0)),
    ("MAT-cv", dict(cv=N_SAMPLES // 2 - 4)),
]


@pytest.mark.parametrize("name, params", EXTREME_VALID_PARAMS)
def test_extreme_but_valid_parameters_give_valid_results(name, params):
    estimator = fit(name, ESTIMATORS[name](**params), X0, Y0)
    assert_valid_fit(estimator, X0, Y0)


@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_diverging_training_is_an_error_naming_X(name):
    # A learning rate of 1e30 turns the weights into NaN: fit says so (naming X
    # and the learning rate) instead of leaving a network that predicts NaN.
    estimator = ESTIMATORS[name](estimator=tiny_net(lr=1e30))
    match = r"diverged.*X holds values.*learning rate"
    if name == "MAT-cv-together":  # the held-out copies of the net diverge first
        match = r"holdout_estimator returned NaN.*diverged.*scale X"
    if name == "MAT-xrm":  # the twins' short budget ends with huge, finite weights
        match = r"output on X is NaN or infinite: X holds NaN, infinity or values"
    with pytest.raises(ValueError, match=match):
        fit(name, estimator, X0, Y0)
    assert_unfitted(estimator)


def test_diverging_held_out_network_names_the_fold():
    clf = ESTIMATORS["MAT-cv"](estimator=tiny_net(lr=1e30), holdout_estimator=None)
    with pytest.raises(ValueError, match=r"holdout_estimator returned NaN") as info:
        clf.fit(X0, Y0)
    assert any("fold 0 (of 2)" in note for note in info.value.__notes__)
    assert_unfitted(clf)


# =====================================================================
# fit(X, y) data, for every estimator
# =====================================================================
def _with(value, index=(3, 2)):
    X = X0.copy()
    X[index] = value
    return X


def _strings():
    X = X0.astype(object)
    X[0, 0] = "a"
    return X


def _mixed(labels):
    """Labels that mix strings and numbers (an object array)."""
    mixed = labels.astype(object)
    mixed[labels == 1] = "b"
    return mixed


def _frame(non_numeric):
    frame = pd.DataFrame(X0, columns=["f0", "f1", "f2", "f3"])
    if non_numeric:
        frame["colour"] = np.where(Y0 == 1, "red", "blue")
    return frame


def _image(value):
    """A float (n, 1, 2, 2) image array, one pixel set to ``value``."""
    images = X0.reshape(N_SAMPLES, 1, 2, 2).copy()
    images[3, 0, 1, 0] = value
    return images


class _TableDataset(torch.utils.data.Dataset):
    """A lazy torch Dataset over the rows of a table (for SliceDataset cases)."""

    def __init__(self, X):
        self.X = X

    def __len__(self):
        return len(self.X)

    def __getitem__(self, i):
        return self.X[i], 0


def _expected_for(name, expected, match):
    """The outcome of a case for one estimator: a dict maps estimator names to
    (error, match), with the case's default under None."""
    if isinstance(expected, dict):
        return expected.get(name, expected[None])
    return expected, match


FIT_HUGE_X = X0 * 1e30  # features near float32 overflow
FIT_CASES = [
    # (id, (X, y), error or OK, message)
    ("empty", (X0[:0], Y0[:0]), ValueError, r"Invalid X: Found array with 0 sample"),
    ("single-sample", (X0[:1], Y0[:1]), ValueError, r"Invalid X: .*1 sample"),
    ("single-feature", (X0[:, :1], Y0), OK, None),
    ("no-feature", (X0[:, :0], Y0), ValueError, r"Invalid X: .*0 feature"),
    ("nan-X", (_with(np.nan), Y0), ValueError, r"Input X contains NaN"),
    ("inf-X", (_with(np.inf), Y0), ValueError, r"Input X contains infinity"),
    ("object-X-strings", (_strings(), Y0), ValueError, r"Invalid X: could not"),
    ("object-X-numbers", (X0.astype(object), Y0), OK, None),
    ("int-X", (np.round(X0 * 10).astype(np.int64), Y0), OK, None),
    ("list-X", (X0.tolist(), Y0.tolist()), OK, None),
    ("sparse-X", (sp.csr_matrix(X0), Y0), OK, None),
    (
        "sparse-nan-X",
        (sp.csr_matrix(_with(np.nan)), Y0),
        ValueError,
        r"Input X contains NaN",
    ),
    ("1d-X", (X0[:, 0], Y0), ValueError, r"Invalid X: Expected 2D array"),
    (
        "3d-X",
        (X0.reshape(N_SAMPLES, 2, 2), Y0),
        {
            None: (OK, None),
            # The user's held-out model, LogisticRegression, takes tables only.
            "MAT-cv": (ValueError, r"dim 3, while dim <= 2 is required by Logistic"),
        },
        None,
    ),
    (
        "nan-image-X",
        (_image(np.nan), Y0),
        ValueError,
        r"Input X contains NaN or infinity",
    ),
    (
        "inf-image-X",
        (_image(np.inf), Y0),
        ValueError,
        r"Input X contains NaN or infinity",
    ),
    (
        "object-image-X",
        (_image(0.0).astype(object), Y0),
        TypeError,
        r"X must hold numbers",
    ),
    (
        "beyond-float32-image-X",
        (_image(1e300), Y0),
        ValueError,
        r"X holds values up to 1e\+300 .*float32",
    ),
    (
        "1d-tensor-X",
        (torch.as_tensor(X0[:, 0]), Y0),
        ValueError,
        r"X must have one row per example and at least 2 dimensions",
    ),
    (
        "nan-tensor-X",
        (torch.as_tensor(_with(np.nan)), Y0),
        ValueError,
        r"Input X contains NaN",
    ),
    (
        "dict-unequal-rows",
        ({"a": X0, "b": X0[:-1]}, Y0),
        ValueError,
        r"X is a dict whose values have different numbers of rows",
    ),
    ("dict-empty", ({}, Y0), ValueError, r"X is an empty dict"),
    ("dict-strings", ({"a": _strings()}, Y0), TypeError, r"X\['a'\] must hold numbers"),
    (
        "dict-nan",
        ({"a": _with(np.nan)}, Y0),
        ValueError,
        r"Input X\['a'\] contains NaN",
    ),
    (
        "dict-default-mlp",
        ({"a": X0}, Y0),
        TypeError,
        r"default MLP takes one array per row, but X is a dict",
    ),
    (
        "slicedataset-wrong-length",
        (SliceDataset(_TableDataset(X0[:-1])), Y0),
        ValueError,
        r"X and y have inconsistent numbers of samples: X has 39 rows",
    ),
    (
        "torch-dataset",
        (_TableDataset(X0), Y0),
        TypeError,
        r"X is a torch Dataset .*SliceDataset",
    ),
    ("mismatched-lengths", (X0, Y0[:-1]), ValueError, r"X and y .* inconsistent"),
    ("one-class", (X0, np.zeros(N_SAMPLES, int)), ValueError, r"y must .* 2 classes"),
    ("continuous-y", (X0, np.linspace(0, 1, N_SAMPLES)), ValueError, r"y: .*continu"),
    (
        "nan-y",
        (X0, np.where(Y0 == 1, np.nan, 0.0)),
        ValueError,
        r"Input y contains NaN",
    ),
    ("complex-y", (X0, Y0 + 1j), ValueError, r"Invalid y: Complex"),
    ("2d-y", (X0, np.c_[Y0, Y0]), ValueError, r"y should be a 1d array"),
    ("column-y", (X0, Y0[:, None]), OK, None),
    ("none-y", (X0, None), ValueError, r"y should be a 1d array"),
    ("mixed-type-y", (X0, _mixed(Y0)), ValueError, "y"),
    ("string-y", (X0, np.where(Y0 == 1, "dog", "cat")), OK, None),
    ("bool-y", (X0, Y0.astype(bool)), OK, None),
    ("pandas-numeric", (_frame(False), pd.Series(Y0)), OK, None),
    (
        "pandas-non-numeric",
        (_frame(True), Y0),
        ValueError,
        r"Invalid X: .*non-numeric columns \['colour'\]",
    ),
    ("huge-1e30", (FIT_HUGE_X, Y0), OK, None),
    (
        "beyond-float32-1e300",
        (X0 * 1e300, Y0),
        ValueError,
        r"X holds values up to 5.81e\+300 .*float32",
    ),
]


@pytest.mark.parametrize("name", list(ESTIMATORS))
@pytest.mark.parametrize(
    "data, expected, match", [c[1:] for c in FIT_CASES], ids=[c[0] for c in FIT_CASES]
)
def test_fit_bad_data(name, data, expected, match):
    X, y = data
    expected, match = _expected_for(name, expected, match)
    estimator = ESTIMATORS[name]()
    if name == "MAT-cv" and data[0] is FIT_HUGE_X:
        # The held-out LogisticRegression's L-BFGS stops at once on 1e30
        # features, and says so; the fit still succeeds.
        with pytest.warns(ConvergenceWarning, match="lbfgs failed to converge"):
            check_outcome(lambda: fit(name, estimator, X, y), expected, match)
    else:
        check_outcome(lambda: fit(name, estimator, X, y), expected, match)
    if expected is OK:
        assert_valid_fit(estimator, X, np.asarray(y).ravel())
        if isinstance(X, pd.DataFrame):
            np.testing.assert_array_equal(estimator.feature_names_in_, X.columns)
    else:
        assert_unfitted(estimator)


# =====================================================================
# groups
# =====================================================================
GROUPS_CASES = [
    ("none", None, ValueError, r"needs group labels.*groups=groups"),
    ("wrong-length", G0[:-1], ValueError, r"groups has 39 entries but X has 40"),
    # One group encoding (skmat._encoding): each row of a 2-D array is a group.
    ("2d", np.c_[G0, G0], OK, None),
    ("scalar", 3, ValueError, r"groups must be array-like, not a scalar"),
    ("nan", np.where(G0 == 1, np.nan, G0), ValueError, r"groups must not .*NaN"),
    ("inf", np.where(G0 == 1, np.inf, G0), ValueError, r"groups must not .*infinity"),
    ("sparse", sp.csr_matrix(G0), TypeError, r"groups is a sparse matrix"),
    # Mixed strings and numbers are distinct groups, as for the metrics.
    ("mixed-types", _mixed(G0), OK, None),
    ("single-group", np.zeros(N_SAMPLES), OK, None),
    ("string-groups", np.array(list("abcd"))[G0], OK, None),
]


@pytest.mark.parametrize("name", sorted(NEEDS_GROUPS))
@pytest.mark.parametrize(
    "groups, expected, match",
    [c[1:] for c in GROUPS_CASES],
    ids=[c[0] for c in GROUPS_CASES],
)
def test_group_methods_bad_groups(name, groups, expected, match):
    estimator = ESTIMATORS[name]()
    call = lambda: estimator.fit(X0, Y0, groups=groups)  # noqa: E731
    check_outcome(call, expected, match)
    if expected is OK:
        assert_valid_fit(estimator, X0, Y0)
        weights = estimator.group_weights_
        # One weight per distinct group: value, or row of a 2-D array.
        distinct = {repr(g) for g in np.asarray(groups, dtype=object).tolist()}
        assert len(weights) == len(estimator.groups_) == len(distinct)
        assert np.all(np.isfinite(weights)) and np.all(weights > 0)
        if name == "GroupDRO":
            np.testing.assert_allclose(weights.sum(), 1.0)
    else:
        assert_unfitted(estimator)


@pytest.mark.parametrize("name", ["ERM", "JTT", "LogitAdjusted"])
def test_group_free_methods_ignore_groups_even_malformed(name):
    # Documented: the group-free baselines accept groups and ignore them.
    estimator = ESTIMATORS[name]().fit(X0, Y0, groups=G0[:-1])
    assert_valid_fit(estimator, X0, Y0)


def test_mat_groups_without_routing_is_named():
    with pytest.raises(ValueError, match=r"enable_metadata_routing.*\{'groups'\}"):
        ESTIMATORS["MAT-cv"]().fit(X0, Y0, groups=G0)


MAT_ROUTED_GROUPS = [
    ("wrong-length", G0[:-1], r"groups has 39 entries but X has 40 rows"),
    ("none", None, r"'groups' parameter should not be None"),
    ("nan", np.where(G0 == 1, np.nan, G0), r"Input groups contains NaN"),
]


@pytest.mark.parametrize(
    "groups, match",
    [c[1:] for c in MAT_ROUTED_GROUPS],
    ids=[c[0] for c in MAT_ROUTED_GROUPS],
)
def test_mat_routed_groups_for_group_splitter(groups, match):
    with sklearn.config_context(enable_metadata_routing=True):
        clf = ESTIMATORS["MAT-cv"](cv=GroupKFold(2))
        with pytest.raises(ValueError, match=match):
            clf.fit(X0, Y0, groups=groups)
    assert_unfitted(clf)


# =====================================================================
# holdout_proba (precomputed held-out probabilities)
# =====================================================================
def _proba(kind):
    p = np.column_stack(
        [np.linspace(0.1, 0.9, N_SAMPLES), np.linspace(0.9, 0.1, N_SAMPLES)]
    )
    if kind == "nan":
        p[1, 0] = np.nan
    elif kind == "inf":
        p[1, 0] = np.inf
    elif kind == "negative":
        p[0] = [-0.5, 1.5]
    elif kind == "unnormalised":
        p[4] = [0.5, 0.7]
    elif kind == "huge":
        p[4] = [1e300, 1e300]
    elif kind == "one-hot":
        p = np.eye(2)[Y0]
    elif kind == "wrong-one-hot":
        p = np.eye(2)[1 - Y0]
    return p


HOLDOUT_PROBA_CASES = [
    ("nan", _proba("nan"), ValueError, r"holdout_proba must not contain NaN"),
    ("inf", _proba("inf"), ValueError, r"holdout_proba must not contain NaN or inf"),
    ("negative", _proba("negative"), ValueError, r"holdout_proba .*negative"),
    ("unnormalised", _proba("unnormalised"), ValueError, r"holdout_proba .*sum to 1"),
    ("huge", _proba("huge"), ValueError, r"holdout_proba .*sum to 1"),
    ("one-column", _proba("ok")[:, :1], ValueError, r"holdout_proba must have shape"),
    (
        "three-columns",
        np.full((N_SAMPLES, 3), 1 / 3),
        ValueError,
        r"holdout_proba must have shape",
    ),
    ("wrong-rows", _proba("ok")[:-1], ValueError, r"holdout_proba must have shape"),
    ("1d", _proba("ok")[:, 0], ValueError, r"holdout_proba must have shape"),
    ("3d", _proba("ok")[:, :, None], ValueError, r"holdout_proba must have shape"),
    (
        "strings",
        np.full((N_SAMPLES, 2), "a"),
        TypeError,
        r"holdout_proba must be a numeric",
    ),
    (
        "sparse",
        sp.csr_matrix(_proba("ok")),
        TypeError,
        r"holdout_proba must be a numeric",
    ),
    ("ragged", [[0.5, 0.5], [1.0]], TypeError, r"holdout_proba must be a numeric"),
    ("list", _proba("ok").tolist(), OK, None),
    ("one-hot-exact-zeros", _proba("one-hot"), OK, None),
    ("always-wrong-one-hot", _proba("wrong-one-hot"), OK, None),
]


@pytest.mark.parametrize(
    "proba, expected, match",
    [c[1:] for c in HOLDOUT_PROBA_CASES],
    ids=[c[0] for c in HOLDOUT_PROBA_CASES],
)
def test_mat_bad_holdout_proba(proba, expected, match):
    clf = ESTIMATORS["MAT-cv"]()
    check_outcome(lambda: clf.fit(X0, Y0, holdout_proba=proba), expected, match)
    if expected is OK:
        assert_valid_fit(clf, X0, Y0)
        np.testing.assert_allclose(clf.holdout_proba_, np.asarray(proba, dtype=float))
    else:
        assert_unfitted(clf)


# =====================================================================
# Extreme temperatures: no NaN, no inf, every attribute still valid
# =====================================================================
TEMPERATURES = [1e-8, 1e8, 5e-324, 1e300]


@pytest.mark.parametrize("temperature", TEMPERATURES)
@pytest.mark.parametrize("source", ["cv", "xrm", "one-hot", "uniform"])
def test_mat_extreme_temperatures(temperature, source):
    name = "MAT-xrm" if source == "xrm" else "MAT-cv"
    clf = ESTIMATORS[name](temperature=temperature)
    proba = {"one-hot": _proba("one-hot"), "uniform": np.full((N_SAMPLES, 2), 0.5)}
    clf.fit(X0, Y0, holdout_proba=proba.get(source))
    for attribute in ("holdout_proba_", "joint_", "transition_matrix_", "shift_"):
        assert np.all(np.isfinite(getattr(clf, attribute))), attribute
    np.testing.assert_allclose(clf.joint_.sum(), 1.0)
    assert_valid_fit(clf, X0, Y0)
    if source == "uniform":
        # An uninformative held-out model gives every row the class prior.
        prior = np.bincount(Y0) / N_SAMPLES
        np.testing.assert_allclose(np.exp(clf.shift_), np.tile(prior, (N_SAMPLES, 1)))


@pytest.mark.parametrize("temperature", TEMPERATURES)
def test_transition_functions_extreme_temperatures(temperature):
    rng = np.random.RandomState(0)
    proba = rng.dirichlet([1.0, 1.0, 1.0], size=30)
    proba[0] = [1.0, 0.0, 0.0]  # exact zeros
    proba[1] = [1 / 3, 1 / 3, 1 / 3]  # a tie
    y = rng.randint(3, size=30)
    q = T.sharpen(proba, temperature)
    assert np.all(np.isfinite(q)) and np.all(q >= 0)
    np.testing.assert_allclose(q.sum(axis=1), 1.0)
    np.testing.assert_allclose(q[1], 1 / 3)  # ties stay ties
    result = T.mat_shift(proba, y, temperature)
    for value in result:
        assert np.all(np.isfinite(value))
    np.testing.assert_allclose(result.transition.sum(axis=1), 1.0)
    np.testing.assert_allclose(np.exp(result.shift).sum(axis=1), 1.0)


# =====================================================================
# Prediction methods of every fitted estimator
# =====================================================================
@pytest.fixture(scope="module")
def fitted():
    return {name: fit(name, make(), X0, Y0) for name, make in ESTIMATORS.items()}


FINITE_OR_X_ERROR = "finite-or-X-error"
PREDICT_CASES = [
    ("empty", X0[:0], ValueError, r"Invalid X: Found array with 0 sample"),
    ("single-sample", X0[:1], OK, None),
    ("single-feature", X0[:, :1], ValueError, r"X has 1 features, but"),
    ("wrong-n-features", X0[:, :3], ValueError, r"X has 3 features, but"),
    ("nan", _with(np.nan), ValueError, r"Input X contains NaN"),
    ("inf", _with(-np.inf), ValueError, r"Input X contains infinity"),
    ("object-strings", _strings(), ValueError, r"Invalid X: could not"),
    ("sparse", sp.csr_matrix(X0), OK, None),
    ("sparse-nan", sp.csr_matrix(_with(np.nan)), ValueError, r"Input X contains NaN"),
    ("1d", X0[:, 0], ValueError, r"Invalid X: Expected 2D array"),
    (
        "3d",
        X0.reshape(N_SAMPLES, 2, 2),
        ValueError,
        r"X is a ndarray of shape \(40, 2, 2\), but .* was fitted on a table with 4 features",
    ),
    ("nan-image", _image(np.nan), ValueError, r"Input X contains NaN or infinity"),
    (
        "dict",
        {"a": X0},
        ValueError,
        r"X is a dict with keys \['a'\], but .* fitted on a table",
    ),
    ("list", X0.tolist(), OK, None),
    ("int", np.round(X0).astype(np.int64), OK, None),
    ("pandas-non-numeric", _frame(True), ValueError, r"X.*non-numeric columns"),
    ("huge-1e30", X0 * 1e30, OK, None),
    ("huge-3e38", X0 * 3e38, FINITE_OR_X_ERROR, None),
    ("beyond-float32-1e300", X0 * 1e300, FINITE_OR_X_ERROR, None),
]
PREDICT_METHODS = ["predict", "predict_proba", "predict_log_proba", "decision_function"]


def _validate_prediction(method, estimator, n_rows):
    n_classes = len(estimator.classes_)

    def validate(result):
        result = np.asarray(result)
        assert result.shape[0] == n_rows
        if method == "predict":
            assert set(result) <= set(estimator.classes_)
            return
        assert np.all(np.isfinite(result)), f"{method} returned NaN or infinity"
        if method == "predict_proba":
            assert_valid_proba(result, n_rows, n_classes)
        elif method == "predict_log_proba":
            assert np.all(result <= 0)
            assert_valid_proba(np.exp(result), n_rows, n_classes)

    return validate


@pytest.mark.filterwarnings("ignore:X has feature names:UserWarning")
@pytest.mark.parametrize("method", PREDICT_METHODS)
@pytest.mark.parametrize("name", list(ESTIMATORS))
@pytest.mark.parametrize(
    "X, expected, match",
    [c[1:] for c in PREDICT_CASES],
    ids=[c[0] for c in PREDICT_CASES],
)
def test_predict_bad_input_never_nan(fitted, name, method, X, expected, match):
    estimator = fitted[name]
    call = lambda: getattr(estimator, method)(X)  # noqa: E731
    n_rows = N_SAMPLES if isinstance(X, dict) else np.shape(X)[0]
    validate = _validate_prediction(method, estimator, n_rows)
    if expected == FINITE_OR_X_ERROR:
        # Either a valid, finite result or an error naming X: never NaN.
        try:
            result = call()
        except ValueError as exc:
            assert "X" in str(exc)
        else:
            validate(result)
        return
    check_outcome(call, expected, match, validate)


def test_predict_unfitted_is_not_fitted_error():
    for make in ESTIMATORS.values():
        for method in [*PREDICT_METHODS, "score"]:
            args = (X0, Y0) if method == "score" else (X0,)
            with pytest.raises(NotFittedError):
                getattr(make(), method)(*args)


# =====================================================================
# score(X, y, sample_weight)
# =====================================================================
SCORE_CASES = [
    ("ok", dict(y=Y0), OK, None),
    ("unseen-labels", dict(y=Y0 + 5), OK, None),  # accuracy 0.0, documented
    ("string-y", dict(y=np.where(Y0 == 1, "b", "a")), ValueError, r"Invalid y: Mix"),
    ("wrong-length", dict(y=Y0[:-1]), ValueError, r"y has 39 labels but X has 40"),
    ("2d-y", dict(y=np.c_[Y0, Y0]), ValueError, r"y should be a 1d array"),
    ("continuous-y", dict(y=Y0 + 0.5), ValueError, r"Invalid y: .*continuous"),
    (
        "nan-y",
        dict(y=np.where(Y0 == 1, np.nan, 0)),
        ValueError,
        r"Input y contains NaN",
    ),
    ("weights", dict(y=Y0, sample_weight=np.linspace(0.1, 2.0, N_SAMPLES)), OK, None),
    (
        "weights-wrong-length",
        dict(y=Y0, sample_weight=np.ones(3)),
        ValueError,
        r"sample_weight must have shape \(40,\)",
    ),
]


@pytest.mark.parametrize("name", list(ESTIMATORS))
@pytest.mark.parametrize(
    "kwargs, expected, match",
    [c[1:] for c in SCORE_CASES],
    ids=[c[0] for c in SCORE_CASES],
)
def test_score_bad_input(fitted, name, kwargs, expected, match):
    estimator = fitted[name]

    def validate(score):
        # The accuracy of the estimator's own predictions (weighted, if given).
        y_pred = estimator.predict(X0)
        weight = kwargs.get("sample_weight")
        assert score == pytest.approx(
            accuracy_score(kwargs["y"], y_pred, sample_weight=weight)
        )
        if kwargs["y"] is not Y0 and expected is OK:
            assert score == 0.0

    check_outcome(lambda: estimator.score(X0, **kwargs), expected, match, validate)


# =====================================================================
# MATClassifier.infer_groups
# =====================================================================
INFER_GROUPS_CASES = [
    ("ok", (X0, Y0), OK, None),
    (
        "y-wrong-length",
        (X0, Y0[:-1]),
        ValueError,
        r"y must hold one label per row of X",
    ),
    ("y-scalar", (X0, 1), ValueError, r"y must hold one label per row of X"),
    (
        "y-unknown-labels",
        (X0, Y0 + 5),
        ValueError,
        r"y_true contains label\(s\) \[5, 6\]",
    ),
    ("X-nan", (_with(np.nan), Y0), ValueError, r"Input X contains NaN"),
    ("X-wrong-n-features", (X0[:, :3], Y0), ValueError, r"X has 3 features"),
    ("X-sparse", (sp.csr_matrix(X0), Y0), OK, None),
    ("X-beyond-float32", (X0 * 1e300, Y0), FINITE_OR_X_ERROR, None),
]


@pytest.mark.parametrize("name", ["MAT-cv", "MAT-xrm"])
@pytest.mark.parametrize(
    "args, expected, match",
    [c[1:] for c in INFER_GROUPS_CASES],
    ids=[c[0] for c in INFER_GROUPS_CASES],
)
def test_infer_groups_bad_input(fitted, name, args, expected, match):
    estimator = fitted[name]

    expected, match = _expected_for(name, expected, match)

    def validate(groups):
        assert groups.shape == (N_SAMPLES,)
        assert set(groups) <= {0, 1, 2, 3}

    if expected == FINITE_OR_X_ERROR:
        try:
            validate(estimator.infer_groups(*args))
        except ValueError as exc:
            assert "X" in str(exc)
        return
    check_outcome(lambda: estimator.infer_groups(*args), expected, match, validate)


# =====================================================================
# Functions: a table of (entry point, call, error or OK, message)
# =====================================================================
P2 = np.column_stack([np.linspace(0.1, 0.9, 4), np.linspace(0.9, 0.1, 4)])
Y4 = np.array([0, 0, 1, 1])


def _loader_root(tmp_path):
    root = tmp_path / "waterbirds"
    root.mkdir()
    lines = ["img_id,img_filename,y,split,place,place_filename"]
    lines += [f"{i},f{i}.jpg,{i % 2},{i % 3},{(i // 2) % 2},p" for i in range(6)]
    (root / "metadata.csv").write_text("\n".join(lines) + "\n")
    np.save(root / "features.npy", np.arange(18, dtype=float).reshape(6, 3))
    (root / "empty.csv").write_text("")
    (root / "civil.csv").write_text("toxicity,male,split\nnan,0,train\n0.9,1,test\n")
    return root


def _twins():
    proba, twins = XR.fit_xrm(tiny_net(max_epochs=2), X0, Y0, random_state=0)
    assert_valid_proba(proba, N_SAMPLES, 2)
    return twins


def _fitted_net():
    net = tiny_net(module__n_features=N_FEATURES, module__n_classes=2)
    return net.fit(X0.astype(np.float32), Y0)


# Each row: (entry point, id, call taking the fixtures dict, error or OK, match).
# fmt: off
FUNCTION_CASES = [
    # -------------------------------------------------------- transition
    ("sharpen", "nan", lambda f: T.sharpen(np.full((4, 2), np.nan), 0.1), ValueError, r"proba must not contain NaN"),
    ("sharpen", "strings", lambda f: T.sharpen(np.full((4, 2), "a"), 0.1), TypeError, r"proba must be a dense numeric"),
    ("sharpen", "sparse", lambda f: T.sharpen(sp.csr_matrix(P2), 0.1), TypeError, r"proba must be a dense numeric"),
    ("sharpen", "1d", lambda f: T.sharpen(P2[:, 0], 0.1), ValueError, r"proba must be a 2-D array"),
    ("sharpen", "3d", lambda f: T.sharpen(P2[:, :, None], 0.1), ValueError, r"proba must be a 2-D array"),
    ("sharpen", "one-column", lambda f: T.sharpen(P2[:, :1], 0.1), ValueError, r"n_classes >= 2"),
    ("sharpen", "negative", lambda f: T.sharpen(-P2, 0.1), ValueError, r"proba must not contain negative"),
    ("sharpen", "empty", lambda f: T.sharpen(np.empty((0, 2)), 0.1), OK, None),
    ("sharpen", "all-zero-rows", lambda f: T.sharpen(np.zeros((4, 2)), 0.1), OK, None),
    ("sharpen", "huge-unnormalised", lambda f: T.sharpen(np.full((4, 2), 1e300), 0.1), OK, None),
    ("sharpen", "temperature=0", lambda f: T.sharpen(P2, 0), ValueError, r"'temperature' parameter of sharpen must be a float in the range \(0.0, inf\)"),
    ("sharpen", "temperature=-1", lambda f: T.sharpen(P2, -1.0), ValueError, r"'temperature' parameter of sharpen must be a float in the range \(0.0, inf\)"),
    ("sharpen", "temperature=nan", lambda f: T.sharpen(P2, np.nan), ValueError, r"'temperature' parameter of sharpen must be a float in the range \(0.0, inf\)"),
    ("sharpen", "temperature=inf", lambda f: T.sharpen(P2, np.inf), ValueError, r"'temperature' parameter of sharpen must be a float in the range \(0.0, inf\)"),
    ("sharpen", "temperature=str", lambda f: T.sharpen(P2, "hot"), TypeError, r"'temperature' parameter of sharpen must be a float in the range \(0.0, inf\)"),
    ("sharpen", "temperature=None", lambda f: T.sharpen(P2, None), TypeError, r"'temperature' parameter of sharpen must be a float in the range \(0.0, inf\)"),
    ("sharpen", "temperature=True", lambda f: T.sharpen(P2, True), OK, None),
    ("joint_matrix", "nan-q", lambda f: T.joint_matrix(np.full((4, 2), np.nan), Y4), ValueError, r"q must not contain NaN"),
    ("joint_matrix", "strings-q", lambda f: T.joint_matrix(np.full((4, 2), "a"), Y4), TypeError, r"q must be a dense numeric"),
    ("joint_matrix", "sparse-q", lambda f: T.joint_matrix(sp.csr_matrix(P2), Y4), TypeError, r"q must be a dense numeric"),
    ("joint_matrix", "y-wrong-length", lambda f: T.joint_matrix(P2, Y4[:3]), ValueError, r"y must be 1-D with one label per row"),
    ("joint_matrix", "y-continuous", lambda f: T.joint_matrix(P2, Y4 + 0.5), ValueError, r"y must hold integer labels"),
    ("joint_matrix", "y-nan", lambda f: T.joint_matrix(P2, np.array([0, np.nan, 1, 1])), ValueError, r"y must hold integer labels"),
    ("joint_matrix", "y-strings", lambda f: T.joint_matrix(P2, np.array(list("abab"))), ValueError, r"y must hold integer labels"),
    ("joint_matrix", "y-out-of-range", lambda f: T.joint_matrix(P2, Y4 + 1), ValueError, r"y must hold integer labels in \[0, 1\]"),
    ("joint_matrix", "n_classes-mismatch", lambda f: T.joint_matrix(P2, Y4, n_classes=3), ValueError, r"n_classes=3"),
    ("joint_matrix", "empty", lambda f: T.joint_matrix(np.empty((0, 2)), np.empty(0, int)), ValueError, r"q and y must contain at least one sample"),
    ("joint_matrix", "one-class", lambda f: T.joint_matrix(P2, np.zeros(4, int)), OK, None),
    ("transition_matrix", "nan", lambda f: T.transition_matrix(np.full((2, 2), np.nan)), ValueError, r"joint must hold finite"),
    ("transition_matrix", "negative", lambda f: T.transition_matrix(-np.eye(2)), ValueError, r"joint must hold finite, non-negative"),
    ("transition_matrix", "all-zero", lambda f: T.transition_matrix(np.zeros((2, 2))), ValueError, r"joint must have a positive total mass"),
    ("transition_matrix", "not-square", lambda f: T.transition_matrix(np.ones((3, 2))), ValueError, r"joint must be a square"),
    ("transition_matrix", "strings", lambda f: T.transition_matrix(np.full((2, 2), "a")), TypeError, r"joint must be a dense numeric"),
    ("transition_matrix", "sparse", lambda f: T.transition_matrix(sp.csr_matrix(np.eye(2))), TypeError, r"joint must be a dense numeric"),
    ("transition_matrix", "huge-1e308", lambda f: T.transition_matrix(np.full((2, 2), 1e308)), OK, None),
    ("transition_matrix", "tiny-5e-324", lambda f: T.transition_matrix(np.array([[5e-324, 0.0], [0.0, 5e-324]])), OK, None),
    ("transition_matrix", "empty-row", lambda f: T.transition_matrix(np.array([[0.5, 0.5], [0.0, 0.0]])), OK, None),
    ("logit_shift", "nan-transition", lambda f: T.logit_shift(P2, np.full((2, 2), np.nan)), ValueError, r"transition must hold finite"),
    ("logit_shift", "negative-transition", lambda f: T.logit_shift(P2, -np.eye(2)), ValueError, r"transition must hold finite, non-negative"),
    ("logit_shift", "wrong-shape-transition", lambda f: T.logit_shift(P2, np.eye(3)), ValueError, r"transition must have shape \(2, 2\)"),
    ("logit_shift", "strings-transition", lambda f: T.logit_shift(P2, np.full((2, 2), "a")), TypeError, r"transition must be a dense numeric"),
    ("logit_shift", "nan-q", lambda f: T.logit_shift(np.full((4, 2), np.nan), np.eye(2)), ValueError, r"q must not contain NaN"),
    ("logit_shift", "zero-transition", lambda f: T.logit_shift(P2, np.zeros((2, 2))), OK, None),
    ("mat_shift", "nan", lambda f: T.mat_shift(np.full((4, 2), np.nan), Y4, 0.1), ValueError, r"proba must not contain NaN"),
    ("mat_shift", "sparse", lambda f: T.mat_shift(sp.csr_matrix(P2), Y4, 0.1), TypeError, r"proba must be a dense numeric"),
    ("mat_shift", "y-wrong-length", lambda f: T.mat_shift(P2, Y4[:3], 0.1), ValueError, r"y must be 1-D"),
    ("mat_shift", "temperature=0", lambda f: T.mat_shift(P2, Y4, 0.0), ValueError, r"temperature"),
    # ----------------------------------------------------------- holdout
    ("check_holdout_proba", "nan", lambda f: H.check_holdout_proba(np.full((4, 2), np.nan), 4, 2), ValueError, r"holdout_proba must not contain NaN"),
    ("check_holdout_proba", "strings", lambda f: H.check_holdout_proba(np.full((4, 2), "a"), 4, 2), TypeError, r"holdout_proba must be a numeric"),
    ("check_holdout_proba", "sparse", lambda f: H.check_holdout_proba(sp.csr_matrix(P2), 4, 2), TypeError, r"holdout_proba must be a numeric"),
    ("check_holdout_proba", "3d", lambda f: H.check_holdout_proba(P2[:, :, None], 4, 2), ValueError, r"holdout_proba must have shape"),
    ("check_holdout_proba", "unnormalised", lambda f: H.check_holdout_proba(P2 * 2, 4, 2), ValueError, r"every row of holdout_proba must sum to 1"),
    ("check_holdout_proba", "within-tolerance", lambda f: H.check_holdout_proba(P2 * (1 + 1e-6), 4, 2), OK, None),
    ("cross_val_holdout_proba", "no-splits", lambda f: H.cross_val_holdout_proba(LogisticRegression(), X0, Y0, splits=[], n_classes=2), ValueError, r"cv must give test folds that partition"),
    ("cross_val_holdout_proba", "overlapping-splits", lambda f: H.cross_val_holdout_proba(LogisticRegression(), X0, Y0, splits=[(np.arange(20), np.arange(30)), (np.arange(20, 40), np.arange(10, 40))], n_classes=2), ValueError, r"cv must give test folds that partition"),
    ("proba_in_label_order", "wrong-columns", lambda f: H.proba_in_label_order(LogisticRegression().fit(X0, Y0), np.ones((3, 3)), 2), ValueError, r"holdout_estimator.predict_proba returned 3 columns"),
    # --------------------------------------------------------------- xrm
    ("fit_xrm", "empty", lambda f: XR.fit_xrm(tiny_net(), X0[:0], Y0[:0]), ValueError, r"at least 2 training examples"),
    ("fit_xrm", "single-sample", lambda f: XR.fit_xrm(tiny_net(), X0[:1], Y0[:1]), ValueError, r"at least 2 training examples"),
    ("fit_xrm", "nan-X", lambda f: XR.fit_xrm(tiny_net(), _with(np.nan), Y0), ValueError, r"Input X contains NaN"),
    ("fit_xrm", "inf-X", lambda f: XR.fit_xrm(tiny_net(), _with(np.inf), Y0), ValueError, r"Input X contains infinity"),
    ("fit_xrm", "nan-image-X", lambda f: XR.fit_xrm(tiny_net(), _image(np.nan), Y0), ValueError, r"Input X contains NaN"),
    ("fit_xrm", "beyond-float32-X", lambda f: XR.fit_xrm(tiny_net(), X0 * 1e300, Y0), ValueError, r"X holds values up to .*float32"),
    ("fit_xrm", "near-float32-max-X", lambda f: XR.fit_xrm(tiny_net(), X0 * 5e37, Y0, random_state=0)[0], OK, None),
    ("fit_xrm", "diverging-lr=1e30", lambda f: XR.fit_xrm(tiny_net(lr=1e30), X0, Y0, random_state=0), ValueError, r"XRM twins diverged.*scale X"),
    ("fit_xrm", "strings-X", lambda f: XR.fit_xrm(tiny_net(), _strings(), Y0), ValueError, r"Invalid X"),
    ("fit_xrm", "sparse-X", lambda f: XR.fit_xrm(tiny_net(), sp.csr_matrix(X0), Y0, random_state=0)[0], OK, None),
    ("fit_xrm", "pandas-non-numeric-X", lambda f: XR.fit_xrm(tiny_net(), _frame(True), Y0), ValueError, r"Invalid X"),
    ("fit_xrm", "1d-X", lambda f: XR.fit_xrm(tiny_net(), X0[:, 0], Y0), ValueError, r"Invalid X: Expected 2D array"),
    ("fit_xrm", "3d-X", lambda f: XR.fit_xrm(tiny_net(), X0.reshape(40, 2, 2), Y0, random_state=0)[0], OK, None),
    ("fit_xrm", "dict-unequal-X", lambda f: XR.fit_xrm(tiny_net(), {"a": X0, "b": X0[:-1]}, Y0), ValueError, r"different numbers of rows"),
    ("fit_xrm", "mismatched-lengths", lambda f: XR.fit_xrm(tiny_net(), X0, Y0[:-1]), ValueError, r"y must have shape \(40,\)"),
    ("fit_xrm", "one-class", lambda f: XR.fit_xrm(tiny_net(), X0, np.zeros(40, int)), ValueError, r"y must hold at least 2 classes"),
    ("fit_xrm", "continuous-y", lambda f: XR.fit_xrm(tiny_net(), X0, Y0 + 0.5), ValueError, r"y must hold integer labels"),
    ("fit_xrm", "nan-y", lambda f: XR.fit_xrm(tiny_net(), X0, np.where(Y0 == 1, np.nan, 0)), ValueError, r"y must hold integer labels"),
    ("fit_xrm", "negative-y", lambda f: XR.fit_xrm(tiny_net(), X0, Y0 - 1, n_classes=2), ValueError, r"y must hold labels in 0 .. 1"),
    ("fit_xrm", "n_classes=1", lambda f: XR.fit_xrm(tiny_net(), X0, Y0, n_classes=1), ValueError, r"n_classes == 1, must be >= 2"),
    ("fit_xrm", "n_classes=str", lambda f: XR.fit_xrm(tiny_net(), X0, Y0, n_classes="2"), TypeError, r"n_classes must be an instance of int"),
    ("fit_xrm", "net=LogisticRegression", lambda f: XR.fit_xrm(LogisticRegression(), X0, Y0), TypeError, r"net must be a skorch"),
    ("fit_xrm", "vmap=maybe", lambda f: XR.fit_xrm(tiny_net(), X0, Y0, vmap="maybe"), ValueError, r"vmap must be"),
    ("fit_xrm", "flip_mode=never", lambda f: XR.fit_xrm(tiny_net(), X0, Y0, flip_mode="never"), ValueError, r"'flip_mode' parameter of XRM.* must be a str among"),
    ("fit_xrm", "device=cuda:99", lambda f: XR.fit_xrm(tiny_net(), X0, Y0, device="cuda:99"), ValueError, r"device="),
    ("fit_xrm", "batch_size=0", lambda f: XR.fit_xrm(tiny_net(batch_size=0), X0, Y0), ValueError, r"batch_size"),
    ("fit_xrm", "huge-1e30-X", lambda f: XR.fit_xrm(tiny_net(), X0 * 1e30, Y0, random_state=0)[0], OK, None),
    ("XRMMixin.predict_proba_twins", "1d", lambda f: f["twins"].predict_proba_twins(X0[:, 0]), ValueError, r"X \(a ndarray of shape \(40,\)\) cannot be fed to the network"),
    ("XRMMixin.predict_proba_twins", "wrong-n-features", lambda f: f["twins"].predict_proba_twins(X0[:, :3]), ValueError, r"X \(a ndarray of shape \(40, 3\)\) cannot be fed to the network"),
    ("XRMMixin.predict_proba_twins", "nan", lambda f: f["twins"].predict_proba_twins(_with(np.nan)), ValueError, r"output on X is NaN or infinite"),
    ("XRMMixin.predict_proba_twins", "beyond-float32", lambda f: f["twins"].predict_proba_twins(X0 * 1e300), ValueError, r"output on X is NaN or infinite"),
    ("XRMMixin.predict_proba_twins", "sparse", lambda f: f["twins"].predict_proba_twins(sp.csr_matrix(X0)), OK, None),
    ("XRMMixin.predict_proba_twins", "empty", lambda f: f["twins"].predict_proba_twins(X0[:0]), OK, None),
    # -------------------------------------------------------------- nets
    ("MATNeuralNetClassifier.fit", "mat_shift-wrong-rows", lambda f: _sized_net().fit(X0, Y0, mat_shift=np.zeros((3, 2))), ValueError, r"mat_shift has 3 rows but the training set has 40"),
    ("MATNeuralNetClassifier.fit", "mat_shift-nan", lambda f: _sized_net().fit(X0, Y0, mat_shift=np.full((40, 2), np.nan)), ValueError, r"mat_shift must not contain NaN"),
    ("MATNeuralNetClassifier.fit", "mat_shift-strings", lambda f: _sized_net().fit(X0, Y0, mat_shift=np.full((40, 2), "a")), TypeError, r"mat_shift must be numeric"),
    ("MATNeuralNetClassifier.fit", "mat_shift-scalar", lambda f: _sized_net().fit(X0, Y0, mat_shift=1.0), ValueError, r"mat_shift must hold one row per example"),
    ("MATNeuralNetClassifier.fit", "mat_shift-ok", lambda f: _sized_net().fit(X0, Y0, mat_shift=np.zeros((40, 2))), OK, None),
    ("mlp_net", "hidden=int", lambda f: MLP.mlp_net(5), TypeError, r"hidden_layer_sizes must be a tuple"),
    ("mlp_net", "hidden=str", lambda f: MLP.mlp_net("ab"), TypeError, r"hidden_layer_sizes"),
    ("mlp_net", "hidden=negative", lambda f: MLP.mlp_net((-1,)), ValueError, r"hidden_layer_sizes"),
    ("mlp_net", "hidden=float", lambda f: MLP.mlp_net((8.5,)), TypeError, r"hidden_layer_sizes"),
    ("mlp_net", "hidden=empty", lambda f: MLP.mlp_net(()), OK, None),
    ("MLPModule", "n_features=0", lambda f: MLP.MLPModule(0, 2), ValueError, r"n_features == 0, must be >= 1"),
    ("MLPModule", "n_classes=None", lambda f: MLP.MLPModule(4, None), TypeError, r"n_classes must be an instance of int"),
    ("MLPModule", "hidden=zero", lambda f: MLP.MLPModule(4, 2, hidden_layer_sizes=(0,)), ValueError, r"hidden_layer_sizes"),
    # torch reads an int as an accelerator index where its build has one (the CUDA
    # build, PyPI's default on Linux) and rejects it in a CPU-only build.
    ("check_device", "int", lambda f: DEV.check_device(99), ValueError, r"device must be a torch device|device=99 was requested"),
    ("check_device", "unknown", lambda f: DEV.check_device("warp-drive"), ValueError, r"device must be a torch device"),
    ("check_device", "absent-cuda", lambda f: DEV.check_device("cuda:99"), ValueError, r"device='cuda:99' was requested"),
    ("check_device", "none", lambda f: DEV.check_device(None), OK, None),
    ("as_mat_net", "not-skorch", lambda f: F.as_mat_net(LogisticRegression()), TypeError, r"net must be a skorch"),
    ("output_kind", "mse-criterion", lambda f: O.output_kind(tiny_net(criterion=torch.nn.MSELoss)), TypeError, r"criterion of MATNeuralNetClassifier must be"),
    ("net_logits", "1d", lambda f: O.net_logits(f["net"], X0[:, 0]), ValueError, r"X \(a ndarray of shape \(40,\)\) cannot be fed to the network"),
    ("net_logits", "wrong-n-features", lambda f: O.net_logits(f["net"], X0[:, :3]), ValueError, r"X \(a ndarray of shape \(40, 3\)\) cannot be fed to the network"),
    ("net_logits", "nan", lambda f: O.net_logits(f["net"], _with(np.nan)), ValueError, r"output on X is NaN or infinite"),
    ("net_logits", "single-sample", lambda f: O.net_logits(f["net"], X0[:1]), OK, None),
    # ----------------------------------------------------------- metrics
    ("worst_group_accuracy", "empty", lambda f: M.worst_group_accuracy([], [], groups=[]), ValueError, r"y_true is empty"),
    ("worst_group_accuracy", "nan-y_true", lambda f: M.worst_group_accuracy([0, np.nan], [0, 1], groups=[0, 1]), ValueError, r"y_true must not contain NaN"),
    ("worst_group_accuracy", "nan-y_pred", lambda f: M.worst_group_accuracy([0, 1], [0, np.nan], groups=[0, 1]), ValueError, r"y_pred must not contain NaN"),
    ("worst_group_accuracy", "sparse-y_true", lambda f: M.worst_group_accuracy(sp.csr_matrix(Y4), Y4, groups=Y4), TypeError, r"y_true is a sparse matrix"),
    ("worst_group_accuracy", "2d-y_true", lambda f: M.worst_group_accuracy(np.c_[Y4, Y4], Y4, groups=Y4), ValueError, r"y_true must be a 1-D array"),
    ("worst_group_accuracy", "y_pred-wrong-length", lambda f: M.worst_group_accuracy(Y4, Y4[:3], groups=Y4), ValueError, r"y_pred has 3 entries but y_true has 4"),
    ("worst_group_accuracy", "groups-wrong-length", lambda f: M.worst_group_accuracy(Y4, Y4, groups=Y4[:3]), ValueError, r"groups has 3 entries but y_true has 4"),
    ("worst_group_accuracy", "groups-none", lambda f: M.worst_group_accuracy(Y4, Y4), TypeError, r"groups is required"),
    ("worst_group_accuracy", "groups-nan", lambda f: M.worst_group_accuracy(Y4, Y4, groups=[0, np.nan, 1, 1]), ValueError, r"groups must not contain NaN"),
    ("worst_group_accuracy", "groups-3d", lambda f: M.worst_group_accuracy(Y4, Y4, groups=np.zeros((4, 1, 1))), ValueError, r"groups must be 1-D, or 2-D"),
    ("worst_group_accuracy", "groups-scalar", lambda f: M.worst_group_accuracy(Y4, Y4, groups=1), ValueError, r"groups must be array-like"),
    ("worst_group_accuracy", "text-vs-numbers", lambda f: M.worst_group_accuracy(["a", "b"], [0, 1], groups=[0, 1]), ValueError, r"y_true .* and y_pred .* hold labels of different types"),
    ("worst_group_accuracy", "expected-group-missing", lambda f: M.worst_group_accuracy(Y4, Y4, groups=Y4, expected_groups=[0, 1, 2]), ValueError, r"group 2 of expected_groups has no examples"),
    ("worst_group_accuracy", "single-sample", lambda f: M.worst_group_accuracy([1], [1], groups=["a"]), OK, None),
    ("worst_group_accuracy", "one-class", lambda f: M.worst_group_accuracy([1, 1], [1, 0], groups=[0, 1]), OK, None),
    ("worst_group_accuracy", "float-labels", lambda f: M.worst_group_accuracy([0.5, 1.5], [0.5, 0.5], groups=[0, 0]), OK, None),
    ("worst_group_accuracy", "pandas", lambda f: M.worst_group_accuracy(pd.Series(Y4), pd.Series(Y4), groups=pd.DataFrame({'a': Y4, 'b': list('xyxy')})), OK, None),
    ("mean_group_accuracy", "empty", lambda f: M.mean_group_accuracy([], [], groups=[]), ValueError, r"y_true is empty"),
    ("mean_group_accuracy", "nan-y_true", lambda f: M.mean_group_accuracy([np.nan], [0], groups=[0]), ValueError, r"y_true must not contain NaN"),
    ("mean_group_accuracy", "groups-wrong-length", lambda f: M.mean_group_accuracy(Y4, Y4, groups=Y4[:3]), ValueError, r"groups has 3 entries"),
    ("group_accuracy_report", "empty", lambda f: M.group_accuracy_report([], [], groups=[]), ValueError, r"y_true is empty"),
    ("group_accuracy_report", "sparse-y_pred", lambda f: M.group_accuracy_report(Y4, sp.csr_matrix(Y4), groups=Y4), TypeError, r"y_pred is a sparse matrix"),
    ("group_accuracy_report", "expected_groups-empty", lambda f: M.group_accuracy_report(Y4, Y4, groups=Y4, expected_groups=[]), ValueError, r"expected_groups is empty"),
    ("group_accuracy_report", "expected_groups-twice", lambda f: M.group_accuracy_report(Y4, Y4, groups=Y4, expected_groups=[0, 1, 1]), ValueError, r"expected_groups lists group 1 twice"),
    ("infer_groups", "no-prediction", lambda f: M.infer_groups(Y4), ValueError, r"at least one held-out prediction"),
    ("infer_groups", "empty", lambda f: M.infer_groups([], np.empty((0, 2))), ValueError, r"y_true is empty"),
    ("infer_groups", "nan-proba", lambda f: M.infer_groups(Y4, np.full((4, 2), np.nan)), ValueError, r"predictions\[0\] must not contain NaN"),
    ("infer_groups", "inf-proba", lambda f: M.infer_groups(Y4, np.full((4, 2), np.inf)), ValueError, r"predictions\[0\] must not contain NaN or infinity"),
    ("infer_groups", "strings-proba", lambda f: M.infer_groups(Y4, np.full((4, 2), "a")), ValueError, r"predictions\[0\]"),
    ("infer_groups", "sparse-proba", lambda f: M.infer_groups(Y4, sp.csr_matrix(P2)), TypeError, r"predictions\[0\] is a sparse matrix"),
    ("infer_groups", "wrong-length", lambda f: M.infer_groups(Y4, Y4[:3]), ValueError, r"predictions\[0\] has shape \(3,\)"),
    ("infer_groups", "wrong-columns", lambda f: M.infer_groups(Y4, np.ones((4, 3))), ValueError, r"predictions\[0\] has 3 probability columns"),
    ("infer_groups", "nan-y_true", lambda f: M.infer_groups([0.0, np.nan], [0.0, 0.0]), ValueError, r"y_true must not contain NaN"),
    ("infer_groups", "unknown-label", lambda f: M.infer_groups(Y4, Y4 + 1, classes=[0, 1]), ValueError, r"predictions\[0\] contains label\(s\) \[2\]"),
    ("infer_groups", "classes-repeated", lambda f: M.infer_groups(Y4, Y4, classes=[0, 0, 1]), ValueError, r"classes has repeated labels"),
    ("infer_groups", "one-class", lambda f: M.infer_groups([1, 1], [1, 1]), OK, None),
    ("infer_groups", "prediction-outside-one-class", lambda f: M.infer_groups([1, 1], [1, 0]), ValueError, r"predictions\[0\] contains label\(s\) \[0\].*pass classes="),
    ("make_group_scorer", "metric=accuracy", lambda f: M.make_group_scorer("accuracy"), ValueError, r"metric must be one of"),
    ("make_group_scorer", "called-without-routing", lambda f: M.make_group_scorer()(LogisticRegression().fit(X0, Y0), X0, Y0), TypeError, r"groups is required.*metadata routing"),
    ("make_inferred_group_scorer", "metric=None", lambda f: M.make_inferred_group_scorer(None), ValueError, r"metric must be one of"),
    ("make_inferred_group_scorer", "estimator-without-infer_groups", lambda f: M.make_inferred_group_scorer()(LogisticRegression().fit(X0, Y0), X0, Y0), TypeError, r"infer_groups\(X, y\)"),
    # --------------------------------------------------------- callbacks
    ("GroupAccuracyCallback", "y-wrong-length", lambda f: GroupAccuracyCallback(X0, Y0[:-1], G0).initialize(), ValueError, r"y has 39 entries but X has 40 rows"),
    ("GroupAccuracyCallback", "groups-wrong-length", lambda f: GroupAccuracyCallback(X0, Y0, G0[:-1]).initialize(), ValueError, r"groups has 39 entries but X has 40"),
    ("GroupAccuracyCallback", "empty", lambda f: GroupAccuracyCallback(X0[:0], Y0[:0], []).initialize(), ValueError, r"y is empty"),
    ("GroupAccuracyCallback", "nan-X", lambda f: GroupAccuracyCallback(_with(np.nan), Y0, G0).initialize(), ValueError, r"Input X contains NaN"),
    ("GroupAccuracyCallback", "nan-image-X", lambda f: GroupAccuracyCallback(_image(np.nan), Y0, G0).initialize(), ValueError, r"Input X contains NaN"),
    ("GroupAccuracyCallback", "dict-unequal-X", lambda f: GroupAccuracyCallback({"a": X0, "b": X0[:-1]}, Y0, G0).initialize(), ValueError, r"different numbers of rows"),
    ("GroupAccuracyCallback", "dataset-X", lambda f: GroupAccuracyCallback(_TableDataset(X0), Y0, G0).initialize(), OK, None),
    ("GroupAccuracyCallback", "nan-groups", lambda f: GroupAccuracyCallback(X0, Y0, np.full(40, np.nan)).initialize(), ValueError, r"groups must not contain NaN"),
    ("GroupAccuracyCallback", "groups-none", lambda f: GroupAccuracyCallback(X0, Y0, None).initialize(), TypeError, r"groups is required"),
    ("GroupAccuracyCallback", "continuous-y", lambda f: GroupAccuracyCallback(X0, Y0 + 0.5, G0).initialize(), ValueError, r"y must hold class indices"),
    ("GroupAccuracyCallback", "2d-y", lambda f: GroupAccuracyCallback(X0, np.c_[Y0, Y0], G0).initialize(), ValueError, r"y must be a 1-D array"),
    ("GroupAccuracyCallback", "name-empty", lambda f: GroupAccuracyCallback(X0, Y0, G0, name="").initialize(), ValueError, r"name must be a non-empty string"),
    # ---------------------------------------------------------- datasets
    ("make_spurious_classification", "n_samples=0", lambda f: D.make_spurious_classification(0, 4), ValueError, r"'n_samples' parameter of make_spurious_classification must be an int in the range \[1, inf\)"),
    ("make_spurious_classification", "n_samples=1.5", lambda f: D.make_spurious_classification(1.5, 4), TypeError, r"'n_samples' parameter"),
    ("make_spurious_classification", "n_samples=nan", lambda f: D.make_spurious_classification(np.nan, 4), TypeError, r"'n_samples' parameter"),
    ("make_spurious_classification", "n_samples=str", lambda f: D.make_spurious_classification("10", 4), TypeError, r"'n_samples' parameter"),
    ("make_spurious_classification", "n_features=1", lambda f: D.make_spurious_classification(10, 1), ValueError, r"'n_features' parameter .* range \[2, inf\)"),
    ("make_spurious_classification", "n_classes=1", lambda f: D.make_spurious_classification(10, 4, n_classes=1), ValueError, r"'n_classes' parameter .* range \[2, inf\)"),
    ("make_spurious_classification", "majority_fraction=nan", lambda f: D.make_spurious_classification(10, 4, majority_fraction=np.nan), ValueError, r"'majority_fraction' parameter .* range \[0.0, 1.0\]"),
    ("make_spurious_classification", "noise_std=inf", lambda f: D.make_spurious_classification(10, 4, noise_std=np.inf), ValueError, r"'noise_std' parameter .* range \[0.0, inf\)"),
    ("make_spurious_classification", "core_std=-1", lambda f: D.make_spurious_classification(10, 4, core_std=-1), ValueError, r"'core_std' parameter"),
    ("make_spurious_classification", "spurious_scale=nan", lambda f: D.make_spurious_classification(10, 4, spurious_scale=np.nan), ValueError, r"'spurious_scale' parameter"),
    ("make_spurious_classification", "random_state=str", lambda f: D.make_spurious_classification(10, 4, random_state="seed"), ValueError, r"'random_state' parameter"),
    ("make_spurious_classification", "single-sample", lambda f: D.make_spurious_classification(1, 4, random_state=0), OK, None),
    ("make_spurious_classification", "noise_std=1e300", lambda f: D.make_spurious_classification(10, 4, noise_std=1e+300, random_state=0), OK, None),
    ("make_spurious_splits", "two-fractions", lambda f: D.make_spurious_splits(10, 4, majority_fraction=(0.9, 0.5)), ValueError, r"majority_fraction must be a sequence of three"),
    ("make_spurious_splits", "nan-fraction", lambda f: D.make_spurious_splits(10, 4, majority_fraction=(0.9, np.nan, 0.5)), ValueError, r"'majority_fraction' parameter"),
    ("make_spurious_splits", "random_state=str", lambda f: D.make_spurious_splits(10, 4, random_state="seed"), ValueError, r"random_state must be None, an int"),
    ("make_spurious_splits", "unknown-keyword", lambda f: D.make_spurious_splits(10, 4, colour=1), TypeError, r"colour"),
    ("make_colored_digits", "split=dev", lambda f: D.make_colored_digits("dev"), ValueError, r"split must be one of"),
    ("make_colored_digits", "n_classes=3", lambda f: D.make_colored_digits(n_classes=3), ValueError, r"n_classes must be 2 or 10"),
    ("make_colored_digits", "color_agreement=nan", lambda f: D.make_colored_digits(color_agreement=np.nan), ValueError, r"'color_agreement' parameter of make_colored_digits"),
    ("make_colored_digits", "color_agreement=pair", lambda f: D.make_colored_digits(color_agreement=(0.5, 0.5)), ValueError, r"color_agreement must be a fraction or a sequence"),
    ("make_colored_digits", "label_noise=2", lambda f: D.make_colored_digits(label_noise=2), ValueError, r"'label_noise' parameter .* range \[0.0, 1.0\]"),
    ("make_colored_digits", "random_state=-1", lambda f: D.make_colored_digits(random_state=-1), ValueError, r"random_state must be an integer in \[0, 2\*\*32\)"),
    ("make_colored_digits", "random_state=2.5", lambda f: D.make_colored_digits(random_state=2.5), TypeError, r"random_state must be None, an int"),
    ("make_colored_digits_splits", "n_classes=3", lambda f: D.make_colored_digits_splits(n_classes=3), ValueError, r"n_classes must be 2 or 10"),
    ("make_colored_digits_splits", "label_noise=nan", lambda f: D.make_colored_digits_splits(label_noise=np.nan), ValueError, r"'label_noise' parameter"),
    ("load_waterbirds", "root=None", lambda f: D.load_waterbirds(None), TypeError, r"root must be a path"),
    ("load_waterbirds", "root-missing", lambda f: D.load_waterbirds(f["root"] / "nope"), FileNotFoundError, r"root directory .*nope.* does not exist"),
    ("load_waterbirds", "metadata=int", lambda f: D.load_waterbirds(f["root"], metadata=3), TypeError, r"metadata must be a path"),
    ("load_waterbirds", "metadata-empty", lambda f: D.load_waterbirds(f["root"], metadata="empty.csv"), ValueError, r"metadata file .*empty.csv.* is empty"),
    ("load_waterbirds", "features-sparse", lambda f: D.load_waterbirds(f["root"], features=sp.csr_matrix(np.ones((6, 3)))), TypeError, r"features is a sparse matrix"),
    ("load_waterbirds", "features-strings", lambda f: D.load_waterbirds(f["root"], features=np.full((6, 3), "a")), ValueError, r"features must hold numbers"),
    ("load_waterbirds", "features-pandas-non-numeric", lambda f: D.load_waterbirds(f["root"], features=pd.DataFrame({"a": ["x"] * 6})), ValueError, r"features must hold numbers"),
    ("load_waterbirds", "features-1d", lambda f: D.load_waterbirds(f["root"], features=np.ones(6)), ValueError, r"features must be 2-D"),
    ("load_waterbirds", "features-wrong-rows", lambda f: D.load_waterbirds(f["root"], features=np.ones((5, 3))), ValueError, r"features has 5 rows but .* has 6 data rows"),
    ("load_waterbirds", "features-per-split-keys", lambda f: D.load_waterbirds(f["root"], features={"train": np.ones((2, 3))}), ValueError, r"features given per split must have exactly the keys"),
    ("load_waterbirds", "features-3d", lambda f: D.load_waterbirds(f["root"], features=np.ones((6, 2, 2))), OK, None),
    ("load_waterbirds", "features-nan-kept", lambda f: D.load_waterbirds(f["root"], features=np.full((6, 3), np.nan)), OK, None),
    ("load_celeba", "root-missing", lambda f: D.load_celeba(f["root"] / "nope"), FileNotFoundError, r"does not exist"),
    ("load_multinli", "root=int", lambda f: D.load_multinli(3), TypeError, r"root must be a path"),
    ("load_civilcomments", "toxicity-nan", lambda f: D.load_civilcomments(f['root'], metadata='civil.csv', features=np.ones((2, 3))), ValueError, r"column 'toxicity' .* must hold a number in every row; got 'nan'"),
]
# fmt: on


@pytest.fixture(scope="module")
def function_fixtures(tmp_path_factory):
    return {
        "twins": _twins(),
        "net": _fitted_net(),
        "root": _loader_root(tmp_path_factory.mktemp("loaders")),
    }


# The value of each accepted case whose result is a number (worked by hand).
FLOAT_RESULTS = {
    ("worst_group_accuracy", "single-sample"): 1.0,
    ("worst_group_accuracy", "one-class"): 0.0,  # group 1's only row is wrong
    ("worst_group_accuracy", "float-labels"): 0.5,
    ("worst_group_accuracy", "pandas"): 1.0,  # y_pred is y_true
}


def _validate_function_result(entry_point, case, result):
    """What an accepted bad input must still give: no NaN where it matters."""
    arrays = []
    if isinstance(result, tuple):
        arrays = [np.asarray(a) for a in result if isinstance(a, np.ndarray)]
    elif isinstance(result, np.ndarray):
        arrays = [result]
    elif isinstance(result, float):
        assert result == FLOAT_RESULTS[entry_point, case]
    for array in arrays:
        if array.dtype.kind == "f" and entry_point not in ("load_waterbirds",):
            assert np.all(np.isfinite(array)), f"{entry_point} returned NaN"
    if entry_point in ("sharpen", "check_holdout_proba", "fit_xrm") and result.size:
        np.testing.assert_allclose(result.sum(axis=1), 1.0)
    if entry_point == "transition_matrix":
        np.testing.assert_allclose(result.sum(axis=1), 1.0)
    if entry_point == "logit_shift":
        np.testing.assert_allclose(np.exp(result).sum(axis=1), 1.0)


@pytest.mark.parametrize(
    "entry_point, case, call, expected, match",
    FUNCTION_CASES,
    ids=[f"{c[0]}-{c[1]}" for c in FUNCTION_CASES],
)
def test_function_bad_input(
    function_fixtures, entry_point, case, call, expected, match
):
    def validate(result):
        _validate_function_result(entry_point, case, result)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        result = check_outcome(
            lambda: call(function_fixtures), expected, match, validate
        )
    if entry_point == "load_waterbirds" and expected is OK:
        X_train, y_train, groups_train = result.train
        assert X_train.ndim == 2 and len(X_train) == len(y_train) == len(groups_train)
