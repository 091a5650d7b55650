"""The K held-out fold nets trained together as one skorch net (skmat.together)."""

import copy
import pickle

import numpy as np
import pytest
import torch
from _models import WithBatchNorm
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold
from skorch.callbacks import Callback, EarlyStopping, GradientNormClipping
from skorch.dataset import ValidSplit

from skmat import MATClassifier
from skmat.datasets import make_spurious_classification
from skmat.factory import as_mat_net
from skmat.mlp import mlp_net as _mlp_net
from skmat.nets import MATNeuralNetBinaryClassifier, MATNeuralNetClassifier
from skmat.stacked import StackedModule
from skmat.together import (
    as_folds_net,
    fit_folds_together,
    together_batch_size,
    unsupported_reason,
)
from skmat.xrm import XRMMixin

# Fits on tiny or random data, where MAT's guard often finds that the shift
# leaves nothing to learn; that warning is asserted in tests/test_guard.py, and
# only silenced here.
pytestmark = pytest.mark.filterwarnings("ignore::skmat.exceptions.MATFitWarning")


RNG = np.random.RandomState(0)
X = RNG.randn(103, 6).astype(np.float32)
Y = (X[:, 0] + 0.3 * RNG.randn(103) > 0).astype(np.int64)
SPLITS = list(KFold(5).split(X))


def mlp_net(hidden=(16,), **params):
    defaults = dict(module__n_features=6, module__n_classes=2, max_epochs=4)
    defaults.update(batch_size=41, lr=1e-2, random_state=0)
    return _mlp_net(hidden, **{**defaults, **params})


def module_net(module, cls=MATNeuralNetClassifier, **params):
    defaults = dict(max_epochs=3, batch_size=41, lr=0.1, train_split=None)
    return cls(module, **{**defaults, "verbose": 0, "random_state": 0, **params})


# ------------------------------------------------------ the optimizers
OPTIMIZERS = {
    "adam": dict(optimizer=torch.optim.Adam),
    "adam-l2-amsgrad": dict(
        optimizer=torch.optim.Adam,
        optimizer__weight_decay=1e-2,
        optimizer__amsgrad=True,
    ),
    "adamw": dict(optimizer=torch.optim.AdamW, optimizer__betas=(0.8, 0.99)),
    "sgd-nesterov": dict(
        optimizer=torch.optim.SGD,
        lr=0.1,
        optimizer__momentum=0.9,
        optimizer__nesterov=True,
        optimizer__weight_decay=1e-3,
    ),
    "rmsprop": dict(optimizer=torch.optim.RMSprop, optimizer__momentum=0.5),
    "adagrad": dict(optimizer=torch.optim.Adagrad, lr=0.1),
}


@pytest.mark.parametrize("kind", ["folds", "xrm"])
def test_stacked_nets_use_the_multi_tensor_optimizer_unless_told(kind):
    """foreach=True when the user leaves it unset (the same arithmetic); the
    user's choice, fused, and optimizers without the option are left alone."""

    def fitted(**params):
        net = mlp_net(**params)
        if kind == "folds":
            return fit_folds_together(net, X, Y, SPLITS, vmap=False)
        return as_mat_net(net, mixin=XRMMixin).fit(X, Y)

    assert fitted().optimizer_.defaults["foreach"] is True
    assert fitted(optimizer__foreach=False).optimizer_.defaults["foreach"] is False

    class PlainSGD(torch.optim.SGD):  # a user's optimizer without the option
        def __init__(self, params, lr=0.1):
            super().__init__(params, lr=lr)

    assert fitted(optimizer=PlainSGD).optimizer_.defaults["foreach"] is None


def test_own_rows_are_wanted_only_where_the_rows_may_be_split():
    """The nets compute each row's owner only for a module that may use it:
    split_rows=True, or "auto" until a forward finds the module cheap."""

    def stack(in_features, **params):
        return StackedModule([torch.nn.Linear(in_features, 2) for _ in "ab"], **params)

    owner = torch.tensor([0, 1, 0, 1])
    cheap, costly = stack(3), stack(500_000)  # ~1e1 and ~2e6 FLOPs per row
    assert cheap.wants_own_rows() and costly.wants_own_rows()  # not decided yet
    cheap(torch.zeros(4, 3), skmat_own_rows=owner)
    costly(torch.zeros(4, 500_000), skmat_own_rows=owner)
    assert not cheap.wants_own_rows()
    assert costly.wants_own_rows()
    assert stack(3, split_rows=True).wants_own_rows()
    assert not stack(3, split_rows=False).wants_own_rows()
    assert not stack(3, vmap=True).wants_own_rows()  # vmap: no split


def test_train_and_eval_reach_every_copy():
    copies = [torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.Dropout(0.5))]
    stack = StackedModule(copies + [copy.deepcopy(copies[0])])
    for mode in (True, True, False, False, True):
        stack.train(mode)
        assert all(m.training is mode for m in stack.modules())
    stack.eval()
    x = torch.ones(4, 3)
    torch.testing.assert_close(stack(x), stack(x))  # no dropout in eval mode


@pytest.mark.parametrize("vmap", [True, False], ids=["vmap", "one-by-one"])
@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
def test_each_copy_gets_exactly_its_own_update(optimizer, vmap):
    # Full batch: each copy's loss is its mean over all its training rows, as
    # when it trains alone; with one elementwise optimizer over the stacked
    # parameters, every copy then takes the very steps of its separate fit.
    net = mlp_net(batch_size=-1, max_epochs=5, **OPTIMIZERS[optimizer])
    joint = fit_folds_together(net, X, Y, SPLITS, vmap=vmap)
    for k, ((train, _), member) in enumerate(zip(SPLITS, joint.member_nets(net))):
        alone = clone(net).initialize()
        alone.module_.load_state_dict(_initial_member(net, k))
        alone.partial_fit(X[train], Y[train])
        for p, q in zip(alone.module_.parameters(), member.module_.parameters()):
            torch.testing.assert_close(p.detach(), q.detach(), rtol=1e-5, atol=1e-6)


def _initial_member(net, k):
    """Copy k's initial weights in a joint net of ``net`` (same seed)."""
    joint = as_folds_net(net, len(SPLITS))
    with torch.random.fork_rng():
        torch.manual_seed(net.random_state)
        joint.initialize()
    return joint.module_.member_state_dicts()[k]


def test_a_row_held_out_by_a_copy_never_reaches_it():
    # Relabel the rows fold 0 holds out: copy 0 trains exactly as before (its
    # loss never reads them), so their held-out probabilities are unchanged.
    net = mlp_net(max_epochs=6)
    test0 = SPLITS[0][1]
    relabelled = Y.copy()
    relabelled[test0] = 1 - relabelled[test0]
    before = fit_folds_together(net, X, Y, SPLITS).predict_proba_folds(X)
    after = fit_folds_together(net, X, relabelled, SPLITS).predict_proba_folds(X)
    np.testing.assert_array_equal(after[0], before[0])
    # The copies that trained on those rows did change.
    assert not np.allclose(after[1], before[1])


def test_member_nets_are_the_copies_and_standalone():
    net = mlp_net()
    joint = fit_folds_together(net, X, Y, SPLITS)
    every = joint.predict_proba_folds(X)
    assert every.shape == (5, 103, 2)
    nets = joint.member_nets(net)
    for k, fold_net in enumerate(nets):
        assert type(fold_net) is type(net)
        np.testing.assert_allclose(fold_net.predict_proba(X), every[k], atol=1e-6)
    again = pickle.loads(pickle.dumps(nets[0]))
    np.testing.assert_array_equal(again.predict_proba(X), nets[0].predict_proba(X))
    np.testing.assert_allclose(joint.predict_proba(X), every.mean(axis=0))


def test_batch_size_gives_each_copy_its_own_batch():
    assert together_batch_size(128, 5) == 160
    assert together_batch_size(64, 2) == 128
    assert together_batch_size(-1, 5) == -1
    joint = as_folds_net(mlp_net(batch_size=100, iterator_train__batch_size=50), 5)
    assert joint.batch_size == 125 and joint.iterator_train__batch_size == 63
    fitted = fit_folds_together(mlp_net(batch_size=40, max_epochs=1), X, Y, SPLITS)
    # 103 rows in batches of 50: as many steps as 82 rows in batches of 40.
    assert fitted.history[-1, "train_batch_count"] == 3


def test_batchnorm_copies_normalise_their_own_rows():
    net = module_net(WithBatchNorm, criterion=torch.nn.CrossEntropyLoss)
    joint = fit_folds_together(net, X, Y, SPLITS)
    assert not joint.module_.uses_vmap((torch.as_tensor(X[:2]),), {})
    # Copy 0 never saw its held-out rows: relabelling them (the loss) or
    # rescaling them (the BatchNorm statistics) leaves it as it was.
    test0 = SPLITS[0][1]
    X_moved = X.copy()
    X_moved[test0] *= 10.0
    other = fit_folds_together(net, X_moved, Y, SPLITS)
    for name, value in joint.module_.member_state_dicts()[0].items():
        torch.testing.assert_close(other.module_.member_state_dicts()[0][name], value)


def test_binary_and_probability_nets():
    binary = module_net(
        torch.nn.Linear,
        cls=MATNeuralNetBinaryClassifier,
        module__in_features=6,
        module__out_features=1,
    )
    joint = fit_folds_together(binary, X, Y, SPLITS)
    every = joint.predict_proba_folds(X)
    assert every.shape == (5, 103, 2)
    np.testing.assert_allclose(every.sum(axis=-1), 1.0)

    softmax = torch.nn.Sequential(torch.nn.Linear(6, 2), torch.nn.Softmax(dim=-1))
    proba_net = module_net(softmax, max_epochs=20)  # skorch's default NLLLoss
    joint = fit_folds_together(proba_net, X, Y, SPLITS)
    assert np.mean(joint.predict_proba_folds(X).argmax(-1) == Y) > 0.7


def test_modules_with_several_outputs_are_refused():
    class TwoOutputs(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = torch.nn.Linear(6, 2)

        def forward(self, x):
            out = self.linear(x)
            return out, out

    with pytest.raises(ValueError, match="returns several outputs"):
        fit_folds_together(module_net(TwoOutputs), X, Y, SPLITS)


def test_probe_detects_a_module_vmap_cannot_run():
    class DataDependent(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = torch.nn.Linear(6, 2)

        def forward(self, x):
            # .item() of a (batched) parameter: impossible under vmap
            scale = 1.0 if float(self.linear.weight.detach().abs().max()) < 1e6 else 0.5
            return self.linear(x) * scale

    # On an accelerator ("auto") the copies are stacked for vmap; a module vmap
    # cannot run is detected on the first batch and runs one copy at a time.
    stack = StackedModule([DataDependent(), DataDependent()], device="cuda")
    assert stack.stacked
    x = torch.as_tensor(X[:4])
    with pytest.warns(UserWarning, match="vmap"):
        assert not stack.uses_vmap((x,), {})
    assert stack(x).shape == (8, 2)


def test_dropout_copies_are_reproducible_and_global_rng_untouched():
    net = mlp_net(module__dropout=0.3)
    torch.manual_seed(5)
    expected = torch.rand(3)
    torch.manual_seed(5)
    first = fit_folds_together(net, X, Y, SPLITS)
    torch.testing.assert_close(torch.rand(3), expected)
    first = first.predict_proba_folds(X)
    second = fit_folds_together(net, X, Y, SPLITS).predict_proba_folds(X)
    np.testing.assert_array_equal(first, second)


# ------------------------------------------------------------ callbacks
class CountBatches(Callback):
    def initialize(self):
        self.batches = 0
        return self

    def on_batch_end(self, net, batch=None, training=False, **kwargs):
        assert isinstance(batch[0], torch.Tensor)  # the user's batch, as made
        self.batches += training


def test_per_batch_callbacks_run_in_the_joint_loop():
    net = mlp_net(max_epochs=2, callbacks=[("count", CountBatches())])
    joint = fit_folds_together(net, X, Y, SPLITS)
    # 103 rows in joint batches of 52 (41 x 5 / 4): 2 per epoch.
    assert dict(joint.callbacks_)["count"].batches == 2 * 2


def test_early_stopping_stops_the_copies_together():
    net = mlp_net(
        max_epochs=20,
        callbacks=[EarlyStopping(monitor="train_loss", patience=1, threshold=10.0)],
    )
    joint = fit_folds_together(net, X, Y, SPLITS)
    assert len(joint.history) < 20
    assert not joint.interrupted_


# ----------------------------------------------------------- what is refused
@pytest.mark.parametrize(
    "net, match",
    [
        (mlp_net(optimizer=torch.optim.LBFGS), "must be elementwise"),
        (mlp_net(callbacks=[GradientNormClipping(1.0)]), "acts on gradients"),
        (mlp_net(train_split=ValidSplit(5)), "train_split must be None"),
    ],
)
def test_unsupported_nets_are_named(net, match):
    assert match in unsupported_reason(net)
    with pytest.raises(ValueError, match=match):
        fit_folds_together(net, X, Y, SPLITS)


def test_supported_nets():
    for params in OPTIMIZERS.values():
        assert unsupported_reason(mlp_net(**params)) is None
    assert unsupported_reason(mlp_net(callbacks=[EarlyStopping()])) is None


# ------------------------------------------------------- in MATClassifier
def _data():
    return make_spurious_classification(400, 12, random_state=0)[:2]


def test_mat_classifier_together_is_close_to_one_by_one():
    Xs, ys = _data()
    net = _mlp_net((16,), max_epochs=10, batch_size=64)
    fits = {
        v: MATClassifier(
            net, cv=3, folds_together=v, holdout_epochs=None, random_state=0
        ).fit(Xs, ys)
        for v in (True, False)
    }
    agree = fits[True].holdout_proba_.argmax(1) == fits[False].holdout_proba_.argmax(1)
    assert agree.mean() > 0.9
    assert np.mean(fits[True].predict(Xs) == fits[False].predict(Xs)) > 0.9
    assert len(fits[True].holdout_estimators_) == 3
    assert fits[True].infer_groups(Xs, ys).shape == ys.shape
    again = pickle.loads(pickle.dumps(fits[True]))
    np.testing.assert_array_equal(again.predict_proba(Xs), fits[True].predict_proba(Xs))


def test_mat_classifier_auto_fits_one_by_one_on_cpu(monkeypatch):
    import skmat.holdout

    calls = []
    original = skmat.holdout.fit_folds_together
    monkeypatch.setattr(
        skmat.holdout,
        "fit_folds_together",
        lambda *a, **k: calls.append(1) or original(*a, **k),
    )
    Xs, ys = _data()
    net = _mlp_net((8,), max_epochs=2)
    MATClassifier(net, cv=2, random_state=0).fit(Xs, ys)
    assert calls == []
    MATClassifier(net, cv=2, folds_together=True, random_state=0).fit(Xs, ys)
    assert calls == [1]


@pytest.mark.parametrize(
    "params, match",
    [
        (dict(holdout_estimator=LogisticRegression()), "not a skorch net"),
        (dict(estimator=_mlp_net(train_split=ValidSplit(3))), "train_split"),
        (dict(estimator=_mlp_net(optimizer=torch.optim.LBFGS)), "elementwise"),
    ],
)
def test_mat_classifier_folds_together_true_refuses_what_it_cannot_do(params, match):
    Xs, ys = _data()
    clf = MATClassifier(cv=2, folds_together=True, random_state=0, **params)
    with pytest.raises(ValueError, match=f"folds_together=True(.|\n)*{match}"):
        clf.fit(Xs, ys)
    assert not hasattr(clf, "classes_")
    # "auto" falls back to one by one.
    MATClassifier(cv=2, random_state=0, **params).fit(Xs, ys)


def test_verbose_names_the_joint_training(capsys):
    Xs, ys = _data()
    MATClassifier(
        _mlp_net((8,), max_epochs=1),
        cv=2,
        folds_together=True,
        verbose=1,
        random_state=0,
    ).fit(Xs, ys)
    assert "fitting 2 copies" in capsys.readouterr().out


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_auto_trains_together_with_vmap():
    Xs, ys = _data()
    net = _mlp_net((16,), max_epochs=5, batch_size=64)
    cuda = MATClassifier(net, cv=3, device="cuda", random_state=0).fit(Xs, ys)
    cpu = MATClassifier(net, cv=3, folds_together=False, random_state=0).fit(Xs, ys)
    assert next(cuda.holdout_estimators_[0].module_.parameters()).is_cuda
    agree = cuda.holdout_proba_.argmax(1) == cpu.holdout_proba_.argmax(1)
    assert agree.mean() > 0.9
