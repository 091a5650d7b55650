"""Tests of skmat.xrm: XRM twins and their held-out probabilities."""

import pickle
import time

import numpy as np
import pytest
import torch
from skorch import NeuralNetBinaryClassifier, NeuralNetClassifier

from skmat import MATClassifier
from skmat.datasets import make_spurious_splits
from skmat.mlp import MLPModule, mlp_net
from skmat.xrm import (
    XRMResult,
    _balanced_ce,
    _batches_by_twin,
    _LoopTwins,
    _VmapTwins,
    fit_xrm,
)


@pytest.fixture(autouse=True)
def _one_torch_thread():
    # These models are tiny: one thread is as fast, and far faster when the
    # machine's cores are shared with other processes (OpenMP spin-waits).
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


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
    result = fit_xrm(
        mlp_net((8,), max_epochs=3, batch_size=32),
        X,
        y,
        n_classes=3,
        random_state=0,
    )
    assert isinstance(result, XRMResult)
    assert result.holdout_proba.shape == (200, 3)
    assert result.holdout_proba.dtype == np.float64
    np.testing.assert_allclose(result.holdout_proba.sum(axis=1), 1.0, atol=1e-12)
    assert np.all(result.holdout_proba >= 0)
    assert result.assignment.shape == (200,)
    assert set(np.unique(result.assignment)) <= {0, 1}
    assert result.dynamic_labels.shape == (200,)
    assert result.flip_rate_history.shape == (3,)
    assert result.flip_rate == result.flip_rate_history[-1]
    assert result.flip_rate == np.mean(result.dynamic_labels != y)
    assert len(result.twins) == 2
    assert all(isinstance(t, MLPModule) and not t.training for t in result.twins)
    both = result.predict_proba_twins(X[:7])
    assert both.shape == (2, 7, 3)
    np.testing.assert_allclose(both.sum(axis=-1), 1.0, atol=1e-12)
    conflicting = result.cross_mistakes(X[:7], y[:7])
    assert conflicting.shape == (7,) and conflicting.dtype == bool
    assert "XRMResult" in repr(result)


def test_holdout_proba_comes_from_the_other_twin():
    X, y = _blobs(n=150)
    result = fit_xrm(_linear_net(6, 3, max_epochs=5), X, y, random_state=0)
    both = result.predict_proba_twins(X)
    expected = both[1 - result.assignment, np.arange(len(y))]
    np.testing.assert_allclose(result.holdout_proba, expected, atol=1e-12)


def test_net_none_uses_default_mlp_and_fills_sizes():
    X, y = _blobs(n=64, n_features=4, n_classes=2)
    result = fit_xrm(None, X, y, random_state=0)
    assert result.holdout_proba.shape == (64, 2)
    first = result.twins[0].layers[0]
    assert first.in_features == 4
    assert result.twins[0].layers[-1].out_features == 2


def test_pickle_roundtrip():
    X, y = _blobs(n=80)
    result = fit_xrm(_linear_net(6, 3, max_epochs=3), X, y, random_state=0)
    clone = pickle.loads(pickle.dumps(result))
    np.testing.assert_array_equal(clone.holdout_proba, result.holdout_proba)
    np.testing.assert_allclose(
        clone.predict_proba_twins(X), result.predict_proba_twins(X), atol=0
    )


# -------------------------------------------------------- seeding, balance
def test_assignment_is_a_fair_seeded_coin():
    X, y = _blobs(n=4000, n_features=4, n_classes=2)
    net = _linear_net(4, 2, max_epochs=1)
    a = fit_xrm(net, X, y, random_state=0).assignment
    b = fit_xrm(net, X, y, random_state=0).assignment
    c = fit_xrm(net, X, y, random_state=1).assignment
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert abs(a.mean() - 0.5) < 0.03  # 4000 fair coins: sd 0.008
    # independent of the label
    for label in (0, 1):
        assert abs(a[y == label].mean() - 0.5) < 0.05


def test_same_seed_identical_results_and_global_rng_untouched():
    X, y = _blobs(n=200)
    net = mlp_net((16,), max_epochs=4, batch_size=32, lr=1e-2)
    state = torch.get_rng_state()
    first = fit_xrm(net, X, y, random_state=3)
    assert torch.equal(torch.get_rng_state(), state)
    second = fit_xrm(net, X, y, random_state=3)
    np.testing.assert_array_equal(first.holdout_proba, second.holdout_proba)
    np.testing.assert_array_equal(first.dynamic_labels, second.dynamic_labels)
    np.testing.assert_array_equal(first.flip_rate_history, second.flip_rate_history)
    other = fit_xrm(net, X, y, random_state=4)
    assert not np.array_equal(first.holdout_proba, other.holdout_proba)


def test_random_state_accepts_randomstate_instance():
    X, y = _blobs(n=60)
    net = _linear_net(6, 3, max_epochs=2)
    a = fit_xrm(net, X, y, random_state=np.random.RandomState(5))
    b = fit_xrm(net, X, y, random_state=np.random.RandomState(5))
    np.testing.assert_array_equal(a.holdout_proba, b.holdout_proba)


# ------------------------------------------------------------ vmap vs loop
def test_vmap_forward_equals_two_forwards():
    torch.manual_seed(0)
    twins = [MLPModule(5, 3, hidden_layer_sizes=(7, 4)) for _ in range(2)]
    x = torch.randn(11, 5)
    looped = _LoopTwins(twins)(x)
    vmapped = _VmapTwins(twins)(x)
    assert vmapped.shape == looped.shape == (2, 11, 3)
    torch.testing.assert_close(vmapped, looped, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("owners", ["mixed", "all_one_twin"])
def test_split_step_equals_full_batch_loss_and_gradients(owners):
    # The plain path trains each twin on its own rows only; loss, gradients and
    # held-out logits must equal those of both twins' full-batch forwards.
    torch.manual_seed(0)
    X = torch.randn(30, 5)
    rows = torch.randperm(30)[:12]
    labels = torch.randint(0, 3, (12,))
    owner = torch.randint(0, 2, (12,)) if owners == "mixed" else torch.zeros(12).long()
    twins = [MLPModule(5, 3, hidden_layer_sizes=(7,)) for _ in range(2)]

    # split_step takes the batch with twin 0's rows first.
    by_twin = torch.argsort(owner, stable=True)
    rows, labels, owner = rows[by_twin], labels[by_twin], owner[by_twin]
    n_first = int((owner == 0).sum())
    loss, held_out = _LoopTwins(twins).split_step(X[rows], n_first, labels, "logits", 3)
    loss.backward()
    split_grads = [p.grad.clone() for t in twins for p in t.parameters()]
    for t in twins:
        t.zero_grad()
    logits = _LoopTwins(twins)(X[rows])
    mask = (owner.unsqueeze(0) == torch.arange(2).unsqueeze(1)).float()
    full = _balanced_ce(logits, labels, mask, 3)
    full.backward()
    full_grads = [p.grad for t in twins for p in t.parameters()]

    torch.testing.assert_close(loss, full)
    for g_split, g_full in zip(split_grads, full_grads):
        torch.testing.assert_close(g_split, g_full)  # zero, not None, for an idle twin
    torch.testing.assert_close(held_out, logits.detach()[1 - owner, torch.arange(12)])


def test_batches_by_twin_keep_the_epoch_order_of_batches():
    order = torch.randperm(50)
    assignment = torch.randint(0, 2, (50,))
    batches = _batches_by_twin(order, assignment, 16)
    assert [len(rows) for rows, _ in batches] == [16, 16, 16, 2]
    for b, (rows, n_first) in enumerate(batches):
        # the same rows as the plain cut of the shuffled order, twin 0's first
        assert sorted(rows.tolist()) == sorted(order[16 * b : 16 * (b + 1)].tolist())
        assert (assignment[rows[:n_first]] == 0).all()
        assert (assignment[rows[n_first:]] == 1).all()


@pytest.mark.parametrize("optimizer", [torch.optim.SGD, torch.optim.Adam])
def test_vmap_training_equals_loop_training(optimizer):
    X, y = _blobs(n=160)
    net = mlp_net((12,), max_epochs=6, batch_size=40, lr=1e-2, optimizer=optimizer)
    vmapped = fit_xrm(net, X, y, random_state=0, vectorize=True)
    looped = fit_xrm(net, X, y, random_state=0, vectorize=False)
    assert vmapped.vectorized and not looped.vectorized
    np.testing.assert_array_equal(vmapped.assignment, looped.assignment)
    np.testing.assert_allclose(vmapped.holdout_proba, looped.holdout_proba, atol=1e-5)
    np.testing.assert_array_equal(vmapped.flip_rate_history, looped.flip_rate_history)
    for tv, tl in zip(vmapped.twins, looped.twins):
        for pv, pl in zip(tv.parameters(), tl.parameters()):
            torch.testing.assert_close(pv, pl, rtol=1e-4, atol=1e-5)


def test_vmap_runs_dropout_modules():
    X, y = _blobs(n=100)
    net = mlp_net((16,), module__dropout=0.2, max_epochs=3, batch_size=25)
    result = fit_xrm(net, X, y, random_state=0, vectorize=True)
    again = fit_xrm(net, X, y, random_state=0, vectorize=True)
    assert result.vectorized
    assert any(isinstance(m, torch.nn.Dropout) for m in result.twins[0].modules())
    np.testing.assert_array_equal(result.holdout_proba, again.holdout_proba)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_vmap_matches_cpu():
    X, y = _blobs(n=400)
    net = mlp_net((32,), max_epochs=10, batch_size=50, lr=1e-2)
    cpu = fit_xrm(net, X, y, random_state=0, device="cpu")
    cuda = fit_xrm(net, X, y, random_state=0, device="cuda")
    assert cuda.vectorized and not cpu.vectorized
    assert next(cuda.twins[0].parameters()).device.type == "cuda"
    np.testing.assert_array_equal(cuda.assignment, cpu.assignment)
    # same seeds, same coins: only float rounding differs
    np.testing.assert_allclose(cuda.holdout_proba, cpu.holdout_proba, atol=1e-3)
    assert cuda.predict_proba_twins(X[:5]).shape == (2, 5, 3)


def test_auto_uses_plain_forwards_for_batchnorm():
    class WithBatchNorm(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.hidden = torch.nn.Linear(6, 8)
            self.norm = torch.nn.BatchNorm1d(8)
            self.out = torch.nn.Linear(8, 3)

        def forward(self, x):
            return self.out(torch.relu(self.norm(self.hidden(x))))

    X, y = _blobs(n=120)
    net = NeuralNetClassifier(
        WithBatchNorm,
        criterion=torch.nn.CrossEntropyLoss,
        max_epochs=3,
        batch_size=32,
        lr=0.1,
        train_split=None,
    )
    result = fit_xrm(net, X, y, random_state=0, device="cpu")
    assert not result.vectorized
    # running statistics were updated in each twin
    assert all(t.norm.num_batches_tracked.item() > 0 for t in result.twins)
    np.testing.assert_allclose(result.holdout_proba.sum(axis=1), 1.0, atol=1e-12)


# ----------------------------------------------------------- the method
def test_twins_learn_a_separable_problem():
    X, y = _blobs(n=400, seed=0)
    X_new, y_new = _blobs(n=400, seed=1)
    result = fit_xrm(_linear_net(6, 3, max_epochs=100), X, y, random_state=0)
    assert np.mean(result.holdout_proba.argmax(axis=1) == y) > 0.95
    accuracy = (result.predict_proba_twins(X_new).argmax(axis=-1) == y_new).mean(axis=1)
    assert np.all(accuracy > 0.95)
    assert result.flip_rate < 0.05


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
    result = fit_xrm(fixed_net((30.0, 0.0)), X, y, random_state=0)
    np.testing.assert_array_equal(result.dynamic_labels, 0)
    assert result.flip_rate == np.mean(y == 1)
    result = fit_xrm(fixed_net((0.0, 0.0)), X, y, random_state=0)
    np.testing.assert_array_equal(result.dynamic_labels, y)
    np.testing.assert_array_equal(result.flip_rate_history, 0.0)


def test_flips_mark_noisy_labels():
    """Flipped labels are mostly the examples whose label is noise."""
    rng = np.random.RandomState(0)
    X = rng.randn(600, 10).astype(np.float32)
    clean = (X[:, 0] + X[:, 1] > 0).astype(int)
    noisy = rng.rand(600) < 0.2
    y = np.where(noisy, 1 - clean, clean)
    net = mlp_net((), lr=0.05, max_epochs=100, batch_size=64, optimizer=torch.optim.SGD)
    result = fit_xrm(net, X, y, random_state=0)
    flipped = result.dynamic_labels != y
    assert np.mean(noisy[flipped]) > 0.85  # precision
    assert np.mean(flipped[noisy]) > 0.6  # recall


@pytest.mark.parametrize("flip_mode", ["redraw", "persist"])
def test_flip_modes_run(flip_mode):
    X, y = _blobs(n=100)
    result = fit_xrm(
        _linear_net(6, 3, max_epochs=5), X, y, random_state=0, flip_mode=flip_mode
    )
    assert 0.0 <= result.flip_rate <= 1.0


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
    result = fit_xrm(binary, X, y, random_state=0)
    assert result.output_kind == "binary_logit"
    assert result.holdout_proba.shape == (300, 2)
    assert np.mean(result.holdout_proba.argmax(axis=1) == y) > 0.95

    # skorch's default NLLLoss: the module outputs probabilities
    softmax_module = torch.nn.Sequential(
        torch.nn.Linear(6, 2), torch.nn.Softmax(dim=-1)
    )
    proba_net = NeuralNetClassifier(
        softmax_module, max_epochs=50, lr=0.5, batch_size=-1, train_split=None
    )
    result = fit_xrm(proba_net, X, y, random_state=0)
    assert result.output_kind == "proba"
    assert np.mean(result.holdout_proba.argmax(axis=1) == y) > 0.95
    # the instance was deep-copied, not trained in place
    assert all(t is not softmax_module for t in result.twins)
    assert softmax_module[0].weight.grad is None


def test_module_instance_twins_are_reinitialised():
    X, y = _blobs(n=50)
    instance = torch.nn.Linear(6, 3)
    before = instance.weight.detach().clone()
    net = NeuralNetClassifier(
        instance,
        module__in_features=6,
        criterion=torch.nn.CrossEntropyLoss,
        max_epochs=0,
        train_split=None,
    )
    with pytest.warns(UserWarning, match="module instance"):
        result = fit_xrm(net, X, y, random_state=0)
    a, b = result.twins
    torch.testing.assert_close(instance.weight, before)
    assert not torch.equal(a.weight, b.weight)
    assert not torch.equal(a.weight, before)


def test_optimizer_parameters_are_used():
    X, y = _blobs(n=60)
    net = _linear_net(6, 3, max_epochs=2, optimizer__momentum=0.9, optimizer__lr=0.0)
    result = fit_xrm(net, X, y, random_state=0)
    untrained = fit_xrm(_linear_net(6, 3, max_epochs=0), X, y, random_state=0)
    # optimizer__lr=0 overrides net.lr: the twins never move
    np.testing.assert_allclose(result.holdout_proba, untrained.holdout_proba, atol=1e-7)


def test_verbose_prints(capsys):
    X, y = _blobs(n=40)
    fit_xrm(_linear_net(6, 3, max_epochs=2), X, y, random_state=0, verbose=1)
    assert "[fit_xrm] epoch 1/2 flip rate" in capsys.readouterr().out


# ---------------------------------------------------------------- errors
@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(vectorize="yes"), ValueError, "vectorize"),
        (dict(flip_mode="sometimes"), ValueError, "flip_mode"),
        (dict(n_classes=1), ValueError, "n_classes"),
        (dict(n_classes=2.5), TypeError, "n_classes"),
        (dict(n_classes=2), ValueError, "labels in 0 .. 1"),
        (dict(n_classes=4), ValueError, "output, read as class logits, has shape"),
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
    with pytest.raises(ValueError, match="2-D"):
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


def test_figure1_xrm_flips_and_cross_mistakes_find_the_minority():
    """Fast version (100 XRM epochs): flips and cross-mistakes = minority."""
    data = make_spurious_splits(1000, 1800, random_state=0, noise_std=0.5)
    X, y, groups = data.train
    X_valid, y_valid, groups_valid = data.valid
    result = fit_xrm(_paper_net(max_epochs=100), X, y, n_classes=2, random_state=0)
    # the held-out twin predicts the shortcut: right on the majority, wrong on
    # the minority, so the minority's dynamic labels flip to the shortcut's
    minority = _minority(groups)
    flipped = result.dynamic_labels != y
    precision, recall = _precision_recall(flipped, minority)
    assert precision >= 0.95 and recall >= 0.8
    assert abs(result.flip_rate - minority.mean()) < 0.03
    held_out_right = result.holdout_proba.argmax(axis=1) == y
    assert held_out_right[~minority].mean() > 0.95
    assert held_out_right[minority].mean() < 0.2
    precision, recall = _precision_recall(
        result.cross_mistakes(X_valid, y_valid), _minority(groups_valid)
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
    result = fit_xrm(_paper_net(), X, y, n_classes=2, random_state=0)
    xrm_seconds = time.perf_counter() - start
    clf = MATClassifier(_paper_net(), temperature=0.1, random_state=0)
    clf.fit(X, y, holdout_proba=result.holdout_proba)
    worst = _worst_group_accuracy(clf.predict(X_test), y_test, groups_test)
    precision, recall = _precision_recall(
        result.cross_mistakes(X_valid, y_valid), _minority(groups_valid)
    )
    print(
        f"XRM {xrm_seconds:.1f}s flip rate {result.flip_rate:.3f}; MAT worst-group "
        f"test accuracy {worst:.3f}; inferred minority precision {precision:.3f} "
        f"recall {recall:.3f}"
    )
    assert worst >= 0.85
    assert precision >= 0.8 and recall >= 0.8
