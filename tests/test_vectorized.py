"""Held-out nets trained together (skmat.vectorized) against separate fits."""

import copy
import pickle

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold
from skorch import NeuralNetClassifier
from skorch.callbacks import Callback, EarlyStopping, GradientNormClipping, LRScheduler

from skmat import MATClassifier
from skmat.datasets import make_spurious_classification
from skmat.mlp import MLPModule
from skmat.mlp import mlp_net as _mlp_net
from skmat.nets import (
    MATNeuralNetBinaryClassifier,
    MATNeuralNetClassifier,
)
from skmat.vectorized import _vmap_works, fit_nets_together, unsupported_reason

RNG = np.random.RandomState(0)
# 103 rows in 5 folds of 82-83 training rows; batches of 41 give 2 batches to
# some folds and 3 to others: the nets take different numbers of steps.
X = RNG.randn(103, 6).astype(np.float32)
Y = (X[:, 0] + 0.3 * RNG.randn(103) > 0).astype(np.int64)
SPLITS = list(KFold(5).split(X))
ROWS = [train for train, _ in SPLITS]


def mlp_net(hidden=(16,), **params):
    defaults = dict(module__n_features=6, module__n_classes=2, max_epochs=4)
    defaults.update(batch_size=41, lr=1e-2, random_state=0)
    return _mlp_net(hidden, **{**defaults, **params})


def module_net(module, cls=MATNeuralNetClassifier, **params):
    """A skmat net around a module of this file, with the settings of the tests."""
    defaults = dict(max_epochs=3, batch_size=41, lr=0.1, train_split=None)
    return cls(module, **{**defaults, "verbose": 0, "random_state": 0, **params})


def fit_separately(net):
    return [clone(net).fit(X[rows], Y[rows]) for rows in ROWS]


def assert_same_training(separate, together, atol=1e-6):
    for one, other in zip(separate, together):
        for p, q in zip(one.module_.parameters(), other.module_.parameters()):
            torch.testing.assert_close(p.detach(), q.detach(), rtol=0, atol=atol)
        for b, c in zip(one.module_.buffers(), other.module_.buffers()):
            torch.testing.assert_close(b, c, rtol=0, atol=atol)
        assert len(one.history) == len(other.history)
        for key in ("epoch", "train_batch_count"):
            assert one.history[:, key] == other.history[:, key]
        np.testing.assert_allclose(
            one.history[:, "train_loss"], other.history[:, "train_loss"], atol=atol
        )
        sizes = [[b["train_batch_size"] for b in e["batches"]] for e in one.history]
        assert sizes == [
            [b["train_batch_size"] for b in e["batches"]] for e in other.history
        ]
        state, state_t = one.optimizer_.state_dict(), other.optimizer_.state_dict()
        assert state["param_groups"] == state_t["param_groups"]
        for key, value in state["state"].items():
            assert value.keys() == state_t["state"][key].keys()
            for name, tensor in value.items():
                torch.testing.assert_close(
                    state_t["state"][key][name], tensor, rtol=0, atol=atol
                )


OPTIMIZERS = {
    "adam": dict(optimizer=torch.optim.Adam),
    "adam-l2-amsgrad": dict(
        optimizer=torch.optim.Adam,
        optimizer__weight_decay=1e-2,
        optimizer__amsgrad=True,
    ),
    "adamw": dict(optimizer=torch.optim.AdamW, optimizer__betas=(0.8, 0.99)),
    "sgd": dict(optimizer=torch.optim.SGD, lr=0.1),
    "sgd-nesterov": dict(
        optimizer=torch.optim.SGD,
        lr=0.1,
        optimizer__momentum=0.9,
        optimizer__nesterov=True,
        optimizer__weight_decay=1e-3,
    ),
    "sgd-dampening-maximize": dict(
        optimizer=torch.optim.SGD,
        lr=0.01,  # maximize: gradient ascent, still elementwise
        optimizer__momentum=0.5,
        optimizer__dampening=0.3,
        optimizer__maximize=True,
    ),
}


# ------------------------------------------------------------- equality
@pytest.mark.parametrize("vectorize", [True, False], ids=["vmap", "per-net"])
@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
def test_training_together_equals_separate_fits(optimizer, vectorize):
    net = mlp_net(**OPTIMIZERS[optimizer])
    together = fit_nets_together(
        [clone(net) for _ in ROWS], X, Y, ROWS, vectorize=vectorize
    )
    assert sorted({n.history[-1, "train_batch_count"] for n in together}) == [2, 3]
    assert_same_training(fit_separately(net), together)


def test_full_batch_linear_model_many_epochs():
    # The paper's Figure 1 set-up in small: a bias-free linear net, full batch.
    net = _mlp_net(
        (),
        module__n_features=6,
        module__n_classes=2,
        module__bias=False,
        optimizer=torch.optim.SGD,
        lr=0.5,
        batch_size=-1,
        max_epochs=60,
        random_state=3,
    )
    together = fit_nets_together([clone(net) for _ in ROWS], X, Y, ROWS)
    assert_same_training(fit_separately(net), together, atol=1e-5)


def test_batchnorm_nets_train_per_net_and_equal_separate_fits():
    class WithBatchNorm(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.hidden = torch.nn.Linear(6, 8)
            self.norm = torch.nn.BatchNorm1d(8)
            self.out = torch.nn.Linear(8, 2)

        def forward(self, x):
            return self.out(torch.relu(self.norm(self.hidden(x))))

    net = module_net(
        WithBatchNorm,
        criterion=torch.nn.CrossEntropyLoss,
        batch_size=40,  # no batch of a single row, which BatchNorm refuses
        lr=0.05,
    )
    together = fit_nets_together([clone(net) for _ in ROWS], X, Y, ROWS)
    assert all(n.module_.norm.num_batches_tracked.item() > 0 for n in together)
    assert_same_training(fit_separately(net), together)


def test_module_outputting_probabilities_with_nll_loss():
    # skorch's default criterion (NLLLoss) on a softmax module.
    class SoftmaxLinear(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = torch.nn.Linear(6, 2)

        def forward(self, x):
            return torch.softmax(self.linear(x), dim=-1)

    net = module_net(SoftmaxLinear)
    together = fit_nets_together([clone(net) for _ in ROWS], X, Y, ROWS)
    assert_same_training(fit_separately(net), together)


@pytest.mark.parametrize("out_features", [1, None], ids=["(n, 1)", "(n,)"])
def test_binary_nets(out_features):
    class OneLogit(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = torch.nn.Linear(6, 1)

        def forward(self, x):
            out = self.linear(x)
            return out if out_features else out[:, 0]

    net = module_net(OneLogit, cls=MATNeuralNetBinaryClassifier)
    for vectorize in (True, False):
        together = fit_nets_together(
            [clone(net) for _ in ROWS], X, Y, ROWS, vectorize=vectorize
        )
        assert_same_training(fit_separately(net), together)


def test_modules_with_several_outputs_are_refused():
    class TwoOutputs(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = torch.nn.Linear(6, 2)

        def forward(self, x):
            out = self.linear(x)
            return out, out

    net = module_net(TwoOutputs, criterion=torch.nn.CrossEntropyLoss, max_epochs=1)
    with pytest.raises(ValueError, match="one tensor"):
        fit_nets_together([clone(net), clone(net)], X, Y, ROWS[:2], vectorize=False)


def test_nets_without_a_batch_in_an_epoch():
    # drop_last with batches of 83: the folds of 82 rows never take a step, those
    # of 83 take one per epoch; an SGD with momentum keeps per-net buffers apart.
    net = mlp_net(
        batch_size=83,
        iterator_train__drop_last=True,
        optimizer=torch.optim.SGD,
        optimizer__momentum=0.9,
    )
    together = fit_nets_together([clone(net) for _ in ROWS], X, Y, ROWS)
    counts = [n.history[-1, "train_batch_count"] for n in together]
    assert sorted(set(counts)) == [0, 1]
    separate = fit_separately(net)
    for one, other in zip(separate, together):
        for p, q in zip(one.module_.parameters(), other.module_.parameters()):
            torch.testing.assert_close(p.detach(), q.detach(), rtol=0, atol=1e-6)


@pytest.mark.parametrize(
    "change, match",
    [
        (dict(vectorize="yes"), "vectorize"),
        (dict(X=X[:, 0]), "X must be 2-D"),
        (dict(y=Y[:-1]), "y must have shape"),
        (dict(rows=[ROWS[0], np.array([], dtype=int)]), "rows"),
        (dict(rows=[ROWS[0], ROWS[1] + 1000]), "rows must index"),
        (dict(rows=[ROWS[0], ROWS[1].astype(float)]), "rows"),
        (dict(rows=ROWS[:1]), "2 nets but 1 sets of rows"),
    ],
)
def test_bad_input_is_named(change, match):
    args = dict(X=X, y=Y, rows=ROWS[:2], vectorize="auto")
    args.update(change)
    nets = [clone(mlp_net()) for _ in range(2)]
    with pytest.raises(ValueError, match=match):
        fit_nets_together(
            nets, args["X"], args["y"], args["rows"], vectorize=args["vectorize"]
        )
    assert not any(hasattr(n, "module_") for n in nets)


def test_dropout_nets_are_reproducible():
    # Dropout draws differ from the separate fits, but a seed fixes them.
    net = mlp_net(module__dropout=0.3)
    first = fit_nets_together([clone(net) for _ in ROWS], X, Y, ROWS)
    second = fit_nets_together([clone(net) for _ in ROWS], X, Y, ROWS)
    for one, other in zip(first, second):
        for p, q in zip(one.module_.parameters(), other.module_.parameters()):
            torch.testing.assert_close(p, q, rtol=0, atol=0)


def test_global_generator_is_left_alone():
    torch.manual_seed(5)
    expected = torch.rand(3)
    torch.manual_seed(5)
    fit_nets_together([clone(mlp_net()) for _ in ROWS[:2]], X, Y, ROWS[:2])
    torch.testing.assert_close(torch.rand(3), expected)


def test_probe_detects_a_module_vmap_cannot_run():
    class DataDependent(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = torch.nn.Linear(6, 2)

        def forward(self, x):
            scale = 1.0 if float(x.abs().max()) < 1e6 else 0.5  # .item() under vmap
            return self.linear(x) * scale

    net = module_net(DataDependent, criterion=torch.nn.CrossEntropyLoss, max_epochs=2)
    module = net.initialize().module_
    params, buffers = torch.func.stack_module_state([module, module])
    base = copy.deepcopy(module).to("meta")
    with pytest.warns(UserWarning, match="vmap"):
        assert not _vmap_works(base, params, buffers, torch.as_tensor(X), "cpu")
    # What "auto" falls back to on an accelerator: per-net forwards.
    together = fit_nets_together(
        [clone(net) for _ in ROWS], X, Y, ROWS, vectorize=False
    )
    assert_same_training(fit_separately(net), together)


# ------------------------------------------------------------ callbacks
class WeightNorms(Callback):
    """Records the first layer's weight norm at every epoch's end."""

    def initialize(self):
        self.norms_ = []
        return self

    def on_epoch_end(self, net, **kwargs):
        self.norms_.append(float(next(net.module_.parameters()).detach().norm()))


def test_epoch_callbacks_see_each_nets_current_weights():
    net = mlp_net(callbacks=[("norms", WeightNorms())])
    together = fit_nets_together([clone(net) for _ in ROWS], X, Y, ROWS)
    separate = fit_separately(net)
    for one, other in zip(separate, together):
        norms = dict(one.callbacks_)["norms"].norms_
        np.testing.assert_allclose(
            dict(other.callbacks_)["norms"].norms_, norms, rtol=1e-6
        )
        assert len(norms) == 4


class StopAfterRows(Callback):
    """Stops a net after epoch 2 if it trains on more than ``rows`` rows: only
    some of the nets stop."""

    def __init__(self, rows):
        self.rows = rows

    def on_epoch_end(self, net, dataset_train=None, **kwargs):
        if len(net.history) == 2 and len(dataset_train) > self.rows:
            raise KeyboardInterrupt


def test_a_callback_stopping_one_net_leaves_the_others_training():
    net = mlp_net(max_epochs=5, callbacks=[("stop", StopAfterRows(82))])
    together = fit_nets_together([clone(net) for _ in ROWS], X, Y, ROWS)
    assert [len(n.history) for n in together] == [
        2 if len(rows) > 82 else 5 for rows in ROWS
    ]
    assert not any(n.interrupted_ for n in together)
    assert_same_training(fit_separately(net), together)


def test_early_stopping():
    net = mlp_net(
        max_epochs=20,
        callbacks=[EarlyStopping("train_loss", patience=1, threshold=10.0)],
    )
    together = fit_nets_together([clone(net) for _ in ROWS], X, Y, ROWS)
    assert [len(n.history) for n in together] == [2] * 5
    assert_same_training(fit_separately(net), together)


# ------------------------------------------------------- what is refused
class OwnStep(MATNeuralNetClassifier):
    def train_step(self, batch, **fit_params):
        return super().train_step(batch, **fit_params)


@pytest.mark.parametrize(
    "net, match",
    [
        (mlp_net(train_split=5), "train_split"),
        (mlp_net(optimizer=torch.optim.RMSprop), "optimizer must be"),
        (
            mlp_net(optimizer__param_groups=[("out.*", {"lr": 0.1})]),
            "param_groups",
        ),
        (mlp_net(callbacks=[GradientNormClipping(1.0)]), "GradientNormClipping"),
        (mlp_net(callbacks=[("lr", LRScheduler())]), "'lr'"),
        (mlp_net(iterator_train__collate_fn=lambda b: b), "collate_fn"),
        (
            OwnStep(MLPModule, module__n_features=6, module__n_classes=2),
            "overrides train_step",
        ),
        (
            NeuralNetClassifier(MLPModule, module__n_features=6, module__n_classes=2),
            "skmat MAT net",
        ),
    ],
)
def test_unsupported_nets_are_named(net, match):
    reason = unsupported_reason(net)
    assert reason is not None and match in reason
    if isinstance(net, MATNeuralNetClassifier):
        with pytest.raises(ValueError, match=match):
            fit_nets_together([clone(net), clone(net)], X, Y, ROWS[:2])


def test_supported_nets():
    assert unsupported_reason(mlp_net()) is None
    assert unsupported_reason(mlp_net(callbacks=[EarlyStopping()])) is None
    assert unsupported_reason(mlp_net(optimizer=torch.optim.AdamW)) is None


# ------------------------------------------------------- in MATClassifier
def _data():
    return make_spurious_classification(400, 12, random_state=0)[:2]


def test_mat_classifier_vectorize_true_equals_false():
    Xs, ys = _data()
    net = _mlp_net((16,), max_epochs=5, batch_size=64)
    fits = {
        v: MATClassifier(net, cv=3, vectorize=v, random_state=0).fit(Xs, ys)
        for v in (True, False)
    }
    np.testing.assert_allclose(
        fits[True].holdout_proba_, fits[False].holdout_proba_, atol=1e-6
    )
    np.testing.assert_allclose(fits[True].shift_, fits[False].shift_, atol=1e-5)
    np.testing.assert_array_equal(fits[True].predict(Xs), fits[False].predict(Xs))
    np.testing.assert_array_equal(
        fits[True].infer_groups(Xs, ys), fits[False].infer_groups(Xs, ys)
    )
    assert len(fits[True].holdout_estimators_) == 3
    assert all(len(m.history) == 5 for m in fits[True].holdout_estimators_)
    again = pickle.loads(pickle.dumps(fits[True]))
    np.testing.assert_array_equal(again.predict_proba(Xs), fits[True].predict_proba(Xs))


def test_mat_classifier_auto_fits_one_by_one_on_cpu(monkeypatch):
    import skmat.holdout

    calls = []
    monkeypatch.setattr(
        skmat.holdout,
        "fit_nets_together",
        lambda *a, **k: calls.append(1) or fit_nets_together(*a, **k),
    )
    Xs, ys = _data()
    net = _mlp_net((8,), max_epochs=2)
    MATClassifier(net, cv=2, random_state=0).fit(Xs, ys)
    assert calls == []
    MATClassifier(net, cv=2, vectorize=True, random_state=0).fit(Xs, ys)
    assert calls == [1]


def test_mat_classifier_vectorize_true_refuses_what_it_cannot_do():
    Xs, ys = _data()
    cases = [
        (dict(holdout_estimator=LogisticRegression()), "not a skorch net"),
        (dict(estimator=_mlp_net(train_split=3)), "train_split"),
    ]
    for params, match in cases:
        clf = MATClassifier(cv=2, vectorize=True, random_state=0, **params)
        with pytest.raises(ValueError, match=f"vectorize=True(.|\n)*{match}"):
            clf.fit(Xs, ys)
        assert not hasattr(clf, "classes_")


def test_verbose_names_the_joint_training(capsys):
    Xs, ys = _data()
    MATClassifier(
        _mlp_net((8,), max_epochs=1), cv=2, vectorize=True, verbose=1, random_state=0
    ).fit(Xs, ys)
    assert "fitting 2 copies" in capsys.readouterr().out


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_auto_trains_together_and_matches_cpu():
    Xs, ys = _data()
    net = _mlp_net((16,), max_epochs=5, batch_size=64)
    cuda = MATClassifier(net, cv=3, device="cuda", random_state=0).fit(Xs, ys)
    cpu = MATClassifier(net, cv=3, vectorize=False, random_state=0).fit(Xs, ys)
    assert next(cuda.holdout_estimators_[0].module_.parameters()).is_cuda
    np.testing.assert_allclose(cuda.holdout_proba_, cpu.holdout_proba_, atol=1e-4)
