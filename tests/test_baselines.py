"""Tests of skmat.baselines' shared API: every baseline and rival of Table 1.

The rivals' update rules against hand-computed cases are in test_rivals.py."""

import pickle

import numpy as np
import pytest
import sklearn
import torch
from _sklearn_checks import (
    SUBSET_INVARIANCE,
    WEIGHTS_DFR,
    WEIGHTS_FLOAT32,
    WEIGHTS_LFF,
    WEIGHTS_XRM,
    parametrize_checks,
    sample_weight_failures,
)
from _threads import torch_threads
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score
from sklearn.model_selection import (
    GridSearchCV,
    GroupKFold,
    KFold,
    PredefinedSplit,
    cross_validate,
)
from sklearn.neighbors import KNeighborsClassifier
from sklearn.utils._param_validation import InvalidParameterError
from skorch import NeuralNetBinaryClassifier, NeuralNetClassifier
from skorch.dataset import ValidSplit
from torch.nn import functional as F

from skmat import MATClassifier
from skmat.baselines import (
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
from skmat.datasets import make_spurious_classification, make_spurious_splits
from skmat.factory import make_net
from skmat.losses import GROUP_PARAM, WEIGHT_PARAM, GroupDROLossMixin, WeightedLossMixin
from skmat.metrics import worst_group_accuracy
from skmat.mlp import mlp_net
from skmat.nets import RowBatch

RIVALS = [
    LfFClassifier,
    LogitCorrectionClassifier,
    DFRClassifier,
    AFRClassifier,
    XRMGroupDROClassifier,
]
ALL = [
    ERMClassifier,
    GroupReweightingClassifier,
    GroupDROClassifier,
    JTTClassifier,
    LogitAdjustedClassifier,
    *RIVALS,
]
GROUP_FREE = [
    ERMClassifier,
    JTTClassifier,
    LogitAdjustedClassifier,
    LfFClassifier,
    LogitCorrectionClassifier,
    AFRClassifier,
    XRMGroupDROClassifier,
]
NEEDS_GROUPS = [GroupReweightingClassifier, GroupDROClassifier]
# Small settings of the rivals' own stages, for speed.
QUICK = {
    LogitCorrectionClassifier: {"bias_epochs": 2},
    DFRClassifier: {"n_refits": 3},
    AFRClassifier: {"last_layer_epochs": 30},
}


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread():
    # For speed only: these nets are tiny, and torch's intra-op threads would
    # only contend with each other. Restored for the other modules.
    with torch_threads(1):
        yield


def _net(**params):
    return mlp_net((16,), **{"max_epochs": 8, **params})


def _make(cls, **params):
    return cls(_net(), random_state=0, **{**QUICK.get(cls, {}), **params})


# --------------------------------------------------------------------- API
@pytest.mark.parametrize("cls", ALL)
def test_fit_predict_api(cls, data):
    X, y, groups = data
    labels = np.array(["no", "yes"])[y]
    clf = _make(cls).fit(X, labels, groups=groups)
    assert clf.n_features_in_ == X.shape[1]
    np.testing.assert_array_equal(clf.classes_, ["no", "yes"])
    assert clf.predict(X).shape == (len(X),)
    assert set(clf.predict(X)) <= {"no", "yes"}
    proba = clf.predict_proba(X)
    assert proba.shape == (len(X), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    # predict_proba is the net's own (float32, its softmax); the log comes from
    # the logits in float64: equal up to float32 rounding (measured 1.2e-7).
    np.testing.assert_allclose(np.exp(clf.predict_log_proba(X)), proba, rtol=1e-6)
    scores = clf.decision_function(X)
    assert scores.shape == (len(X),)
    np.testing.assert_array_equal(
        clf.classes_[(scores > 0).astype(int)], clf.predict(X)
    )
    assert clf.score(X, labels) == accuracy_score(labels, clf.predict(X))
    assert clf.estimator_.initialized_


@pytest.mark.parametrize("cls", ALL)
def test_multiclass(cls):
    X, y, groups = make_spurious_classification(240, 12, n_classes=3, random_state=0)
    clf = _make(cls).fit(X, y + 10, groups=groups)
    np.testing.assert_array_equal(clf.classes_, [10, 11, 12])
    assert clf.decision_function(X).shape == (len(X), 3)
    assert clf.predict_proba(X).shape == (len(X), 3)
    np.testing.assert_array_equal(
        clf.predict(X), clf.classes_[clf.predict_proba(X).argmax(axis=1)]
    )


@pytest.mark.parametrize("cls", ALL)
def test_clone_and_unfitted(cls, data):
    X, y, groups = data
    clf = _make(cls)
    with pytest.raises(NotFittedError):
        clf.predict(X)
    clf.fit(X, y, groups=groups)
    copy = clone(clf)
    assert not hasattr(copy, "estimator_")
    assert set(copy.get_params()) == set(clf.get_params())
    assert copy.get_params(deep=False)["random_state"] == 0


@pytest.mark.parametrize("cls", ALL)
def test_reproducible_with_random_state(cls, data):
    X, y, groups = data
    first = _make(cls).fit(X, y, groups=groups).predict_proba(X)
    again = _make(cls).fit(X, y, groups=groups).predict_proba(X)
    np.testing.assert_array_equal(first, again)
    other = cls(_net(), random_state=1).fit(X, y, groups=groups).predict_proba(X)
    assert not np.allclose(first, other)


@pytest.mark.parametrize("cls", ALL)
def test_pickle_round_trip(cls, data):
    X, y, groups = data
    clf = _make(cls).fit(X, y, groups=groups)
    loaded = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))


# ------------------------------------------------------------------ groups
@pytest.mark.parametrize("cls", NEEDS_GROUPS)
def test_groups_required(cls, data):
    X, y, groups = data
    with pytest.raises(ValueError, match="groups"):
        _make(cls).fit(X, y)
    with pytest.raises(ValueError, match="groups"):
        _make(cls).fit(X, y, groups=groups[:-1])
    with pytest.raises(ValueError, match="groups must not contain NaN"):
        _make(cls).fit(X, y, groups=np.where(groups == 0, np.nan, groups))


@pytest.mark.parametrize("cls", NEEDS_GROUPS)
def test_groups_encoded_as_the_metrics_encode_them(cls, data):
    # One group encoding for the package (skmat._encoding.encode_groups): a
    # column vector is the 1-D groups; the rows of a 2-D array are tuple groups.
    X, y, groups = data
    column = _make(cls).fit(X, y, groups=groups.reshape(-1, 1))
    np.testing.assert_array_equal(column.groups_, np.unique(groups))
    pairs = np.column_stack([y, groups % 2])
    two_d = _make(cls).fit(X, y, groups=pairs)
    assert list(two_d.groups_) == sorted({(int(a), int(b)) for a, b in pairs})


@pytest.mark.parametrize("cls", NEEDS_GROUPS)
def test_failed_fit_keeps_previous_state(cls, data):
    X, y, groups = data
    clf = _make(cls).fit(X, y, groups=groups)
    before = clf.predict_proba(X)
    with pytest.raises(ValueError, match="groups"):
        clf.fit(X[:, :5], y)  # new width, no groups: fails after validate_data
    assert clf.n_features_in_ == X.shape[1]
    np.testing.assert_array_equal(clf.predict_proba(X), before)
    unfitted = _make(cls)
    with pytest.raises(ValueError, match="groups"):
        unfitted.fit(X, y)
    assert not hasattr(unfitted, "n_features_in_")


@pytest.mark.parametrize("cls", NEEDS_GROUPS)
def test_string_group_labels(cls, data):
    X, y, groups = data
    names = np.array(["a", "b", "c", "d"])[groups]
    clf = _make(cls).fit(X, y, groups=names)
    np.testing.assert_array_equal(clf.groups_, ["a", "b", "c", "d"])
    assert clf.group_weights_.shape == (4,)


@pytest.mark.parametrize("cls", GROUP_FREE)
def test_group_free_methods_ignore_groups(cls, data):
    X, y, groups = data
    with_groups = _make(cls).fit(X, y, groups=groups).predict_proba(X)
    without = _make(cls).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(with_groups, without)


# ---------------------------------------------------- reductions to ERM
@pytest.mark.parametrize(
    "cls, params",
    [
        (LogitAdjustedClassifier, {"tau": 0.0}),
        (JTTClassifier, {"upweight": 1.0}),
        (GroupReweightingClassifier, {}),
        (GroupDROClassifier, {"eta": 0.5}),
    ],
    ids=["logit_adjusted_tau0", "jtt_upweight1", "reweighting", "group_dro"],
)
def test_reduces_to_erm(cls, params, data):
    # tau=0, upweight=1 or a single group: the same loss as ERM, and the same seed,
    # so the very same network.
    X, y, _ = data
    one_group = np.zeros(len(y), dtype=int)
    erm = _make(ERMClassifier).fit(X, y)
    clf = _make(cls, **params).fit(X, y, groups=one_group)
    np.testing.assert_array_equal(clf.predict(X), erm.predict(X))
    np.testing.assert_allclose(clf.predict_proba(X), erm.predict_proba(X), atol=1e-6)


def test_logit_adjusted_is_mat_with_uninformative_holdout(data):
    # An uninformative held-out model makes MAT's shift the log class prior.
    X, y, _ = data
    la = _make(LogitAdjustedClassifier, tau=1.0).fit(X, y)
    uniform = np.full((len(y), 2), 0.5)
    mat = MATClassifier(_net(), random_state=0).fit(X, y, holdout_proba=uniform)
    np.testing.assert_allclose(mat.shift_[0], la.logit_adjustment_)
    np.testing.assert_allclose(la.predict_proba(X), mat.predict_proba(X), atol=1e-6)


def test_logit_adjustment_attributes():
    X = np.arange(8.0).reshape(-1, 1)
    y = np.array([0, 0, 0, 0, 0, 0, 1, 1])
    clf = _make(LogitAdjustedClassifier, tau=2.0).fit(X, y)
    np.testing.assert_allclose(clf.class_prior_, [0.75, 0.25])
    np.testing.assert_allclose(clf.logit_adjustment_, 2.0 * np.log([0.75, 0.25]))


def test_logit_adjustment_favours_the_rare_class():
    # The adjusted loss asks more margin of the rare class: on overlapping
    # classes the boundary moves towards the frequent one.
    rng = np.random.RandomState(0)
    y = (rng.uniform(size=600) < 0.1).astype(int)
    X = (rng.randn(600) + 1.0 * y).reshape(-1, 1)
    net = mlp_net((), max_epochs=40, lr=3e-2)
    erm = ERMClassifier(net, random_state=0).fit(X, y)
    la = LogitAdjustedClassifier(net, tau=1.0, random_state=0).fit(X, y)
    assert la.predict(X).mean() > erm.predict(X).mean() + 0.05


# -------------------------------------------------------------------- JTT
def test_jtt_error_set_is_upweighted(data):
    X, y, groups = data
    clf = _make(JTTClassifier, first_epochs=2, upweight=7.0).fit(X, y)
    ident = clf.identification_estimator_
    assert ident.max_epochs == 2 and len(ident.history) == 2
    errors = ident.predict(X.astype(np.float32)) != y
    np.testing.assert_array_equal(clf.error_set_, errors)
    assert clf.error_set_.dtype == bool and 0 < clf.error_set_.sum() < len(y)
    # The final net is the one trained on the error set with weight 7 and the rest
    # with weight 1 (same seed as MATClassifier's final net for random_state=0).
    final_seed = int(
        np.random.RandomState(0).randint(np.iinfo(np.int32).max, size=2)[1]
    )
    net = make_net(_net(), X=X, n_classes=2, seed=final_seed, mixin=WeightedLossMixin)
    net.fit(X, y, **{WEIGHT_PARAM: np.where(errors, 7.0, 1.0)})
    X32 = X.astype(np.float32)
    np.testing.assert_array_equal(
        net.predict_proba(X32), clf.estimator_.predict_proba(X32)
    )
    erm = _make(ERMClassifier).fit(X, y)
    assert not np.allclose(erm.predict_proba(X), clf.predict_proba(X))


def test_jtt_error_set_targets_the_minority():
    X, y, groups = make_spurious_splits(1000, 100, random_state=0).train
    clf = JTTClassifier(mlp_net((32,)), random_state=0).fit(X, y)
    minority = (groups == 1) | (groups == 2)
    assert minority[clf.error_set_].mean() > 0.9  # the error set is the minority
    assert clf.error_set_[minority].mean() > 0.9  # and finds almost all of it


def test_jtt_with_sklearn_identification_model(data):
    X, y, _ = data
    clf = _make(JTTClassifier, identification_estimator=LogisticRegression())
    clf.fit(X, y)
    assert isinstance(clf.identification_estimator_, LogisticRegression)
    np.testing.assert_array_equal(
        clf.error_set_, clf.identification_estimator_.predict(X) != y
    )


def test_jtt_first_epochs_none_keeps_net_epochs(data):
    X, y, _ = data
    clf = _make(JTTClassifier, first_epochs=None).fit(X, y)
    assert len(clf.identification_estimator_.history) == 8


# --------------------------------------------------------------- GroupDRO
def _frozen_net(mixin, n_rows, valid_rows=0, **params):
    """A linear net that does not learn (lr=0): every loss it records is that of
    its initial weights, which its forward gives after fit. One full batch of
    the first ``n_rows - valid_rows`` rows; the others validate."""
    split = np.r_[np.full(n_rows - valid_rows, -1), np.zeros(valid_rows)]
    train_split = ValidSplit(PredefinedSplit(split)) if valid_rows else None
    net = mlp_net(
        (),
        optimizer=torch.optim.SGD,
        lr=0.0,
        batch_size=-1,
        max_epochs=1,
        train_split=train_split,
    )
    return make_net(
        net, X=np.zeros((n_rows, 3)), n_classes=2, seed=0, mixin=mixin, **params
    )


def test_group_dro_loss_is_algorithm_1():
    # One training batch: per-group mean losses, exponentiated-gradient update
    # of q (uniform at first), robust loss q @ group_loss with the updated q;
    # the validation rows use q but do not move it.
    X = np.random.RandomState(0).randn(6, 3).astype(np.float32)
    y = np.array([0, 0, 1, 0, 1, 0])
    groups = np.array([0, 0, 1, 1, 2, 1])
    net = _frozen_net(GroupDROLossMixin, 6, valid_rows=2, group_dro_eta=0.5, n_groups=3)
    net.fit(X, y, **{GROUP_PARAM: groups})
    losses = F.cross_entropy(net.forward(X), torch.as_tensor(y), reduction="none")

    def group_loss(rows):
        return torch.stack(
            [
                losses[rows][groups[rows] == g].sum()
                / max((groups[rows] == g).sum(), 1)
                for g in range(3)
            ]
        )

    train, valid = np.arange(4), np.arange(4, 6)
    q = torch.full((3,), 1 / 3) * torch.exp(0.5 * group_loss(train))  # group 2: 0
    q /= q.sum()
    torch.testing.assert_close(net.group_weights_, q)
    assert net.history[-1, "train_loss"] == pytest.approx(float(q @ group_loss(train)))
    assert net.history[-1, "valid_loss"] == pytest.approx(float(q @ group_loss(valid)))
    assert net.criterion_.reduction == "mean"  # restored after the per-row call


def test_weighted_loss_and_steps_strip_row_data():
    X = np.random.RandomState(0).randn(3, 3).astype(np.float32)
    y = np.array([0, 0, 1])
    w = np.array([1.0, 5.0, 2.0])
    net = _frozen_net(WeightedLossMixin, 3).fit(X, y, **{WEIGHT_PARAM: w})
    losses = F.cross_entropy(net.forward(X), torch.as_tensor(y), reduction="none")
    expected = float((torch.as_tensor(w, dtype=torch.float32) * losses).sum() / 8.0)
    assert net.history[-1, "train_loss"] == pytest.approx(expected)
    # Without row data: the plain loss.
    net.partial_fit(X, y)
    assert net.history[-1, "train_loss"] == pytest.approx(float(losses.mean()))
    # The module never sees the row data.
    x, y_true = torch.as_tensor(X), torch.as_tensor(y)
    row_data = {
        WEIGHT_PARAM: torch.as_tensor(w),
        GROUP_PARAM: torch.zeros(3, dtype=int),
    }
    torch.testing.assert_close(
        net.evaluation_step((RowBatch(x, row_data), y_true)),
        net.evaluation_step((x, y_true)),
    )


def test_group_dro_weights(data):
    X, y, groups = data
    clf = _make(GroupDROClassifier, eta=1.0).fit(X, y, groups=groups)
    q = clf.group_weights_
    assert q.shape == (4,)
    np.testing.assert_allclose(q.sum(), 1.0, rtol=1e-5)
    assert not np.allclose(q, 0.25)
    # eta = 0: q stays uniform (the mean of the group losses).
    flat = _make(GroupDROClassifier, eta=0.0).fit(X, y, groups=groups)
    np.testing.assert_allclose(flat.group_weights_, 0.25)


def test_group_reweighting_weights(data):
    X, y, groups = data
    clf = _make(GroupReweightingClassifier).fit(X, y, groups=groups)
    counts = np.bincount(groups)
    np.testing.assert_array_equal(clf.group_counts_, counts)
    np.testing.assert_allclose(clf.group_weights_, len(y) / (4 * counts))
    # Every group carries the same total weight.
    np.testing.assert_allclose(clf.group_weights_ * counts, len(y) / 4)


# ------------------------------------------------- worst-group accuracy
def test_group_methods_improve_worst_group_accuracy():
    # The paper's Figure 1 problem, scaled down: ERM fits the shortcut and
    # memorizes the minority; the group-aware methods (true groups) and JTT do not.
    data = make_spurious_splits(1000, 100, random_state=0)
    X, y, groups = data.train
    X_test, y_test, groups_test = data.test
    net = mlp_net((32,), max_epochs=30)
    wga = {}
    for cls in ALL:
        clf = cls(net, random_state=0).fit(X, y, groups=groups)
        wga[cls.__name__] = worst_group_accuracy(
            y_test, clf.predict(X_test), groups=groups_test
        )
    # Measured: ERM 0.25, LogitAdjusted 0.25, GroupReweighting 0.78,
    # GroupDRO 0.77, JTT 0.87.
    assert wga["ERMClassifier"] < 0.5
    for name in ["GroupReweightingClassifier", "GroupDROClassifier", "JTTClassifier"]:
        assert wga[name] > wga["ERMClassifier"] + 0.3, wga


# --------------------------------------------------------- other networks
def _softmax_module():
    return torch.nn.Sequential(torch.nn.Linear(20, 2), torch.nn.Softmax(dim=-1))


class _UserNet(NeuralNetClassifier):
    """A user's own subclass: its class must survive reweighting and pickling,
    and its override run (it records the epoch count in the history)."""

    def on_epoch_end(self, net, **kwargs):
        super().on_epoch_end(net, **kwargs)
        self.history.record("user_epoch", len(self.history))


@pytest.mark.parametrize(
    "net",
    [
        mlp_net((8,), max_epochs=3, train_split=ValidSplit(4)),
        NeuralNetClassifier(_softmax_module, max_epochs=3, train_split=None),
        NeuralNetBinaryClassifier(
            torch.nn.Linear,
            module__in_features=20,
            module__out_features=1,
            max_epochs=3,
            train_split=None,
        ),
        _UserNet(_softmax_module, max_epochs=3, train_split=ValidSplit(4)),
    ],
    ids=["valid_split", "nll_loss", "binary", "user_subclass"],
)
@pytest.mark.parametrize("cls", ALL)
def test_other_networks(cls, net, data):
    X, y, groups = data
    clf = cls(net, random_state=0).fit(X, y, groups=groups)
    assert isinstance(clf.estimator_, type(net))
    history = clf.estimator_.history
    assert len(history) == 3 and np.isfinite(history[-1, "train_loss"])
    if net.train_split is not None:
        assert np.isfinite(history[-1, "valid_loss"])
    if isinstance(net, _UserNet):
        assert history[:, "user_epoch"] == [1, 2, 3]
    loaded = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))


def test_row_weights_stay_with_their_rows_through_the_validation_split(data):
    # skorch's ValidSplit takes a Subset of the training set: each validation
    # row keeps its own weight, so valid_loss is the weighted loss of those rows.
    X, y, groups = data
    net = make_net(
        _net(train_split=ValidSplit(4), max_epochs=1),
        X=X,
        n_classes=2,
        seed=0,
        mixin=WeightedLossMixin,
    )
    weight = np.where(groups == 1, 50.0, 1.0)
    net.fit(X, y, **{WEIGHT_PARAM: weight})
    _, valid = next(iter(KFold(4).split(X, y)))
    logits = torch.as_tensor(net.forward(X[valid].astype(np.float32)))
    losses = F.cross_entropy(logits, torch.as_tensor(y[valid]), reduction="none")
    w = torch.as_tensor(weight[valid], dtype=torch.float32)
    expected = float((w * losses).sum() / w.sum())
    assert net.history[-1, "valid_loss"] == pytest.approx(expected, rel=1e-5)


# --------------------------------------------------------------- bad input
@pytest.mark.parametrize("cls", ALL)
def test_bad_estimator_and_device(cls, data):
    X, y, groups = data
    with pytest.raises(TypeError, match="skorch"):
        cls(LogisticRegression()).fit(X, y, groups=groups)
    net = NeuralNetClassifier(_softmax_module, criterion=torch.nn.MSELoss)
    with pytest.raises(TypeError, match="criterion"):
        cls(net).fit(X, y, groups=groups)
    with pytest.raises(ValueError, match="device"):
        cls(_net(), device="no-such-device").fit(X, y, groups=groups)
    binary = NeuralNetBinaryClassifier(torch.nn.Linear, module__in_features=20)
    y3 = np.arange(len(y)) % 3
    with pytest.raises(ValueError, match="2 classes"):
        cls(binary).fit(X, y3, groups=groups)
    with pytest.raises(ValueError, match="2 classes"):
        cls(_net()).fit(X, np.zeros(len(y)), groups=groups)


@pytest.mark.parametrize(
    "cls, params",
    [
        (GroupDROClassifier, {"eta": -0.1}),
        (JTTClassifier, {"upweight": 0.5}),
        (JTTClassifier, {"first_epochs": 0}),
        (JTTClassifier, {"identification_estimator": "lr"}),
        (LogitAdjustedClassifier, {"tau": -1.0}),
        (ERMClassifier, {"random_state": "seed"}),
        (LfFClassifier, {"q": 0.0}),
        (LfFClassifier, {"ema_alpha": 1.0}),
        (LfFClassifier, {"vmap": "always"}),
        (LogitCorrectionClassifier, {"prior": "marginal"}),
        (LogitCorrectionClassifier, {"temperature": 0.0}),
        (LogitCorrectionClassifier, {"bias": "cv"}),
        (LogitCorrectionClassifier, {"gce_q": 1.5}),
        (AFRClassifier, {"gamma": -1.0}),
        (AFRClassifier, {"last_layer_epochs": 0}),
        (AFRClassifier, {"last_layer": 3}),
        (DFRClassifier, {"holdout_fraction": 1.0}),
        (DFRClassifier, {"n_refits": 0}),
        (XRMGroupDROClassifier, {"flip_mode": "sometimes"}),
    ],
)
def test_invalid_parameters(cls, params, data):
    X, y, groups = data
    with pytest.raises(InvalidParameterError):
        cls(**params).fit(X, y, groups=groups)


# ----------------------------------------------------------------- routing
@pytest.mark.parametrize("cls", NEEDS_GROUPS)
def test_groups_routed_by_grid_search(cls, data):
    X, y, groups = data
    grid = {"random_state": [0, 1]}
    with sklearn.config_context(enable_metadata_routing=True):
        clf = cls(_net(max_epochs=2)).set_fit_request(groups=True)
        search = GridSearchCV(clf, grid, cv=2).fit(X, y, groups=groups)
        np.testing.assert_array_equal(search.best_estimator_.groups_, [0, 1, 2, 3])
        fold_models = cross_validate(
            clf, X, y, params={"groups": groups}, cv=2, return_estimator=True
        )["estimator"]
        assert all(len(m.groups_) == 4 for m in fold_models)
        # Not requested: sklearn refuses rather than dropping the groups.
        with pytest.raises(ValueError, match="set_fit_request"):
            GridSearchCV(cls(_net(max_epochs=2)), grid, cv=2).fit(X, y, groups=groups)


@pytest.mark.parametrize("cls", GROUP_FREE)
def test_group_free_methods_do_not_request_groups(cls, data):
    # groups go to the splitter only; the estimator needs no set_fit_request.
    X, y, _ = data
    splitter_groups = np.arange(len(y)) % 5
    with sklearn.config_context(enable_metadata_routing=True):
        assert cls().get_metadata_routing().consumes("fit", ["groups"]) == set()
        search = GridSearchCV(
            cls(_net(max_epochs=2)), {"random_state": [0, 1]}, cv=GroupKFold(2)
        )
        search.fit(X, y, groups=splitter_groups)
        assert hasattr(search, "best_estimator_")


# ------------------------------------------------------------ sklearn checks
def _checked_net():
    # Small and quick, but trained enough for sklearn's accuracy checks.
    return mlp_net((16,), max_epochs=20, lr=1e-2)


@parametrize_checks(
    {
        "ERM": ERMClassifier(_checked_net()),
        "LogitAdjusted": LogitAdjustedClassifier(_checked_net()),
        "LfF": LfFClassifier(_checked_net()),
        "LC": LogitCorrectionClassifier(_checked_net()),
        "uLA": LogitCorrectionClassifier(_checked_net(), prior="conditional"),
        # half the rows refit the last layer: the checks' data sets are small
        "DFR": DFRClassifier(_checked_net(), n_refits=3, holdout_fraction=0.5),
        "AFR": AFRClassifier(_checked_net(), last_layer_epochs=50),
        "XRM-GroupDRO": XRMGroupDROClassifier(_checked_net()),
    },
    # Measured: ERM's net predicts the check's subsets exactly, the others not;
    # weights equal repeated rows up to float32 rounding, or not where the
    # method draws by rows.
    {
        "ERM": sample_weight_failures(WEIGHTS_FLOAT32),
        **{
            name: {
                "check_methods_subset_invariance": SUBSET_INVARIANCE,
                **sample_weight_failures(reason),
            }
            for name, reason in [
                ("LogitAdjusted", WEIGHTS_FLOAT32),
                ("LfF", WEIGHTS_LFF),
                ("LC", WEIGHTS_FLOAT32),
                ("DFR", WEIGHTS_DFR),
                ("AFR", WEIGHTS_FLOAT32),
                ("XRM-GroupDRO", WEIGHTS_XRM),
            ]
        },
        "uLA": sample_weight_failures(WEIGHTS_FLOAT32),
    },
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


# ---------------------------------------------- conventions every estimator keeps
WITH_MAT = [*ALL, MATClassifier]


def _any(cls, **params):
    """``cls`` at small settings (MATClassifier: two folds of copies of the net)."""
    if cls is MATClassifier:
        return MATClassifier(_net(), cv=2, random_state=0, **params)
    return _make(cls, **params)


@pytest.mark.parametrize("cls", WITH_MAT)
def test_fit_parameters_after_y_are_keyword_only(cls, data):
    X, y, groups = data
    # fit(X, y, w) must not read w as groups, holdout_proba or anything else.
    with pytest.raises(TypeError, match="positional"):
        _any(cls).fit(X, y, np.ones(len(y)))


@pytest.mark.parametrize("cls", WITH_MAT)
def test_sample_weight_weighs_every_estimator(cls, data):
    X, y, groups = data
    fit = {} if cls is MATClassifier else {"groups": groups}
    plain = _any(cls).fit(X, y, **fit).predict_proba(X)
    ones = _any(cls).fit(X, y, sample_weight=np.ones(len(y)), **fit)
    # Weights of 1 are the plain loss (up to float32 rounding of the mean).
    np.testing.assert_allclose(ones.predict_proba(X), plain, atol=1e-4)
    half = np.where(np.arange(len(y)) % 2 == 0, 1.0, 0.0)
    weighted = _any(cls).fit(X, y, sample_weight=half, **fit).predict_proba(X)
    assert not np.allclose(weighted, plain, atol=1e-3)


@pytest.mark.parametrize("cls", WITH_MAT)
@pytest.mark.parametrize(
    "weight, match",
    [
        (-np.ones(300), "Negative values in data passed to `sample_weight`"),
        (np.ones(299), r"sample_weight.shape == \(299,\), expected \(300,\)"),
        (np.zeros(300), "ample weights must|no weight to class"),
    ],
    ids=["negative", "short", "zeros"],
)
def test_bad_sample_weight_is_named(cls, weight, match, data):
    X, y, groups = data
    clf = _any(cls)
    with pytest.raises(ValueError, match=match):
        clf.fit(X, y, sample_weight=weight)
    assert not hasattr(clf, "estimator_")


def test_integer_weights_are_repeated_rows():
    # One full batch of plain SGD: weighing a row by 2 is training on it twice.
    X, y, _ = make_spurious_classification(60, 5, random_state=0)
    weight = np.where(np.arange(60) < 20, 2.0, 1.0)
    repeated = np.r_[np.arange(20), np.arange(60)]
    net = mlp_net((), optimizer=torch.optim.SGD, lr=0.1, batch_size=-1, max_epochs=5)
    for cls, params in [(ERMClassifier, {}), (LogitAdjustedClassifier, {})]:
        weighted = cls(net, random_state=0, **params).fit(X, y, sample_weight=weight)
        twice = cls(net, random_state=0, **params).fit(X[repeated], y[repeated])
        np.testing.assert_allclose(
            weighted.predict_proba(X), twice.predict_proba(X), atol=1e-5
        )
    proba = np.random.RandomState(0).dirichlet([1.0, 1.0], size=60)
    mat = MATClassifier(net, random_state=0)
    mat.fit(X, y, holdout_proba=proba, sample_weight=weight)
    twice = MATClassifier(net, random_state=0)
    twice.fit(X[repeated], y[repeated], holdout_proba=proba[repeated])
    np.testing.assert_allclose(mat.joint_, twice.joint_, rtol=1e-12)
    np.testing.assert_allclose(mat.predict_proba(X), twice.predict_proba(X), atol=1e-5)


def test_sample_weight_reaches_a_sklearn_model_inside(data):
    X, y, _ = data
    weight = np.linspace(0.5, 2.0, len(y))
    jtt = _make(JTTClassifier, identification_estimator=LogisticRegression())
    jtt.fit(X, y, sample_weight=weight)
    expected = LogisticRegression(
        random_state=jtt.identification_estimator_.random_state
    )
    expected.fit(X, y, sample_weight=weight)
    np.testing.assert_allclose(
        jtt.identification_estimator_.coef_, expected.coef_, rtol=1e-6
    )
    # A model that takes no weights is named, not silently fitted unweighted.
    for clf, name in [
        (
            _make(JTTClassifier, identification_estimator=KNeighborsClassifier()),
            "identification_estimator",
        ),
        (
            MATClassifier(_net(), holdout_estimator=KNeighborsClassifier(), cv=2),
            "holdout_estimator",
        ),
    ]:
        with pytest.raises(TypeError, match=f"sample_weight.*{name}"):
            clf.fit(X, y, sample_weight=weight)


@pytest.mark.parametrize("cls", WITH_MAT)
def test_warm_start_net_is_refused_by_name(cls, data):
    X, y, groups = data
    clf = _any(cls).set_params(estimator=_net(warm_start=True))
    with pytest.raises(ValueError, match="estimator has warm_start=True"):
        clf.fit(X, y)
    assert not hasattr(clf, "estimator_")


@pytest.mark.parametrize("cls", [ERMClassifier, JTTClassifier, MATClassifier])
def test_n_features_in_is_set_for_tables_only(cls, data):
    X, y, _ = data
    clf = _any(cls).fit(X, y)
    assert clf.n_features_in_ == X.shape[1]
    images = X[:, :16].reshape(-1, 1, 4, 4)
    clf.fit(images, y)
    assert not hasattr(clf, "n_features_in_")
    assert clf.predict(images).shape == (len(y),)
