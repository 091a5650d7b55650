"""MATClassifier behaviour: fitted state, sklearn integration, routing, bad input."""

import copy
import io
import pickle

import joblib
import numpy as np
import pytest
import sklearn
import torch
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import (
    GridSearchCV,
    GroupKFold,
    KFold,
    StratifiedKFold,
    cross_val_predict,
    cross_val_score,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from sklearn.utils.validation import check_is_fitted
from skorch import NeuralNetBinaryClassifier, NeuralNetClassifier
from skorch.dataset import ValidSplit

from skmat import MATClassifier
from skmat.datasets import make_spurious_classification
from skmat.mlp import mlp_net
from skmat.nets import MATNeuralNetClassifier, RowBatch
from skmat.transition import mat_shift

# The fits here check MATClassifier's mechanics on small data, where its guard
# often finds that the shift leaves nothing to learn; that warning is asserted
# in tests/test_guard.py, and only silenced here.
pytestmark = pytest.mark.filterwarnings("ignore::skmat.exceptions.MATFitWarning")


def small_net(**params):
    defaults = dict(max_epochs=15, lr=1e-2, batch_size=64)
    defaults.update(params)
    return mlp_net((16,), **defaults)


def fast_mat(**params):
    """A MATClassifier with a cheap scikit-learn held-out model."""
    defaults = dict(
        estimator=small_net(),
        holdout_estimator=LogisticRegression(),
        cv=3,
        random_state=0,
    )
    defaults.update(params)
    return MATClassifier(**defaults)


def net_mat(**params):
    """A MATClassifier as users get it by default: its held-out models are
    copies of the (small, quickly trained) skorch net."""
    return fast_mat(**{"holdout_estimator": None, **params})


@pytest.fixture(params=["net-holdout", "sklearn-holdout"])
def make_mat(request):
    """The two held-out paths, for behaviour that must not depend on it:
    :func:`net_mat` (the default, copies of the net) and :func:`fast_mat`."""
    return net_mat if request.param == "net-holdout" else fast_mat


class Softmax2(torch.nn.Module):
    """A module ending in softmax, for skorch's default NLLLoss."""

    def __init__(self, n_features=20, n_classes=2):
        super().__init__()
        self.linear = torch.nn.Linear(n_features, n_classes)

    def forward(self, X):
        return torch.softmax(self.linear(X), dim=-1)


class TensorOnly(torch.nn.Module):
    """A module that fails if it is ever handed anything but a tensor."""

    def __init__(self, n_features=20, n_classes=2):
        super().__init__()
        self.linear = torch.nn.Linear(n_features, n_classes)

    def forward(self, X):
        assert isinstance(X, torch.Tensor)
        return self.linear(X)


class MyNet(NeuralNetClassifier):
    """A user's own skorch subclass: MATClassifier must keep its behaviour.

    Its ``get_loss`` records each loss it returns in the batch's history, and
    its ``on_epoch_end`` records the epoch count: both observable after fit."""

    def get_loss(self, y_pred, y_true, X=None, training=False):
        loss = super().get_loss(y_pred, y_true, X=X, training=training)
        self.history.record_batch("my_loss", loss.item())
        return loss

    def on_epoch_end(self, net, **kwargs):
        super().on_epoch_end(net, **kwargs)
        self.history.record("my_epoch", len(self.history))


# ------------------------------------------------------------ fitted state
def test_fitted_attributes(data):
    X, y, _ = data
    clf = net_mat().fit(X, y)
    n, c = len(y), 2
    np.testing.assert_array_equal(clf.classes_, [0, 1])
    assert clf.n_features_in_ == X.shape[1]
    assert clf.holdout_proba_.shape == (n, c)
    assert clf.joint_.shape == clf.transition_matrix_.shape == (c, c)
    assert clf.shift_.shape == (n, c)
    np.testing.assert_allclose(clf.transition_matrix_.sum(axis=1), 1.0)
    np.testing.assert_allclose(np.exp(clf.shift_).sum(axis=1), 1.0)
    np.testing.assert_allclose(clf.joint_.sum(), 1.0)
    assert isinstance(clf.estimator_, MATNeuralNetClassifier)
    check_is_fitted(clf)
    # The held-out models are fitted copies of the net, one per fold (cv=3 is
    # StratifiedKFold(3)): each row's held-out probabilities are those of the
    # fold net that did not train on it, and the shift follows from them.
    folds = list(StratifiedKFold(3).split(X, y))
    assert len(clf.holdout_estimators_) == len(folds)
    X32 = X.astype(np.float32)
    for model, (_, test) in zip(clf.holdout_estimators_, folds):
        assert isinstance(model, NeuralNetClassifier) and model is not clf.estimator_
        assert model.module_.layers[0].in_features == X.shape[1]
        np.testing.assert_allclose(
            clf.holdout_proba_[test], model.predict_proba(X32[test]), rtol=1e-5
        )
    ref = mat_shift(clf.holdout_proba_, y, clf.temperature)
    np.testing.assert_allclose(clf.joint_, ref.joint, rtol=1e-6)
    np.testing.assert_allclose(clf.transition_matrix_, ref.transition, rtol=1e-6)
    np.testing.assert_allclose(clf.shift_, ref.shift, rtol=1e-6, atol=1e-9)
    # Trained: better than the majority class on its own training data.
    assert clf.score(X, y) > 0.8


def test_holdout_proba_is_cross_val_predict_before_temperature(data):
    X, y, _ = data
    clf = fast_mat(cv=KFold(3, shuffle=True, random_state=0)).fit(X, y)
    expected = cross_val_predict(
        LogisticRegression(random_state=None),
        X,
        y,
        cv=KFold(3, shuffle=True, random_state=0),
        method="predict_proba",
    )
    np.testing.assert_allclose(clf.holdout_proba_, expected, rtol=1e-6)
    ref = mat_shift(expected, y, clf.temperature)
    np.testing.assert_allclose(clf.transition_matrix_, ref.transition, rtol=1e-6)
    np.testing.assert_allclose(clf.shift_, ref.shift, rtol=1e-6, atol=1e-9)


def test_precomputed_holdout_proba(data, make_mat):
    X, y, _ = data
    proba = np.column_stack(
        [np.linspace(0.1, 0.9, len(y)), np.linspace(0.9, 0.1, len(y))]
    )
    clf = make_mat(temperature=0.5).fit(X, y, holdout_proba=proba)
    np.testing.assert_allclose(clf.holdout_proba_, proba)
    np.testing.assert_allclose(clf.shift_, mat_shift(proba, y, 0.5).shift)


@pytest.mark.parametrize(
    "labels",
    [np.array(["cat", "dog", "emu"]), np.array([3, 7, 11]), np.array([-1, 0, 5])],
)
def test_labels_of_any_kind(data3, labels):
    X, y, _ = data3
    y_labels = labels[y]
    clf = net_mat().fit(X, y_labels)
    np.testing.assert_array_equal(clf.classes_, np.sort(labels))
    assert set(clf.predict(X)) <= set(labels)
    proba = clf.predict_proba(X)
    assert proba.shape == (len(y), 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert clf.decision_function(X).shape == (len(y), 3)
    # Columns follow classes_: the best column is the predicted label.
    np.testing.assert_array_equal(clf.classes_[proba.argmax(axis=1)], clf.predict(X))
    assert clf.score(X, y_labels) > 0.6


def test_binary_decision_function_sign(data):
    X, y, _ = data
    clf = net_mat().fit(X, np.where(y == 1, "b", "a"))
    decision = clf.decision_function(X)
    assert decision.shape == (len(y),)
    np.testing.assert_array_equal(np.where(decision > 0, "b", "a"), clf.predict(X))
    np.testing.assert_allclose(
        clf.predict_log_proba(X), np.log(clf.predict_proba(X)), rtol=1e-6, atol=1e-9
    )


def test_float64_input_trains_float32_module(data):
    X, y, _ = data
    assert X.dtype == np.float64
    clf = net_mat().fit(X, y)
    params = list(clf.estimator_.module_.parameters())
    assert all(p.dtype == torch.float32 for p in params)


def test_default_network_works_on_any_table(data3):
    X, y, _ = data3
    clf = MATClassifier(cv=2, random_state=0).fit(X, y)
    assert clf.estimator_.module_.layers[0].in_features == X.shape[1]
    assert clf.estimator_.module_.layers[-1].out_features == 3
    assert clf.score(X, y) > 0.6


# ------------------------------------------------------------- skorch nets
def test_probability_output_net_with_nllloss(data):
    X, y, _ = data
    net = NeuralNetClassifier(
        Softmax2, max_epochs=15, lr=0.1, train_split=None, verbose=0
    )
    clf = MATClassifier(net, cv=2, random_state=0).fit(X, y)
    proba = clf.predict_proba(X)
    # The net outputs probabilities; their log serves as logits, so predict_proba
    # returns the module's own probabilities.
    X32 = X.astype(np.float32)
    np.testing.assert_allclose(
        proba, clf.estimator_.predict_proba(X32), rtol=1e-4, atol=1e-6
    )
    assert clf.score(X, y) > 0.7


def test_binary_net(data):
    X, y, _ = data
    net = NeuralNetBinaryClassifier(
        torch.nn.Linear,
        module__in_features=X.shape[1],
        module__out_features=1,
        max_epochs=20,
        lr=0.1,
        train_split=None,
        verbose=0,
    )
    clf = MATClassifier(net, cv=2, random_state=0).fit(X, y)
    assert clf.score(X, y) > 0.7
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(
        proba[:, 1], clf.estimator_.predict_proba(X.astype(np.float32))[:, 1], rtol=1e-4
    )
    X3, y3, _ = make_spurious_classification(60, 12, n_classes=3, random_state=0)
    with pytest.raises(ValueError, match="NeuralNetBinaryClassifier"):
        MATClassifier(net, cv=2).fit(X3, y3)


def test_module_never_sees_shift_and_user_subclass_kept(data):
    X, y, _ = data
    net = MyNet(
        TensorOnly,
        criterion=torch.nn.CrossEntropyLoss,
        max_epochs=3,
        train_split=ValidSplit(4),
        verbose=0,
    )
    clf = MATClassifier(net, cv=2, random_state=0).fit(X, y)
    assert isinstance(clf.estimator_, MyNet)
    assert type(clf.estimator_).__name__ == "MATMyNet"
    # skorch's internal split ran, with the shift sliced along with the rows.
    history = clf.estimator_.history
    assert (
        len(history) == 3 and "valid_loss" in history[-1] and "valid_acc" in history[-1]
    )
    # The user's overrides ran in the final net and in the held-out copies:
    # its get_loss computed every batch's (shifted) loss, train and valid. The
    # held-out copies trained for holdout_epochs=0.1 of the 3 epochs, rounded up.
    assert clf.estimator_.history[:, "my_epoch"] == [1, 2, 3]
    for fitted in clf.holdout_estimators_:
        assert fitted.history[:, "my_epoch"] == [1]
    for fitted in [clf.estimator_, *clf.holdout_estimators_]:
        for epoch in fitted.history:
            for batch in epoch["batches"]:
                loss = batch.get("train_loss", batch.get("valid_loss"))
                assert batch["my_loss"] == pytest.approx(loss, rel=1e-6)
    # Pickling keeps the dynamic class working.
    clf2 = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(clf2.predict_proba(X), clf.predict_proba(X))
    assert type(clf2.estimator_) is type(clf.estimator_)


def test_loss_is_cross_entropy_of_shifted_logits(data):
    X, y, _ = data
    clf = net_mat().fit(X, y)
    net = clf.estimator_
    X32 = torch.as_tensor(X[:32], dtype=torch.float32)
    shift = torch.as_tensor(clf.shift_[:32], dtype=torch.float32)
    y_true = torch.as_tensor(y[:32])
    with torch.no_grad():
        logits = net.module_(X32)
        # A batch as the data loader serves it while training, and a plain one.
        loss = net.validation_step((RowBatch(X32, {"mat_shift": shift}), y_true))
        plain = net.validation_step((X32, y_true))
    loss, plain = loss["loss"], plain["loss"]
    expected = torch.nn.functional.cross_entropy(logits + shift, y_true)
    assert torch.isclose(loss, expected)
    assert torch.isclose(plain, torch.nn.functional.cross_entropy(logits, y_true))
    assert not torch.isclose(loss, plain)


def test_estimator_is_not_modified(data):
    X, y, _ = data
    net = small_net()
    holdout = LogisticRegression(C=0.5)
    before = copy.deepcopy(net.get_params(deep=False))
    state_before = {k: v for k, v in vars(net).items() if k.endswith("_")}
    holdout_before = copy.deepcopy(holdout.get_params())
    # The net serves as the final net and (copied) as the held-out fold nets.
    clf = MATClassifier(net, cv=2, random_state=3).fit(X, y)
    assert clf.estimator is net
    after = net.get_params(deep=False)
    assert after.keys() == before.keys()
    for name, value in before.items():
        assert after[name] == value, name  # e.g. random_state, device, verbose
    assert not hasattr(net, "module_") and not net.initialized_
    assert {k: v for k, v in vars(net).items() if k.endswith("_")} == state_before
    # A scikit-learn held-out model is cloned: its parameters and state stay.
    clf = MATClassifier(net, holdout_estimator=holdout, cv=2, random_state=3)
    clf.fit(X, y)
    assert clf.holdout_estimator is holdout
    assert holdout.get_params() == holdout_before  # random_state stays None
    assert not hasattr(holdout, "coef_")
    assert net.get_params(deep=False) == before


# ------------------------------------------------------ sklearn integration
def test_pipeline_gridsearch_and_cross_val_score(data, make_mat):
    X, y, _ = data
    pipe = make_pipeline(StandardScaler(), make_mat(cv=2))
    # Balanced classes: chance is 0.5 (measured 0.67 with the LogisticRegression
    # held-out model on the shared problem, whose minority is a tenth).
    assert cross_val_score(pipe, X, y, cv=2).mean() > 0.6
    search = GridSearchCV(
        make_mat(cv=2),
        {"temperature": [0.01, 1.0], "estimator__lr": [1e-3, 1e-2]},
        cv=2,
    )
    search.fit(X, y)
    assert set(search.best_params_) == {"temperature", "estimator__lr"}
    assert search.best_estimator_.estimator_.lr == search.best_params_["estimator__lr"]


def test_clone_and_pickle_round_trip(data):
    X, y, _ = data
    clf = net_mat()
    cloned = clone(clf)
    assert cloned.get_params()["temperature"] == clf.temperature
    assert cloned.estimator is not clf.estimator
    assert cloned.estimator.get_params(deep=False) == clf.estimator.get_params(
        deep=False
    )
    clf.fit(X, y)
    # The clone, fitted alone, is the same model (same random_state).
    refitted = cloned.fit(X, y)
    np.testing.assert_array_equal(refitted.predict_proba(X), clf.predict_proba(X))
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))
    buffer = io.BytesIO()
    joblib.dump(clf, buffer)
    buffer.seek(0)
    np.testing.assert_array_equal(
        joblib.load(buffer).predict_proba(X), clf.predict_proba(X)
    )


def test_same_random_state_identical_predictions(data):
    X, y, _ = data
    for holdout in (LogisticRegression(), None):
        a = fast_mat(holdout_estimator=holdout).fit(X, y).predict_proba(X)
        b = fast_mat(holdout_estimator=holdout).fit(X, y).predict_proba(X)
        np.testing.assert_array_equal(a, b)
    c = fast_mat(random_state=1).fit(X, y).predict_proba(X)
    assert not np.array_equal(a, c)


def test_global_torch_rng_untouched(data, make_mat):
    X, y, _ = data
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    make_mat().fit(X, y)
    np.testing.assert_array_equal(torch.rand(3), expected)


def test_class_missing_from_a_fold_gives_finite_shift():
    X, y, _ = make_spurious_classification(90, 12, n_classes=3, random_state=0)
    order = np.argsort(y, kind="stable")
    X, y = X[order], y[order]
    # Unshuffled KFold on sorted labels: some folds train without a class.
    clf = fast_mat(cv=KFold(3))
    with pytest.warns(RuntimeWarning, match="saw only 2 of the 3 classes"):
        clf.fit(X, y)
    for name in ("holdout_proba_", "joint_", "transition_matrix_", "shift_"):
        assert np.all(np.isfinite(getattr(clf, name))), name
    np.testing.assert_allclose(clf.transition_matrix_.sum(axis=1), 1.0)


def test_verbose(data, capsys):
    X, y, _ = data
    fast_mat(verbose=0).fit(X, y)
    assert capsys.readouterr().out == ""
    fast_mat(verbose=1, holdout_estimator=None, cv=2).fit(X, y)
    out = capsys.readouterr().out
    assert "held-out probabilities from 2 folds" in out
    assert "held-out fold 1/2" in out and "held-out fold 2/2" in out
    assert "train_loss" in out  # skorch's epoch table of the final network


# ------------------------------------------------------------------ routing
class RecordingClassifier(ClassifierMixin, BaseEstimator):
    """Logistic regression that records the fit parameters it received."""

    def fit(self, X, y, sample_weight=None):
        self.sample_weight_ = sample_weight
        self.model_ = LogisticRegression().fit(X, y, sample_weight=sample_weight)
        self.classes_ = self.model_.classes_
        return self

    def predict_proba(self, X):
        return self.model_.predict_proba(X)

    def predict(self, X):
        return self.model_.predict(X)


def test_routing_groups_to_splitter_and_params_to_holdout(data):
    X, y, groups = data
    chunks = np.arange(len(y)) % 6
    weights = np.linspace(1, 2, len(y))
    with sklearn.config_context(enable_metadata_routing=True):
        holdout = RecordingClassifier().set_fit_request(sample_weight=True)
        clf = fast_mat(holdout_estimator=holdout, cv=GroupKFold(3))
        clf.fit(X, y, groups=chunks, sample_weight=weights)
        # GroupKFold got the groups: each fold model's training set excludes the
        # chunks it predicts, reproduced here by hand.
        expected = cross_val_predict(
            LogisticRegression().set_fit_request(sample_weight=True),
            X,
            y,
            cv=list(GroupKFold(3).split(X, y, chunks)),
            method="predict_proba",
            params={"sample_weight": weights},
        )
        np.testing.assert_allclose(clf.holdout_proba_, expected, rtol=1e-6)
        with pytest.raises(ValueError, match="groups"):
            fast_mat(cv=GroupKFold(3)).fit(X, y)


def test_fit_params_without_routing_raise(data, make_mat):
    X, y, _ = data
    with pytest.raises(ValueError, match="enable_metadata_routing"):
        make_mat().fit(X, y, groups=np.zeros(len(y)))


# ---------------------------------------------------------------- bad input
BAD_PARAMS = [
    (dict(temperature=0), ValueError, "temperature"),
    (dict(temperature=-1.0), ValueError, "temperature"),
    (dict(temperature="hot"), TypeError, "temperature"),
    (dict(temperature=None), TypeError, "temperature"),
    (dict(cv=200), ValueError, "cv"),
    (dict(cv="five"), ValueError, "cv"),
    (dict(holdout_estimator=SVC()), TypeError, "holdout_estimator"),
    (dict(estimator=LogisticRegression()), TypeError, "estimator"),
    (dict(device="warp-drive"), ValueError, "device"),
    (dict(n_jobs="all"), TypeError, "n_jobs"),
]


@pytest.mark.parametrize("params, error, match", BAD_PARAMS)
def test_bad_parameters(data, make_mat, params, error, match):
    X, y, _ = data
    clf = make_mat(**params)
    with pytest.raises(error, match=match):
        clf.fit(X, y)
    with pytest.raises(NotFittedError):
        check_is_fitted(clf)


def test_bad_criterion(data):
    X, y, _ = data
    net = small_net(criterion=torch.nn.MSELoss)
    with pytest.raises(TypeError, match="criterion"):
        MATClassifier(net).fit(X, y)


@pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA is available here")
@pytest.mark.parametrize("device", ["cuda", "cuda:1"])
def test_cuda_without_cuda_is_clear_error(data, make_mat, device):
    X, y, _ = data
    with pytest.raises(ValueError, match="CUDA is not available"):
        make_mat(device=device).fit(X, y)
    with pytest.raises(ValueError, match="CUDA is not available"):
        make_mat(estimator=small_net(device="cuda")).fit(X, y)


def _bad_data_cases(X, y):
    nan_X = X.copy()
    nan_X[3, 2] = np.nan
    inf_X = X.copy()
    inf_X[0, 0] = np.inf
    n, c = len(y), 2
    good = np.full((n, c), 0.5)
    negative = good.copy()
    negative[0] = [-0.5, 1.5]
    unnormalised = good.copy()
    unnormalised[4] = [0.5, 0.7]
    nan_proba = good.copy()
    nan_proba[1, 0] = np.nan
    return [
        (dict(X=X, y=np.zeros(n)), ValueError, "at least 2 classes"),
        (dict(X=X, y=y[:-1]), ValueError, "inconsistent numbers of samples"),
        (dict(X=nan_X, y=y), ValueError, "NaN"),
        (dict(X=inf_X, y=y), ValueError, "infinity"),
        (dict(X=X, y=np.linspace(0, 1, n)), ValueError, "Unknown label type"),
        (
            dict(X=X, y=y, holdout_proba=good[:, :1]),
            ValueError,
            "holdout_proba must have shape",
        ),
        (
            dict(X=X, y=y, holdout_proba=good[:-1]),
            ValueError,
            "holdout_proba must have shape",
        ),
        (dict(X=X, y=y, holdout_proba=negative), ValueError, "holdout_proba.*negative"),
        (
            dict(X=X, y=y, holdout_proba=unnormalised),
            ValueError,
            "holdout_proba.*sum to 1",
        ),
        (dict(X=X, y=y, holdout_proba=nan_proba), ValueError, "holdout_proba.*NaN"),
    ]


def test_bad_data(data, make_mat):
    X, y, _ = data
    for kwargs, error, match in _bad_data_cases(X, y):
        clf = make_mat()
        with pytest.raises(error, match=match):
            clf.fit(**kwargs)
        with pytest.raises(NotFittedError):
            check_is_fitted(clf)


def test_failed_refit_keeps_previous_fit(data):
    X, y, _ = data
    clf = net_mat().fit(X, y)
    before = clf.predict_proba(X)
    state = {k: v for k, v in vars(clf).items() if k.endswith("_")}
    # Fails after validate_data has already reset n_features_in_ (fewer features).
    with pytest.raises(ValueError, match="holdout_proba"):
        clf.fit(X[:, :5], y, holdout_proba=np.ones((3, 2)))
    assert clf.n_features_in_ == X.shape[1]
    assert {k for k in vars(clf) if k.endswith("_")} == set(state)
    np.testing.assert_array_equal(clf.predict_proba(X), before)


def test_interrupted_fit_leaves_estimator_unfitted(data, make_mat, monkeypatch):
    X, y, _ = data
    clf = make_mat()

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(MATNeuralNetClassifier, "fit", interrupt)
    with pytest.raises(KeyboardInterrupt):
        clf.fit(X, y)
    with pytest.raises(NotFittedError):
        check_is_fitted(clf)
    assert not any(k.endswith("_") for k in vars(clf))


def test_predict_checks_input(data):
    X, y, _ = data
    clf = net_mat()
    with pytest.raises(NotFittedError):
        clf.predict(X)
    clf.fit(X, y)
    with pytest.raises(ValueError, match="features"):
        clf.predict(X[:, :3])
    bad = X[:5].copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        clf.predict_proba(bad)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_end_to_end(data):
    X, y, _ = data
    clf = fast_mat(device="cuda", holdout_estimator=None, cv=2).fit(X, y)
    assert next(clf.estimator_.module_.parameters()).is_cuda
    proba = clf.predict_proba(X)
    assert proba.shape == (len(y), 2) and np.all(np.isfinite(proba))
