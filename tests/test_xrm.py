"""Tests of skmat.xrm: XRM twins and their held-out probabilities."""

import copy
import pickle
import time

import numpy as np
import pytest
import torch
from _models import WithBatchNorm
from _threads import torch_threads
from skorch import NeuralNetBinaryClassifier, NeuralNetClassifier
from skorch.callbacks import Callback
from torch.nn import functional as F

from skmat import MATClassifier
from skmat.datasets import make_spurious_splits
from skmat.factory import as_mat_net
from skmat.groups import infer_groups
from skmat.mlp import MLPModule, mlp_net
from skmat.stacked import StackedModule, unfold
from skmat.xrm import XRMMixin, fit_xrm


@pytest.fixture(autouse=True)
def _one_torch_thread():
    # For speed only: these models are tiny, one thread is as fast, and far
    # faster when the machine's cores are shared (OpenMP spin-waits).
    with torch_threads(1):
        yield


def _linear_net(n_features, n_classes, **params):
    defaults = dict(
        module__in_features=n_features,
        module__out_features=n_classes,
        criterion=torch.nn.CrossEntropyLoss,
        optimizer=torch.optim.SGD,
        lr=0.5,
        batch_size=-1,
        max_epochs=50,
        train_split=None,
        verbose=0,
    )
    defaults.update(params)
    return NeuralNetClassifier(torch.nn.Linear, **defaults)


def _blobs(n=300, n_features=6, n_classes=3, seed=0):
    """Well-separated classes: class c centred at 3 * e_c."""
    rng = np.random.RandomState(seed)
    y = rng.randint(n_classes, size=n)
    X = rng.randn(n, n_features).astype(np.float32)
    X[np.arange(n), y] += 3.0
    return X, y


def _worst_group_accuracy(pred, y, groups):
    return min(np.mean(pred[groups == g] == y[groups == g]) for g in np.unique(groups))


# ------------------------------------------------------------------ outputs
def test_shapes_and_types_default_mlp():
    X, y = _blobs(n=200)
    proba, twins = fit_xrm(
        mlp_net((8,), max_epochs=3, batch_size=32), X, y, n_classes=3, random_state=0
    )
    assert isinstance(twins, XRMMixin) and isinstance(twins, NeuralNetClassifier)
    assert proba.shape == (200, 3) and proba.dtype == np.float64
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-12)
    assert np.all(proba >= 0)
    assert twins.xrm_assignment_.shape == (200,)
    assert set(np.unique(twins.xrm_assignment_)) <= {0, 1}
    assert twins.xrm_dynamic_labels_.shape == (200,)
    rates = twins.history[:, "xrm_flip_rate"]
    assert len(rates) == 3 and twins.xrm_flip_rate_ == rates[-1]
    assert twins.xrm_flip_rate_ == np.mean(twins.xrm_dynamic_labels_ != y)
    assert isinstance(twins.module_, StackedModule) and twins.module_.n_members == 2
    both = twins.predict_proba_twins(X[:7])
    assert both.shape == (2, 7, 3)
    np.testing.assert_allclose(both.sum(axis=-1), 1.0, atol=1e-12)
    np.testing.assert_allclose(twins.predict_proba(X[:7]), both.mean(axis=0))
    # Cross-mistakes (either twin wrong) infer the groups of new labelled rows.
    groups = infer_groups(y[:7], both)
    conflicting = (both.argmax(axis=-1) != y[:7]).any(axis=0)
    np.testing.assert_array_equal(groups, 2 * y[:7] + conflicting)


def test_holdout_proba_comes_from_the_other_twin():
    X, y = _blobs(n=150)
    proba, twins = fit_xrm(_linear_net(6, 3, max_epochs=5), X, y, random_state=0)
    both = twins.predict_proba_twins(X)
    expected = both[1 - twins.xrm_assignment_, np.arange(len(y))]
    np.testing.assert_allclose(proba, expected, atol=1e-12)
    with pytest.raises(ValueError, match="training rows only"):
        twins.held_out_proba(X[:10])


def test_holdout_proba_runs_each_twin_on_its_held_out_rows_only():
    X, y = _blobs(n=150)
    _, twins = fit_xrm(_linear_net(6, 3, max_epochs=2), X, y, random_state=0)
    seen = {0: 0, 1: 0}
    hooks = [
        member.register_forward_hook(
            lambda m, args, out, k=k: seen.__setitem__(k, seen[k] + len(args[0]))
        )
        for k, member in enumerate(twins.module_.members)
    ]
    try:
        twins.held_out_proba(X)
    finally:
        for hook in hooks:
            hook.remove()
    assignment = twins.xrm_assignment_
    assert seen == {0: int(np.sum(assignment == 1)), 1: int(np.sum(assignment == 0))}


def test_net_none_uses_default_mlp_and_fills_sizes():
    X, y = _blobs(n=64, n_features=4, n_classes=2)
    proba, twins = fit_xrm(None, X, y, random_state=0)
    assert proba.shape == (64, 2)
    member = twins.module_.member_state_dicts()[0]
    assert member["layers.0.weight"].shape[1] == 4
    assert member["layers.2.weight"].shape[0] == 2


def test_pickle_roundtrip():
    X, y = _blobs(n=80)
    proba, twins = fit_xrm(_linear_net(6, 3, max_epochs=3), X, y, random_state=0)
    loaded = pickle.loads(pickle.dumps(twins))
    np.testing.assert_array_equal(loaded.held_out_proba(X), proba)
    np.testing.assert_array_equal(loaded.xrm_assignment_, twins.xrm_assignment_)
    np.testing.assert_array_equal(
        loaded.predict_proba_twins(X), twins.predict_proba_twins(X)
    )


# -------------------------------------------------------- seeding, balance
def test_assignment_is_a_fair_seeded_coin():
    X, y = _blobs(n=4000, n_features=4, n_classes=2)
    net = _linear_net(4, 2, max_epochs=1)
    a = fit_xrm(net, X, y, random_state=0)[1].xrm_assignment_
    b = fit_xrm(net, X, y, random_state=0)[1].xrm_assignment_
    c = fit_xrm(net, X, y, random_state=1)[1].xrm_assignment_
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert abs(a.mean() - 0.5) < 0.03  # 4000 fair coins: sd 0.008
    for label in (0, 1):  # independent of the label
        assert abs(a[y == label].mean() - 0.5) < 0.05


def test_same_seed_identical_results_and_global_rng_untouched():
    X, y = _blobs(n=200)
    net = mlp_net((16,), max_epochs=4, batch_size=32, lr=1e-2)
    state = torch.get_rng_state()
    first, twins1 = fit_xrm(net, X, y, random_state=3)
    assert torch.equal(torch.get_rng_state(), state)
    second, twins2 = fit_xrm(net, X, y, random_state=3)
    np.testing.assert_array_equal(first, second)
    np.testing.assert_array_equal(
        twins1.xrm_dynamic_labels_, twins2.xrm_dynamic_labels_
    )
    np.testing.assert_array_equal(
        twins1.history[:, "xrm_flip_rate"], twins2.history[:, "xrm_flip_rate"]
    )
    other, _ = fit_xrm(net, X, y, random_state=4)
    assert not np.array_equal(first, other)


def test_random_state_accepts_randomstate_instance():
    X, y = _blobs(n=60)
    net = _linear_net(6, 3, max_epochs=2)
    a, _ = fit_xrm(net, X, y, random_state=np.random.RandomState(5))
    b, _ = fit_xrm(net, X, y, random_state=np.random.RandomState(5))
    np.testing.assert_array_equal(a, b)


# ------------------------------------------------- vmap, own rows, loop
def test_vmap_forward_equals_one_after_the_other():
    torch.manual_seed(0)
    twins = [MLPModule(5, 3, hidden_layer_sizes=(7, 4)) for _ in range(2)]
    x = torch.randn(11, 5)
    looped = StackedModule(twins, vmap=False)(x)
    vmapped = StackedModule(twins, vmap=True)(x)
    assert vmapped.shape == looped.shape == (22, 3)
    torch.testing.assert_close(vmapped, looped, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(unfold(looped, 2)[1], twins[1](x))


@pytest.mark.parametrize("owners", ["mixed", "all_one_twin"])
def test_own_rows_forward_equals_full_batch_loss_and_gradients(owners):
    # On the CPU each twin runs with gradients on its own rows only and without
    # on the others': the loss, the gradients and the held-out outputs equal
    # those of both twins' full-batch forwards with the other rows masked out.
    torch.manual_seed(0)
    x = torch.randn(12, 5)
    labels = torch.randint(0, 3, (12,))
    owner = torch.randint(0, 2, (12,)) if owners == "mixed" else torch.zeros(12).long()
    own = F.one_hot(owner, 2).bool()
    twins = [MLPModule(5, 3, hidden_layer_sizes=(7,)) for _ in range(2)]

    def loss_of(out):
        losses = unfold(F.cross_entropy(out, labels.repeat(2), reduction="none"), 2)
        return (losses * own.T.float()).sum()

    split = StackedModule(twins, vmap=False, others="no_grad", split_rows=True)
    full = StackedModule(copy.deepcopy(twins), vmap=False, others="no_grad")
    out_split = split(x, skmat_own_rows=owner)  # each row's twin
    out_full = full(x)
    loss_of(out_split).backward()
    loss_of(out_full).backward()
    torch.testing.assert_close(out_split, out_full)
    for a, b in zip(split.parameters(), full.parameters()):
        grad_a = torch.zeros_like(a) if a.grad is None else a.grad
        torch.testing.assert_close(grad_a, b.grad)


@pytest.mark.parametrize("optimizer", [torch.optim.SGD, torch.optim.Adam])
def test_vmap_training_equals_loop_training(optimizer):
    X, y = _blobs(n=160)
    net = mlp_net((12,), max_epochs=6, batch_size=40, lr=1e-2, optimizer=optimizer)
    vmapped, twins_v = fit_xrm(net, X, y, random_state=0, vmap=True)
    looped, twins_l = fit_xrm(net, X, y, random_state=0, vmap=False)
    np.testing.assert_array_equal(twins_v.xrm_assignment_, twins_l.xrm_assignment_)
    np.testing.assert_allclose(vmapped, looped, atol=1e-5)
    np.testing.assert_array_equal(
        twins_v.history[:, "xrm_flip_rate"], twins_l.history[:, "xrm_flip_rate"]
    )
    states = zip(
        twins_v.module_.member_state_dicts(), twins_l.module_.member_state_dicts()
    )
    for state_v, state_l in states:
        for name, value in state_l.items():
            torch.testing.assert_close(state_v[name], value, rtol=1e-4, atol=1e-5)


def test_vmap_runs_dropout_modules():
    X, y = _blobs(n=100)
    net = mlp_net((16,), module__dropout=0.2, max_epochs=3, batch_size=25)
    proba, _ = fit_xrm(net, X, y, random_state=0, vmap=True)
    again, _ = fit_xrm(net, X, y, random_state=0, vmap=True)
    np.testing.assert_array_equal(proba, again)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_vmap_matches_cpu():
    X, y = _blobs(n=400)
    net = mlp_net((32,), max_epochs=10, batch_size=50, lr=1e-2)
    cpu, twins_cpu = fit_xrm(net, X, y, random_state=0, device="cpu")
    cuda, twins_cuda = fit_xrm(net, X, y, random_state=0, device="cuda")
    assert next(twins_cuda.module_.parameters()).device.type == "cuda"
    assert twins_cuda.module_.uses_vmap((torch.zeros(2, 6, device="cuda"),), {})
    # The coins come from each device's generator: assignments agree, flips and
    # so the twins may differ a little.
    np.testing.assert_array_equal(twins_cuda.xrm_assignment_, twins_cpu.xrm_assignment_)
    assert np.mean(cuda.argmax(axis=1) == cpu.argmax(axis=1)) > 0.9
    assert twins_cuda.predict_proba_twins(X[:5]).shape == (2, 5, 3)


def test_batchnorm_twins_see_the_whole_batch_one_after_the_other():
    X, y = _blobs(n=120)
    net = NeuralNetClassifier(
        WithBatchNorm,
        module__n_classes=3,
        criterion=torch.nn.CrossEntropyLoss,
        max_epochs=3,
        batch_size=32,
        lr=0.1,
        train_split=None,
    )
    proba, twins = fit_xrm(net, X, y, random_state=0, device="cpu")
    assert not twins.module_.uses_vmap((torch.zeros(2, 6),), {})
    # running statistics were updated in each twin: 4 batches x 3 epochs
    for state in twins.module_.member_state_dicts():
        assert state["norm.num_batches_tracked"].item() == 12
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-12)


# ----------------------------------------------------------- the method
def test_twins_learn_a_separable_problem():
    X, y = _blobs(n=400, seed=0)
    X_new, y_new = _blobs(n=400, seed=1)
    proba, twins = fit_xrm(_linear_net(6, 3, max_epochs=100), X, y, random_state=0)
    assert np.mean(proba.argmax(axis=1) == y) > 0.95
    accuracy = (twins.predict_proba_twins(X_new).argmax(axis=-1) == y_new).mean(axis=1)
    assert np.all(accuracy > 0.95)
    assert twins.xrm_flip_rate_ < 0.05


def test_flip_rule_with_fixed_predictions():
    """Certain held-out predictions flip every label; uniform ones never do."""

    class Fixed(torch.nn.Module):
        def __init__(self, logits=(0.0, 0.0)):
            super().__init__()
            self.register_buffer("logits", torch.tensor(logits))
            self.unused = torch.nn.Parameter(torch.zeros(1))

        def forward(self, x):
            return self.logits.expand(x.shape[0], -1) + 0.0 * self.unused

    def fixed_net(logits):
        return NeuralNetClassifier(
            Fixed,
            module__logits=logits,
            criterion=torch.nn.CrossEntropyLoss,
            max_epochs=2,
            batch_size=10,
            lr=0.1,
            train_split=None,
        )

    X, y = _blobs(n=100, n_classes=2)
    _, twins = fit_xrm(fixed_net((30.0, 0.0)), X, y, random_state=0)
    np.testing.assert_array_equal(twins.xrm_dynamic_labels_, 0)
    assert twins.xrm_flip_rate_ == np.mean(y == 1)
    _, twins = fit_xrm(fixed_net((0.0, 0.0)), X, y, random_state=0)
    np.testing.assert_array_equal(twins.xrm_dynamic_labels_, y)
    np.testing.assert_array_equal(twins.history[:, "xrm_flip_rate"], 0.0)


def test_an_epoch_cut_short_flips_the_rows_it_trained():
    """The flips of an epoch are drawn at its end, or when training stops
    within it (Ctrl-C, a callback): from the step of each trained row only."""

    class StopAfterFirstBatch(Callback):
        def on_batch_end(self, net, **kwargs):
            raise KeyboardInterrupt

    class Certain(torch.nn.Module):  # always class 0, with certainty
        def __init__(self):
            super().__init__()
            self.unused = torch.nn.Parameter(torch.zeros(1))

        def forward(self, x):
            out = torch.tensor([30.0, 0.0]).expand(x.shape[0], -1)
            return out + 0.0 * self.unused

    X, y = _blobs(n=100, n_classes=2)
    y[:10] = 1  # the first batch: labels that a flip to class 0 changes
    net = NeuralNetClassifier(
        Certain,
        max_epochs=3,
        batch_size=10,
        iterator_train__shuffle=False,
        callbacks=[StopAfterFirstBatch()],
        train_split=None,
    )
    twins = as_mat_net(net, mixin=XRMMixin).fit(X, y)
    assert len(twins.history) == 1  # stopped within the first epoch
    np.testing.assert_array_equal(twins.xrm_dynamic_labels_[:10], 0)
    np.testing.assert_array_equal(twins.xrm_dynamic_labels_[10:], y[10:])


def test_flips_mark_noisy_labels():
    """Flipped labels are mostly the examples whose label is noise."""
    rng = np.random.RandomState(0)
    X = rng.randn(600, 10).astype(np.float32)
    clean = (X[:, 0] + X[:, 1] > 0).astype(int)
    noisy = rng.rand(600) < 0.2
    y = np.where(noisy, 1 - clean, clean)
    net = mlp_net((), lr=0.05, max_epochs=100, batch_size=64, optimizer=torch.optim.SGD)
    _, twins = fit_xrm(net, X, y, random_state=0)
    flipped = twins.xrm_dynamic_labels_ != y
    assert np.mean(noisy[flipped]) > 0.85  # precision
    assert np.mean(flipped[noisy]) > 0.6  # recall


def test_flip_modes_differ_as_defined():
    """Held-out twins that always say class 0 with p = 0.75: every epoch, a
    class-1 row's coin (probability (0.75 - 1/2) * 2 = 1/2) flips its label to 0.
    Otherwise "redraw" resets it to 1, so about half the class-1 rows end at 0;
    "persist" keeps it, so a row once flipped stays at 0 (all but 2**-8 after
    8 epochs) and the flip rate never falls. Class-0 rows never change."""

    class Fixed(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("logits", torch.tensor([np.log(3.0), 0.0]))
            self.unused = torch.nn.Parameter(torch.zeros(1))

        def forward(self, x):
            return self.logits.expand(x.shape[0], -1) + 0.0 * self.unused

    X, y = _blobs(n=200, n_classes=2)
    net = NeuralNetClassifier(
        Fixed,
        criterion=torch.nn.CrossEntropyLoss,
        max_epochs=8,
        batch_size=50,
        train_split=None,
    )
    ones = y == 1
    labels, rates = {}, {}
    for mode in ("redraw", "persist"):
        _, twins = fit_xrm(net, X, y, random_state=0, flip_mode=mode)
        assert twins.flip_mode == mode
        np.testing.assert_array_equal(twins.xrm_dynamic_labels_[~ones], 0)
        assert set(twins.xrm_dynamic_labels_[ones]) <= {0, 1}
        labels[mode] = twins.xrm_dynamic_labels_
        rates[mode] = np.asarray(twins.history[:, "xrm_flip_rate"])
    flipped = {mode: np.mean(labels[mode][ones] == 0) for mode in labels}
    assert 0.35 < flipped["redraw"] < 0.65, flipped
    assert flipped["persist"] > 0.95, flipped
    assert np.all(np.diff(rates["persist"]) >= 0)
    assert np.any(np.diff(rates["redraw"]) < 0)  # fresh draws go up and down
    # Each epoch's rate is the fraction of rows whose label differs from y.
    assert rates["persist"][-1] == np.mean(labels["persist"] != y)


def test_binary_and_probability_modules():
    X, y = _blobs(n=300, n_classes=2)
    binary = NeuralNetBinaryClassifier(
        torch.nn.Linear,
        module__in_features=6,
        module__out_features=1,
        max_epochs=50,
        lr=0.5,
        batch_size=-1,
        train_split=None,
    )
    proba, twins = fit_xrm(binary, X, y, random_state=0)
    assert isinstance(twins, NeuralNetBinaryClassifier)
    assert proba.shape == (300, 2)
    assert np.mean(proba.argmax(axis=1) == y) > 0.95

    # skorch's default NLLLoss: the module outputs probabilities
    softmax_module = torch.nn.Sequential(
        torch.nn.Linear(6, 2), torch.nn.Softmax(dim=-1)
    )
    proba_net = NeuralNetClassifier(
        softmax_module, max_epochs=50, lr=0.5, batch_size=-1, train_split=None
    )
    proba, _ = fit_xrm(proba_net, X, y, random_state=0)
    assert np.mean(proba.argmax(axis=1) == y) > 0.95
    # the instance was deep-copied, not trained in place
    assert softmax_module[0].weight.grad is None


def test_module_instance_twins_are_reinitialised():
    X, y = _blobs(n=50)
    instance = torch.nn.Linear(6, 3)
    before = instance.weight.detach().clone()
    net = NeuralNetClassifier(
        instance,
        criterion=torch.nn.CrossEntropyLoss,
        max_epochs=2,
        train_split=None,
    )
    _, twins = fit_xrm(net, X, y, random_state=0)
    a, b = (state["weight"] for state in twins.module_.member_state_dicts())
    torch.testing.assert_close(instance.weight, before)  # never trained
    assert not torch.equal(a, b)


def test_optimizer_parameters_are_used():
    X, y = _blobs(n=60)
    net = _linear_net(6, 3, max_epochs=2, optimizer__momentum=0.9, optimizer__lr=0.0)
    proba, _ = fit_xrm(net, X, y, random_state=0)
    untrained, _ = fit_xrm(_linear_net(6, 3, max_epochs=0), X, y, random_state=0)
    # optimizer__lr=0 overrides net.lr: the twins never move
    np.testing.assert_allclose(proba, untrained, atol=1e-7)


def test_verbose_prints_the_flip_rate(capsys):
    X, y = _blobs(n=40)
    fit_xrm(_linear_net(6, 3, max_epochs=2), X, y, random_state=0, verbose=1)
    out = capsys.readouterr().out
    assert "xrm_flip_rate" in out and "train_loss" in out


class CountBatches(Callback):
    """A user callback acting on every batch."""

    def initialize(self):
        self.batches = 0
        return self

    def on_batch_end(self, net, batch=None, training=False, **kwargs):
        assert isinstance(batch[0], torch.Tensor)  # the user's batch, as made
        self.batches += training


class DoubledInputNet(NeuralNetClassifier):
    """A user net whose infer transforms its input and counts its calls."""

    def infer(self, x, **fit_params):
        self.infer_calls_ = getattr(self, "infer_calls_", 0) + 1
        return super().infer(2.0 * x, **fit_params)


def test_the_users_net_runs_as_written_in_the_twins():
    X, y = _blobs(n=90)
    net = DoubledInputNet(
        torch.nn.Linear,
        module__in_features=6,
        module__out_features=3,
        criterion=torch.nn.CrossEntropyLoss,
        max_epochs=3,
        batch_size=30,
        lr=0.1,
        train_split=None,
        callbacks=[("count", CountBatches())],
    )
    _, twins = fit_xrm(net, X, y, random_state=0)
    assert isinstance(twins, DoubledInputNet)
    assert dict(twins.callbacks_)["count"].batches == 3 * 3
    assert twins.infer_calls_ >= 9


# ---------------------------------------------------------------- errors
@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(vmap="yes"), ValueError, "vmap"),
        (dict(flip_mode="sometimes"), ValueError, "flip_mode"),
        (dict(n_classes=1), ValueError, "n_classes"),
        (dict(n_classes=2.5), TypeError, "n_classes"),
        (dict(n_classes=2), ValueError, "labels in 0 .. 1"),
        (dict(device="nope"), ValueError, "device"),
    ],
)
def test_bad_parameters(kwargs, error, match):
    X, y = _blobs(n=30)
    with pytest.raises(error, match=match):
        fit_xrm(_linear_net(6, 3, max_epochs=1), X, y, **kwargs)


def test_bad_inputs():
    X, y = _blobs(n=30)
    net = _linear_net(6, 3, max_epochs=1)
    with pytest.raises(TypeError, match="skorch"):
        fit_xrm(object(), X, y)
    with pytest.raises(ValueError, match="2D"):
        fit_xrm(net, X[:, 0], y)
    with pytest.raises(ValueError, match="shape"):
        fit_xrm(net, X, y[:-1])
    with pytest.raises(ValueError, match="integer labels"):
        fit_xrm(net, X, y + 0.5)
    with pytest.raises(ValueError, match="labels in"):
        fit_xrm(net, X, y - 1)
    with pytest.raises(TypeError, match="criterion"):
        fit_xrm(_linear_net(6, 3, criterion=torch.nn.MSELoss), X, y)


# ------------------------------------------------- the paper's Figure 1
def _paper_net(max_epochs=1000):
    return NeuralNetClassifier(
        torch.nn.Linear,
        module__in_features=1800,
        module__out_features=2,
        module__bias=False,
        criterion=torch.nn.CrossEntropyLoss,
        optimizer=torch.optim.SGD,
        lr=1e-2,
        batch_size=-1,
        max_epochs=max_epochs,
        train_split=None,
        verbose=0,
    )


def _minority(groups):
    return (groups == 1) | (groups == 2)


def _precision_recall(predicted, truth):
    hits = np.sum(predicted & truth)
    return hits / max(predicted.sum(), 1), hits / truth.sum()


def _cross_mistakes(twins, X, y):
    """XRM's rule: either twin's argmax is wrong (the odd inferred groups)."""
    return infer_groups(y, twins.predict_proba_twins(X)) % 2 == 1


def test_figure1_xrm_flips_and_cross_mistakes_find_the_minority():
    """Fast version (100 XRM epochs): flips and cross-mistakes = minority."""
    data = make_spurious_splits(1000, 1800, random_state=0, noise_std=0.5)
    X, y, groups = data.train
    X_valid, y_valid, groups_valid = data.valid
    proba, twins = fit_xrm(
        _paper_net(max_epochs=100), X, y, n_classes=2, random_state=0
    )
    # the held-out twin predicts the shortcut: right on the majority, wrong on
    # the minority, so the minority's dynamic labels flip to the shortcut's
    minority = _minority(groups)
    flipped = twins.xrm_dynamic_labels_ != y
    precision, recall = _precision_recall(flipped, minority)
    assert precision >= 0.95 and recall >= 0.8
    assert abs(twins.xrm_flip_rate_ - minority.mean()) < 0.03
    held_out_right = proba.argmax(axis=1) == y
    assert held_out_right[~minority].mean() > 0.95
    assert held_out_right[minority].mean() < 0.2
    precision, recall = _precision_recall(
        _cross_mistakes(twins, X_valid, y_valid), _minority(groups_valid)
    )
    assert precision >= 0.8 and recall >= 0.8


@pytest.mark.slow
def test_figure1_mat_with_xrm_holdout_reaches_high_worst_group_accuracy():
    """The paper's net and hyper-parameters for XRM and for MAT (noise_std 0.5)."""
    data = make_spurious_splits(1000, 1800, random_state=0, noise_std=0.5)
    X, y, groups = data.train
    X_valid, y_valid, groups_valid = data.valid
    X_test, y_test, groups_test = data.test
    start = time.perf_counter()
    proba, twins = fit_xrm(_paper_net(), X, y, n_classes=2, random_state=0)
    xrm_seconds = time.perf_counter() - start
    clf = MATClassifier(_paper_net(), temperature=0.1, random_state=0)
    clf.fit(X, y, holdout_proba=proba)
    worst = _worst_group_accuracy(clf.predict(X_test), y_test, groups_test)
    precision, recall = _precision_recall(
        _cross_mistakes(twins, X_valid, y_valid), _minority(groups_valid)
    )
    print(
        f"XRM {xrm_seconds:.1f}s flip rate {twins.xrm_flip_rate_:.3f}; MAT worst-group "
        f"test accuracy {worst:.3f}; inferred minority precision {precision:.3f} "
        f"recall {recall:.3f}"
    )
    assert worst >= 0.85
    assert precision >= 0.8 and recall >= 0.8
