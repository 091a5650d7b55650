"""Speed and memory of skmat's training against a bare PyTorch loop and skorch.

Usage: python benchmarks/speed.py [--quick] [--repeats 3] [--paper-rounds N]
       [--device cpu|cuda] [--threads N] [--skip-memory] [--skip-sparse]
       [--sync-check]
       [--shapes NAME ...] [--baseline FILE|REVISION] [--output FILE]
-> writes benchmarks/results/speed.md (and prints it)

First the paper's own script (``paper``): the Figure 1 problem (1,000 x 1,800,
a bias-free linear layer, full-batch SGD, lr 1e-2, 1000 epochs), bare PyTorch
ERM and MAT loops written from the paper's description (XRM twins on a
coin-flip split with label flips, then the shifted final net) beside skmat's
``ERMClassifier`` and ``MATClassifier`` (XRM and cv=2), on the same data and
seeds, rounds alternating the order; medians of per-round ratios
(``PAPER_TEXT``). Then, on the same data, network, optimizer (Adam, lr 1e-3),
batch size (256, shuffled) and epochs, the shapes the other targets are set
for:

* ``tabular``: 20,000 x 100 float32, MLP 100-256-2, 10 epochs;
* ``embedding``: 200,000 x 512 float32 (Waterbirds-feature-like), linear head
  512-2, 3 epochs (fewer epochs so that the whole run stays within ~15 min on
  2 CPU cores);
* ``images``: 10,000 x 3 x 32 x 32 float32, a small CNN (two 3x3 convolutions
  of 16 and 32 channels, max pooling, a linear head), 2 epochs;

and a fourth, without targets, where per-step overhead dominates and training
the folds together pays most: ``small``: 2,000 x 20, MLP 20-32-2, 50 epochs.

Per shape, (a) a bare PyTorch loop, (b) skorch's defaults and (c) skmat's
final-network training with a shift, per epoch, then (d) whole fits: ERM against
``MATClassifier`` with cv=2, cv=5 (folds one by one, and trained together) and
XRM; in wall-clock and process CPU time (robust to other processes on the same
cores; use ``--threads 1`` on a shared machine, where torch's intra-op threads
wait for each other). Then the peak memory of fits on a large table, and fits
on sparse TF-IDF features, each fit in a fresh subprocess (this script run with
a hidden flag). ``METHOD``, ``MEMORY_TEXT`` and ``SPARSE_TEXT`` below say how
each is measured: the results file carries the same text. A target missed by
(c) or (d) adds a cProfile breakdown to the results. Every number is the median
of ``--repeats`` runs; the variants are interleaved within each repeat (a, b, c,
ERM, cv=2, cv=5, XRM, then again), after one untimed warm-up of each.
``--baseline`` sets each ratio beside the same ratio in an earlier results file
(or in its copy committed at a git revision).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import os
import pathlib
import pstats
import re
import resource
import subprocess
import sys
import time

import numpy as np
import torch
from skorch import NeuralNetClassifier
from skorch.callbacks import Callback
from torch import nn

from _common import machine_description
from skmat import MATClassifier
from skmat.mlp import MLPModule
from skmat.nets import MATNeuralNetClassifier

HERE = pathlib.Path(__file__).resolve().parent
REPO_ROOT = HERE.parent
RESULTS = HERE / "results" / "speed.md"
LR = 1e-3
BATCH_SIZE = 256
SEED = 0

# name, n_samples, shape of a row, hidden layers of the MLP or "cnn", epochs
FULL_SHAPES = [
    ("tabular", 20_000, (100,), (256,), 10),
    ("embedding", 200_000, (512,), (), 3),
    ("images", 10_000, (3, 32, 32), "cnn", 2),
    ("small", 2_000, (20,), (32,), 50),
]
QUICK_SHAPES = [
    ("tabular", 2_000, (100,), (256,), 2),
    ("embedding", 10_000, (512,), (), 1),
    ("images", 1_000, (3, 32, 32), "cnn", 1),
    ("small", 500, (20,), (32,), 5),
]
# documents, terms, terms per document
FULL_SPARSE = (50_000, 20_000, 100)
QUICK_SPARSE = (5_000, 2_000, 50)
SPARSE_HIDDEN = (64,)
FULL_MEMORY = (1_000_000, 128)
QUICK_MEMORY = (50_000, 128)
MEMORY_BATCH = 1024

TARGET_EPOCH = 1.2  # (c)/(a) per epoch, CPU and GPU
TARGET_CV2 = 2.3  # MAT cv=2 / ERM, CPU
TARGET_XRM = 3.2  # MAT XRM / ERM, CPU
TARGET_CV5_GPU = 2.0  # MAT cv=5 / ERM, GPU
TARGET_MEMORY = 3.0  # peak RSS / X.nbytes
# The shapes the targets are set for; "small" (a net where per-step overhead
# dominates) shows where training the folds together pays, without a target.
TARGET_SHAPES = {"tabular", "embedding", "images"}
# Fit variants with a target: (limit on / ERM, where it is set). A "CPU" target is
# checked on every device (as the CPU targets were set), a "GPU" one only on a GPU.
FIT_TARGETS = {
    "cv2": (TARGET_CV2, "CPU"),
    "xrm": (TARGET_XRM, "CPU"),
    "cv5_together": (TARGET_CV5_GPU, "GPU"),
}

EPOCH_LABELS = {
    "a": "(a) bare PyTorch loop",
    "b": "(b) skorch defaults",
    "c": "(c) skmat final net + shift",
    "c_dev": "(c) with X already on the device",
}
FIT_LABELS = {
    "erm": "ERM (net.fit)",
    "cv2": "MATClassifier cv=2",
    "cv5": "MATClassifier cv=5",
    "cv5_together": "MATClassifier cv=5, folds_together=True",
    "xrm": "MATClassifier holdout='xrm'",
}
# Rows x epochs of training relative to ERM: cv=k trains k nets on (k-1)/k of
# the rows, then the final net; XRM runs both twins (forward and backward) on
# every row of every batch, then the final net.
WORK_RATIO = {"erm": 1.0, "cv2": 2.0, "cv5": 5.0, "cv5_together": 5.0, "xrm": 3.0}
# MATClassifier parameters of each fit variant: "cv5" fits the folds one by one,
# "cv5_together" as one joint net (MATClassifier's default, "auto", picks the
# latter on a GPU and the former on CPU).
# The held-out nets train for the net's own epochs (holdout_epochs=None), the
# budget the targets were set for (MATClassifier's default is a tenth of them).
FIT_PARAMS = {
    "cv2": dict(holdout="cv", cv=2, holdout_epochs=None),
    "cv5": dict(holdout="cv", cv=5, folds_together=False, holdout_epochs=None),
    "cv5_together": dict(holdout="cv", cv=5, folds_together=True, holdout_epochs=None),
    "xrm": dict(holdout="xrm", holdout_epochs=None),
}
# The parts of a MATClassifier fit that a cProfile sums: label | file | function.
PROFILE_PARTS = [
    line.split(" | ")
    for line in """
MATClassifier.fit, total | mat.py | fit
training loops of the skorch nets (run_single_epoch) | net.py | run_single_epoch
XRM twins: training and their prediction (fit_xrm) | xrm.py | fit_xrm
fold nets trained together (fit_folds_together) | together.py | fit_folds_together
fold copies of X (take_rows) | _inputs.py | take_rows
held-out prediction (skorch predict_proba) | net.py | predict_proba
twins' prediction on the training set | xrm.py | predict_proba_twins
input validation (check_X) | _inputs.py | check_X
float32 copy of X for the nets (for_nets) | _inputs.py | for_nets
the shift (mat_shift) | transition.py | mat_shift
the guard: the final net's prediction on its training rows | mat.py | _check_final
""".strip().splitlines()
]


# ------------------------------------------------------------------------ data
def make_data(n_samples, row_shape, seed=SEED):
    """float32 rows of any shape (no float64 temporary), labels with a learnable
    signal in the first values of each row."""
    if isinstance(row_shape, int):
        row_shape = (row_shape,)
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_samples, *row_shape), dtype=np.float32)
    score = X.reshape(n_samples, -1)[:, :5].sum(axis=1)
    score += rng.standard_normal(n_samples, dtype=np.float32)
    y = (score > 0).astype(np.int64)
    return X, y


def make_tfidf(n_docs, n_terms, terms_per_doc, seed=SEED):
    """A TF-IDF-like CSR matrix (float32, rows of unit norm, Zipf-like term
    frequencies) and labels carried by a few keyword terms."""
    import scipy.sparse as sp

    rng = np.random.default_rng(seed)
    ranks = np.arange(1, n_terms + 1)
    term_p = 1.0 / ranks / np.sum(1.0 / ranks)
    indices = rng.choice(n_terms, size=(n_docs, terms_per_doc), p=term_p)
    values = rng.random((n_docs, terms_per_doc), dtype=np.float32) + 0.1
    indptr = np.arange(0, indices.size + 1, terms_per_doc)
    X = sp.csr_matrix(
        (values.ravel(), indices.ravel(), indptr),
        shape=(n_docs, n_terms),
        dtype=np.float32,
    )
    X.sum_duplicates()
    norms = np.sqrt(np.asarray(X.multiply(X).sum(axis=1))).ravel()
    X = sp.diags(1.0 / np.maximum(norms, 1e-12)).astype(np.float32) @ X
    keywords = rng.choice(np.arange(n_terms // 10, n_terms), size=20, replace=False)
    score = np.asarray(X[:, keywords].sum(axis=1)).ravel()
    y = (score > np.median(score)).astype(np.int64)
    return X.tocsr(), y


class BenchCNN(nn.Module):
    """The images shape's CNN: two 3x3 convolutions, max pooling, linear head."""

    def __init__(self, in_channels=3, size=32, n_classes=2):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 16, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
        )
        self.head = nn.Linear(32 * (size // 4) ** 2, n_classes)

    def forward(self, X):
        return self.head(self.features(X).flatten(1))


def random_shift(n_samples, n_classes=2, seed=SEED):
    """A valid MAT shift: the log of a probability vector per row."""
    rng = np.random.default_rng(seed + 1)
    proba = rng.dirichlet(np.ones(n_classes), size=n_samples)
    return np.log(np.maximum(proba, 1e-12)).astype(np.float32)


def module_kwargs(row_shape, hidden):
    if hidden == "cnn":
        return dict(in_channels=row_shape[0], size=row_shape[-1])
    n_features = int(np.prod(row_shape))
    return dict(n_features=n_features, n_classes=2, hidden_layer_sizes=hidden)


def module_class(hidden):
    return BenchCNN if hidden == "cnn" else MLPModule


def describe_net(row_shape, hidden):
    if hidden == "cnn":
        return "CNN"
    arch = "-".join(str(v) for v in (int(np.prod(row_shape)), *hidden, 2))
    return f"{'MLP' if hidden else 'linear head'} {arch}"


def net_params(row_shape, hidden, epochs, device, batch_size=BATCH_SIZE):
    """The skorch parameters shared by (b), (c) and (d)."""
    params = dict(
        module=module_class(hidden),
        criterion=nn.CrossEntropyLoss,
        optimizer=torch.optim.Adam,
        lr=LR,
        batch_size=batch_size,
        max_epochs=epochs,
        train_split=None,
        verbose=0,
        device=device,
        iterator_train__shuffle=True,  # as (a): a new random order each epoch
    )
    kwargs = module_kwargs(row_shape, hidden)
    return params | {f"module__{k}": v for k, v in kwargs.items()}


def mat_net(row_shape, hidden, epochs, device, batch_size=BATCH_SIZE, **params):
    return MATNeuralNetClassifier(
        **net_params(row_shape, hidden, epochs, device, batch_size),
        random_state=SEED,
        **params,
    )


def fit_kind(kind, net, X, y):
    """ERM (``kind="erm"``: ``net`` fitted plainly) or a MATClassifier fit around
    ``net`` with the parameters ``FIT_PARAMS[kind]``; returns the fitted one."""
    if kind == "erm":
        return net.fit(X, y)
    return MATClassifier(net, random_state=SEED, **FIT_PARAMS[kind]).fit(X, y)


class CpuEpochTimer(Callback):
    """Records the process CPU time of each epoch as ``history[:, "cpu_dur"]``."""

    def on_epoch_begin(self, net, **kwargs):
        self.start_ = time.process_time()

    def on_epoch_end(self, net, **kwargs):
        net.history.record("cpu_dur", time.process_time() - self.start_)


# -------------------------------------------------------------------- variants
# (a)-(c) return {"wall": s / epoch, "cpu": CPU s / epoch, "fit": wall s of the
# whole call}; (d) {"wall": s, "cpu": CPU s, and the seconds of its phases:
# "final" net, "holdout_train" and "other" (these two not for ERM)}.
def run_bare(X, y, hidden, epochs, device):
    """(a) The bare loop."""
    start = time.perf_counter()
    torch.manual_seed(SEED)
    model = module_class(hidden)(**module_kwargs(X.shape[1:], hidden)).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=LR)
    criterion = nn.CrossEntropyLoss()
    X_t = torch.from_numpy(X).to(device)
    y_t = torch.from_numpy(y).to(device)
    n_samples = X_t.shape[0]
    model.train()
    walls, cpus = [], []
    for _ in range(epochs):
        epoch_wall, epoch_cpu = time.perf_counter(), time.process_time()
        perm = torch.randperm(n_samples, device=device)
        for i in range(0, n_samples, BATCH_SIZE):
            idx = perm[i : i + BATCH_SIZE]
            xb, yb = X_t[idx], y_t[idx]
            optimizer.zero_grad()
            loss = criterion(model(xb), yb)
            loss.backward()
            optimizer.step()
        if torch.device(device).type == "cuda":
            torch.cuda.synchronize()
        walls.append(time.perf_counter() - epoch_wall)
        cpus.append(time.process_time() - epoch_cpu)
    return _per_epoch(start, walls, cpus)


def _per_epoch(start, walls, cpus):
    """Wall and CPU seconds per epoch, and the wall seconds since ``start``."""
    return dict(
        wall=float(np.sum(walls)) / len(walls),
        cpu=float(np.sum(cpus)) / len(cpus),
        fit=time.perf_counter() - start,
    )


def _skorch_epochs(net, start):
    return _per_epoch(start, net.history[:, "dur"], net.history[:, "cpu_dur"])


def run_skorch_default(X, y, hidden, epochs, device):
    """(b) skorch's NeuralNetClassifier, default Dataset/DataLoader path."""
    start = time.perf_counter()
    torch.manual_seed(SEED)
    net = NeuralNetClassifier(
        **net_params(X.shape[1:], hidden, epochs, device),
        callbacks=[("cpu_timer", CpuEpochTimer())],
    )
    return _skorch_epochs(net.fit(X, y), start)


def run_skmat_shifted(X, y, hidden, epochs, device, shift):
    """(c) skmat's final-network training with a shift.

    ``X`` may be a NumPy array (as ``MATClassifier`` passes it) or a tensor
    already on the device.
    """
    start = time.perf_counter()
    timer = [("cpu_timer", CpuEpochTimer())]
    net = mat_net(X.shape[1:], hidden, epochs, device, callbacks=timer)
    return _skorch_epochs(net.fit(X, y, mat_shift=shift), start)


def run_fit(kind, X, y, hidden, epochs, device):
    """(d) One fit of ``kind`` (a key of FIT_LABELS), timed, with its phases."""
    net = mat_net(X.shape[1:], hidden, epochs, device)
    wall, cpu = time.perf_counter(), time.process_time()
    fitted = fit_kind(kind, net, X, y)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    final = net if kind == "erm" else fitted.estimator_
    times = dict(wall=wall, cpu=cpu, final=float(np.sum(final.history[:, "dur"])))
    if kind == "erm":
        return times
    if hasattr(fitted, "xrm_"):
        held_out = float(np.sum(fitted.xrm_.history[:, "dur"]))
    elif FIT_PARAMS[kind].get("folds_together") is True:
        # Trained together as one net, whose epochs the fold nets do not keep:
        # the rest of the fit, the final net's epochs aside.
        held_out = wall - times["final"]
    else:
        nets = fitted.holdout_estimators_
        held_out = float(sum(np.sum(m.history[:, "dur"]) for m in nets))
    return times | dict(holdout_train=held_out, other=wall - times["final"] - held_out)


# ------------------------------------------------------ the paper's own script
# The Figure 1 problem as the paper trains it: n = 1000, d = 1800, a bias-free
# linear layer, full-batch SGD (lr 1e-2), 1000 epochs; MAT's held-out phase is
# two XRM twins trained for as many epochs, then the final net with the shift.
PAPER = dict(n_samples=1000, n_features=1800, epochs=1000, lr=1e-2)
QUICK_PAPER = dict(n_samples=300, n_features=200, epochs=100, lr=1e-2)
PAPER_TEMPERATURE = 0.1  # MATClassifier's default, the paper's Figure 1 value
TARGET_PAPER = 1.3  # skmat / the bare loop, ERM and MAT (XRM), CPU
# key: (label, bare loop it is measured against, target)
PAPER_LABELS = {
    "bare_erm": ("(a) bare PyTorch ERM loop", None, None),
    "skorch_floor": (
        "skorch's loop alone (no callbacks, one-tensor data)",
        "bare_erm",
        None,
    ),
    "erm": ("ERMClassifier", "bare_erm", TARGET_PAPER),
    "bare_mat": ("(a) bare PyTorch MAT loop", None, None),
    "xrm": ("MATClassifier holdout='xrm'", "bare_mat", TARGET_PAPER),
    "cv2": ("MATClassifier holdout='cv', cv=2", "bare_mat", None),
}


def paper_data(seed, size):
    from skmat.datasets import make_spurious_splits

    data = make_spurious_splits(
        size["n_samples"], size["n_features"], random_state=seed
    )
    return data.train, data.test


def bare_erm(X, y, size, seed, device):
    """The paper's ERM, as its script writes it: one tensor of the whole set,
    then per epoch zero_grad, forward, loss, backward, step."""
    torch.manual_seed(seed)
    X_t = torch.as_tensor(X, dtype=torch.float32, device=device)
    y_t = torch.as_tensor(y, device=device)
    model = nn.Linear(X_t.shape[1], 2, bias=False).to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=size["lr"])
    for _ in range(size["epochs"]):
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(X_t), y_t)
        loss.backward()
        optimizer.step()
    return model


def bare_mat(X, y, size, seed, device, temperature=PAPER_TEMPERATURE):
    """The paper's MAT from its description: XRM twins, then the shifted net.

    Twins: a fair coin assigns each row to one of two bias-free linear layers;
    each step both twins run on every row, each twin's loss is the
    class-balanced cross-entropy of its own rows against their dynamic labels,
    one SGD step updates both; then each row's dynamic label becomes the
    held-out twin's argmax with probability ``(p_max - 1/C) C / (C - 1)``, else
    its true label. The held-out twin's softmax (after training) sharpened by
    the temperature gives the transition matrix and the shift
    ``log(q_i @ M)``; the final net trains on ``CE(f(x) + shift, y)``.
    """
    torch.manual_seed(seed)
    X_t = torch.as_tensor(X, dtype=torch.float32, device=device)
    y_t = torch.as_tensor(y, device=device)
    n, c = len(y_t), 2
    twins = [nn.Linear(X_t.shape[1], c, bias=False).to(device) for _ in range(2)]
    params = [p for twin in twins for p in twin.parameters()]
    optimizer = torch.optim.SGD(params, lr=size["lr"])
    assignment = torch.randint(0, 2, (n,), device=device)
    own = [assignment == k for k in range(2)]
    held_out_first = (assignment == 0)[:, None]  # row of twin 0: twin 1 holds it out
    labels = y_t.clone()
    for _ in range(size["epochs"]):
        optimizer.zero_grad()
        outputs = [twin(X_t) for twin in twins]
        loss = 0.0
        for k in range(2):
            losses = nn.functional.cross_entropy(
                outputs[k][own[k]], labels[own[k]], reduction="none"
            )
            mine = labels[own[k]]
            for label in range(c):
                in_class = mine == label
                if in_class.any():
                    loss = loss + losses[in_class].mean()
        loss.backward()
        optimizer.step()
        with torch.no_grad():
            held_out = torch.where(held_out_first, outputs[1], outputs[0])
            confidence, guess = held_out.softmax(dim=1).max(dim=1)
            flip = torch.rand(n, device=device) < (confidence - 1 / c) * c / (c - 1)
            labels = torch.where(flip, guess, y_t)
    with torch.no_grad():
        proba = torch.where(held_out_first, twins[1](X_t), twins[0](X_t)).softmax(1)
        q = torch.softmax(torch.log(proba) / temperature, dim=1)
        joint = q.T @ nn.functional.one_hot(y_t, c).to(q.dtype) / n
        transition = joint / joint.sum(dim=1, keepdim=True)
        shift = torch.log(q @ transition)
    model = nn.Linear(X_t.shape[1], c, bias=False).to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=size["lr"])
    for _ in range(size["epochs"]):
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(X_t) + shift, y_t)
        loss.backward()
        optimizer.step()
    return model


def skorch_floor(X, y, size, seed, device):
    """skorch's own training loop with nothing added: no callbacks, and a
    dataset that hands over the whole set as one pair of tensors (no sampler
    gather, no collate). What any net extending skorch's loop pays per epoch
    beyond the bare loop. Returns a predict function."""
    X_t = torch.as_tensor(X, dtype=torch.float32, device=device)
    y_t = torch.as_tensor(y, device=device)

    class WholeSet(torch.utils.data.Dataset):
        def __len__(self):
            return len(y_t)

        def __getitems__(self, indices):
            return X_t, y_t

    class FloorNet(NeuralNetClassifier):
        def get_dataset(self, X, y=None):
            return WholeSet()

    torch.manual_seed(seed)
    net = FloorNet(
        nn.Linear(X_t.shape[1], 2, bias=False),
        criterion=nn.CrossEntropyLoss,
        optimizer=torch.optim.SGD,
        lr=size["lr"],
        batch_size=-1,
        max_epochs=size["epochs"],
        train_split=None,
        verbose=0,
        device=device,
        callbacks="disable",
        iterator_train__collate_fn=lambda batch: batch,
    ).fit(X_t, y_t)

    def predict(X_new):
        X_new = torch.as_tensor(X_new, dtype=torch.float32, device=device)
        with torch.no_grad():
            return net.module_(X_new).argmax(dim=1).cpu().numpy()

    return predict


def paper_fit(key, X, y, size, seed, device):
    """One fit of ``key`` (a key of PAPER_LABELS); returns a predict function."""
    from _common import paper_linear_net
    from skmat import ERMClassifier

    if key == "skorch_floor":
        return skorch_floor(X, y, size, seed, device)
    if key in ("bare_erm", "bare_mat"):
        fit = bare_erm if key == "bare_erm" else bare_mat
        model = fit(X, y, size, seed, device)

        def predict(X_new):
            X_new = torch.as_tensor(X_new, dtype=torch.float32, device=device)
            with torch.no_grad():
                return model(X_new).argmax(dim=1).cpu().numpy()

        return predict
    net = paper_linear_net(size["n_features"], size["epochs"], size["lr"])
    net.set_params(device=device)
    if key == "erm":
        return ERMClassifier(net, random_state=seed).fit(X, y).predict
    params = dict(holdout="xrm") if key == "xrm" else dict(holdout="cv", cv=2)
    mat = MATClassifier(
        net,
        temperature=PAPER_TEMPERATURE,
        holdout_epochs=None,  # the paper's script: the twins' 1000 epochs too
        random_state=seed,
        **params,
    )
    return mat.fit(X, y).predict


def benchmark_paper(repeats, device, log, size=PAPER):
    """Rounds of the five fits on the same data and seed (the round's), the
    order reversed every other round; per-round ratios to the bare loops."""
    from _common import group_scores

    warm_size = dict(size, epochs=2)
    (X, y, _), _ = paper_data(0, size)
    for key in PAPER_LABELS:  # untimed warm-up of every code path
        paper_fit(key, X, y, warm_size, 0, device)
    runs = {
        key: {"wall": [], "cpu": [], "worst": [], "avg": []} for key in PAPER_LABELS
    }
    keys = list(PAPER_LABELS)
    for r in range(repeats):
        (X, y, _), (X_test, y_test, g_test) = paper_data(r, size)
        for key in keys if r % 2 == 0 else keys[::-1]:
            gc.collect()
            wall, cpu = time.perf_counter(), time.process_time()
            predict = paper_fit(key, X, y, size, r, device)
            if torch.device(device).type == "cuda":
                torch.cuda.synchronize()
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            avg, worst, _ = group_scores(y_test, predict(X_test), g_test)
            for measure, value in dict(
                wall=wall, cpu=cpu, worst=worst, avg=avg
            ).items():
                runs[key][measure].append(value)
            log(
                f"  [paper round {r}] {key} {wall:.2f} s ({cpu:.2f} CPU s), "
                f"worst-group test accuracy {worst:.3f}"
            )
    ratios = {}
    for key, (_, reference, _) in PAPER_LABELS.items():
        if reference is None:
            continue
        ratios[key] = {
            m: np.divide(runs[key][m], runs[reference][m]).tolist()
            for m in ("wall", "cpu")
        }
    ratios["cv2_erm"] = {
        m: np.divide(runs["cv2"][m], runs["erm"][m]).tolist() for m in ("wall", "cpu")
    }
    ratios["xrm_erm"] = {
        m: np.divide(runs["xrm"][m], runs["erm"][m]).tolist() for m in ("wall", "cpu")
    }
    ratios["erm_floor"] = {
        m: np.divide(runs["erm"][m], runs["skorch_floor"][m]).tolist()
        for m in ("wall", "cpu")
    }
    return dict(size=size, runs=runs, ratios=ratios, repeats=repeats)


def profile_paper_erm(size=PAPER, top=20):
    """cProfile of one ERMClassifier fit on the paper's shape, by own time."""
    (X, y, _), _ = paper_data(0, size)
    prof = cProfile.Profile()
    prof.runcall(paper_fit, "erm", X, y, size, 0, "cpu")
    return _profile_text(prof, top)


# ------------------------------------------------------------------ benchmark
def _median(values):
    return float(np.median(values))


def _medians(runs):
    return {k: {m: _median(v) for m, v in runs[k].items()} for k in runs}


def _ratios(runs, reference):
    """Per variant: the medians of its per-repeat ratios to ``reference`` (wall,
    CPU; within a repeat the variants run back to back, so a change of machine
    load between repeats cancels) and its per-repeat wall-clock ratios (their
    spread shows how much of a difference to a target is the machine's noise)."""
    ratio = lambda key, m: np.divide(runs[key][m], runs[reference][m])  # noqa: E731
    medians = {k: {m: _median(ratio(k, m)) for m in ("wall", "cpu")} for k in runs}
    return medians, {k: ratio(k, "wall").tolist() for k in runs}


def measured_fit_targets(device):
    """The fit targets checked on ``device``: {variant: limit}."""
    on_gpu = torch.device(device).type == "cuda"
    return {
        key: limit
        for key, (limit, where) in FIT_TARGETS.items()
        if where == "CPU" or on_gpu
    }


def benchmark_shape(shape, repeats, device, log, sync_check=False):
    name, n_samples, row_shape, hidden, epochs = shape
    X, y = make_data(n_samples, row_shape)
    shift = random_shift(n_samples)
    epoch_variants = {
        "a": lambda: run_bare(X, y, hidden, epochs, device),
        "b": lambda: run_skorch_default(X, y, hidden, epochs, device),
        "c": lambda: run_skmat_shifted(X, y, hidden, epochs, device, shift),
    }
    if torch.device(device).type != "cpu":
        X_dev = torch.from_numpy(X).to(device)
        epoch_variants["c_dev"] = lambda: run_skmat_shifted(
            X_dev, y, hidden, epochs, device, shift
        )
    fit_variants = {
        kind: lambda kind=kind: run_fit(kind, X, y, hidden, epochs, device)
        for kind in FIT_LABELS
    }
    # Untimed warm-up of every code path (lazy imports, kernels) on a small slice.
    small = slice(0, min(n_samples, 2048))
    run_bare(X[small], y[small], hidden, 1, device)
    run_skorch_default(X[small], y[small], hidden, 1, device)
    run_skmat_shifted(X[small], y[small], hidden, 1, device, shift[small])
    for kind in FIT_PARAMS:
        run_fit(kind, X[small], y[small], hidden, 1, device)

    epoch_runs = {k: {} for k in epoch_variants}  # {variant: {measure: [values]}}
    fit_runs = {k: {} for k in fit_variants}
    for r in range(repeats):
        for variants, runs in ((epoch_variants, epoch_runs), (fit_variants, fit_runs)):
            for key, fn in variants.items():
                gc.collect()
                for measure, value in fn().items():
                    runs[key].setdefault(measure, []).append(value)
                wall, cpu = runs[key]["wall"][-1], runs[key]["cpu"][-1]
                if runs is epoch_runs:
                    what = f"({key}) {wall:.3f} s / epoch ({cpu:.3f} CPU s)"
                else:
                    what = f"{key} fit {wall:.2f} s ({cpu:.2f} CPU s)"
                log(f"  [{name} repeat {r}] {what}")
    result = {
        "shape": shape,
        "X_mb": X.nbytes / 2**20,
        "epoch": _medians(epoch_runs),
        "fit": _medians(fit_runs),
        "runs": {"epoch": epoch_runs, "fit": fit_runs},
    }
    result["epoch_ratio"], result["epoch_ratio_runs"] = _ratios(epoch_runs, "a")
    result["fit_ratio"], result["fit_ratio_runs"] = _ratios(fit_runs, "erm")
    if name not in TARGET_SHAPES:
        return result
    if sync_check:
        result["syncs"] = sync_counts(X, y, hidden, device, shift)
    if max(result["epoch_ratio"]["c"].values()) > TARGET_EPOCH:
        result["profile"] = profile_epoch(X, y, hidden, device, shift)
    result["fit_profiles"] = {
        key: profile_fit(X, y, hidden, epochs, device, key)
        for key, limit in measured_fit_targets(device).items()
        if max(result["fit_ratio"][key].values()) > limit
    }
    return result


def profile_fit(X, y, hidden, epochs, device, kind):
    """cProfile of one fit of ``kind``, summed into named parts (seconds)."""
    net = mat_net(X.shape[1:], hidden, epochs, device)
    prof = cProfile.Profile()
    prof.runcall(fit_kind, kind, net, X, y)
    stats = pstats.Stats(prof).stats
    parts = []
    for label, filename, funcname in PROFILE_PARTS:
        seconds = sum(
            value[3]
            for (path, _, name), value in stats.items()
            if name == funcname and path.endswith(filename)
        )
        if seconds > 0:
            parts.append((label, seconds))
    return parts


def profile_epoch(X, y, hidden, device, shift, top=15):
    """cProfile of one epoch of (c), to say where the time over (a) goes."""
    prof = cProfile.Profile()
    net = mat_net(X.shape[1:], hidden, 1, device)
    prof.runcall(net.fit, X, y, mat_shift=shift)
    return _profile_text(prof, top)


def _profile_text(prof, top):
    """A cProfile's ``top`` functions by own time, site-packages paths cut."""
    stream = io.StringIO()
    pstats.Stats(prof, stream=stream).sort_stats("tottime").print_stats(top)
    torch_root = str(pathlib.Path(torch.__file__).parents[1])
    return "\n".join(
        line.rstrip().replace(torch_root, "...")
        for line in stream.getvalue().splitlines()
        if line.strip() and not line.lstrip().startswith(("Ordered by", "List red"))
    )


# ---------------------------------------------------------------- CUDA syncs
def sync_counts(X, y, hidden, device, shift, n_folds=5):
    """Synchronising CUDA calls per training step, by torch's sync debug mode.

    One epoch each of (c), of the ``n_folds`` fold nets trained together and of
    the XRM twins; skorch's own read of each step's loss (``loss.item()``) is
    one. Returns ``{label: (syncs, steps)}``.
    """
    import warnings

    from sklearn.model_selection import KFold

    from skmat.factory import as_mat_net
    from skmat.together import fit_folds_together
    from skmat.xrm import XRMMixin

    splits = list(KFold(n_folds).split(X))
    net = lambda: mat_net(X.shape[1:], hidden, 1, device)  # noqa: E731
    runs = {
        "(c) skmat final net + shift": lambda: net().fit(X, y, mat_shift=shift),
        f"{n_folds} fold nets trained together": lambda: fit_folds_together(
            net(), X, y, splits
        ),
        "XRM twins": lambda: as_mat_net(net(), mixin=XRMMixin).fit(X, y),
    }
    on_cuda = torch.device(device).type == "cuda"
    counts = {}
    for label, run in runs.items():
        run()  # warm-up: kernels, vmap probe
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            if on_cuda:
                torch.cuda.set_sync_debug_mode("warn")
            try:
                fitted = run()
                if on_cuda:
                    torch.cuda.synchronize()
            finally:
                if on_cuda:
                    torch.cuda.set_sync_debug_mode("default")
        # On the CPU (a dry run of this code) there is nothing to count.
        syncs = sum("synchronizing" in str(w.message) for w in caught)
        steps = int(fitted.history[-1, "train_batch_count"])
        counts[label] = (syncs if on_cuda else None, steps)
    return counts


# --------------------------------------------------------------------- memory
def _proc_status_mb(field):
    """A memory field of /proc/self/status (Linux) in MiB, or None."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def _maxrss_mb():
    """ru_maxrss in MiB (kilobytes on Linux, bytes on macOS)."""
    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20


def _peak_rss_mb():
    """Peak RSS of this process: VmHWM on Linux, else ru_maxrss.

    On Linux ``ru_maxrss`` survives ``fork`` + ``exec``: a child started from a
    big parent reports at least the parent's RSS at the fork (measured here: a
    13 MB child of a 1.5 GB parent reads 1553 MB). ``VmHWM`` belongs to the
    child's own address space.
    """
    hwm = _proc_status_mb("VmHWM")
    return _maxrss_mb() if hwm is None else hwm


def memory_child(kind, shape, device, data="dense"):
    """Runs in a fresh process: one fit, prints its memory as JSON.

    ``data`` is "dense" (a float32 table of ``shape`` = (rows, columns), linear
    head, batch 1024) or "tfidf-sparse" / "tfidf-dense" (``shape`` = (documents,
    terms, terms per document), the default MLP on the CSR matrix or its dense
    copy, batch 256).
    """
    if data == "dense":
        X, y = make_data(shape[0], shape[1])
        hidden, batch_size = (), MEMORY_BATCH
    else:
        X, y = make_tfidf(*shape)
        if data == "tfidf-dense":
            X = X.toarray()
        hidden, batch_size = SPARSE_HIDDEN, BATCH_SIZE
    parts = (X.data, X.indices, X.indptr) if hasattr(X, "indptr") else (X,)
    x_mb = sum(part.nbytes for part in parts) / 2**20
    gc.collect()
    base_rss = _proc_status_mb("VmRSS")
    base_peak = _peak_rss_mb()
    net = mat_net(X.shape[1:], hidden, 1, device, batch_size=batch_size)
    start = time.perf_counter()
    fit_kind(kind, net, X, y)
    out = dict(
        kind=kind,
        data=data,
        X_mb=x_mb,
        base_rss_mb=float("nan") if base_rss is None else base_rss,
        base_peak_mb=base_peak,
        peak_mb=_peak_rss_mb(),
        ru_maxrss_mb=_maxrss_mb(),
        wall=time.perf_counter() - start,
    )
    print("MEMORY_RESULT " + json.dumps(out))


def benchmark_memory(shape, device, log, kinds, data="dense"):
    """One fit of each of ``kinds`` in a fresh process: {kind: its memory}."""
    results = {}
    for kind in kinds:
        child = ["--_memory-child", kind, "--_memory-data", data, "--device", device]
        sizes = ["--_memory-shape", *map(str, shape)]
        threads = ["--threads", str(torch.get_num_threads())]
        cmd = [sys.executable, str(pathlib.Path(__file__).resolve()), *child]
        proc = subprocess.run([*cmd, *sizes, *threads], capture_output=True, text=True)
        found = [ln for ln in proc.stdout.splitlines() if ln.startswith("MEMORY_")]
        if proc.returncode != 0 or not found:
            raise RuntimeError(
                f"memory child {kind} failed ({proc.returncode}):\n{proc.stderr}"
            )
        r = results[kind] = json.loads(found[-1].split(" ", 1)[1])
        log(
            f"  [memory {data}] {kind}: baseline {r['base_rss_mb']:.0f} MB, "
            f"peak {r['peak_mb']:.0f} MB ({r['wall']:.1f} s)"
        )
    return results


# ------------------------------------------------------------- previous run
def read_baseline(spec, output):
    """The text of an earlier results file and how to name it: ``spec`` is a
    path, or a git revision whose committed copy of ``output`` is read (so a
    comparison with the results on main needs no copy of them)."""
    path = pathlib.Path(spec)
    if path.is_file():
        return path.read_text(), f"`{spec}`"
    relative = pathlib.Path(output).resolve().relative_to(REPO_ROOT).as_posix()
    found = subprocess.run(
        ["git", "show", f"{spec}:{relative}"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
    )
    if found.returncode != 0:
        raise SystemExit(
            f"--baseline {spec!r}: neither a file nor a git revision with "
            f"{relative} ({found.stderr.strip()})"
        )
    return found.stdout, f"`{relative}` as committed at `{spec}`"


# Labels of earlier results files, read as today's (the parameter was renamed).
RENAMED_LABELS = {
    "MATClassifier cv=5, vectorize=True": "MATClassifier cv=5, folds_together=True"
}


def read_previous_ratios(text):
    """The "/ (a)" and "/ ERM" ratios of an earlier results file of this script:
    ``{(shape, label): ratio}`` (the labels of EPOCH_LABELS and FIT_LABELS)."""
    for old, new in RENAMED_LABELS.items():
        text = text.replace(f"| {old} |", f"| {new} |")
    epoch_labels = set(EPOCH_LABELS.values())
    labels = epoch_labels | set(FIT_LABELS.values())
    ratios, shape = {}, None
    for line in text.splitlines():
        if line.startswith("## "):
            shape = line[3:].split(":")[0]
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if shape is None or len(cells) < 5 or cells[0] not in labels:
            continue
        column = 4 if cells[0] in epoch_labels else 3
        try:
            ratios[(shape, cells[0])] = float(cells[column])
        except ValueError:
            continue
    return ratios


# -------------------------------------------------------------------- report
# What the results file says of the method, wrapped here, one line a paragraph
# or list item there (see _unwrap).
METHOD = """
Every variant uses the shape's network (`skmat.mlp.MLPModule`, or the images shape's
CNN: two 3x3 convolutions of 16 and 32 channels, each followed by ReLU and 2x2 max
pooling, then a linear head), `CrossEntropyLoss`, Adam (lr 1e-3), batch size 256,
shuffled batches, every row in training (no validation split), the same float32 data
and the same number of epochs.

- (a) bare PyTorch loop: tensors made once on the device; each epoch one `randperm`,
  each batch the gather `X[perm[i:i+256]]`, then zero_grad, forward, backward, step.
  No skorch, no logging.
- (b) skorch's `NeuralNetClassifier` with its default data path
  (`skorch.dataset.Dataset`: one `__getitem__` per row, then torch's
  `default_collate`); only `train_split=None`, `verbose=0` and
  `iterator_train__shuffle=True` changed.
- (c) skmat's final-network training: `MATNeuralNetClassifier` fitted with `fit(X,
  y, mat_shift=shift)` (NumPy X, as `MATClassifier` passes it) and a random valid
  shift (log of Dirichlet(1, 1) probabilities): skorch's own loop over skorch's
  `Dataset`, each batch gathered at once (one tensor gather, through `__getitems__`)
  with its rows' shift.
- (d) ERM = the same `MATNeuralNetClassifier` fitted plainly on `(X, y)` (the final
  network without the held-out phase); MAT = `MATClassifier(net, cv=2 | cv=5 |
  holdout='xrm', holdout_epochs=None, random_state=0)` with `holdout_estimator=None`
  (a copy of the net, the same epochs: `holdout_epochs=None`, the budget the targets
  were set for; MATClassifier's default is a tenth); cv=5 twice: folds fitted one by
  one (`folds_together=False`, MATClassifier's choice on CPU) and trained together as
  one skorch net (`folds_together=True`, its choice on a GPU: a module holding the 5
  copies' stacked parameters, each copy's loss over its own rows, one optimizer step;
  on CPU the copies run one after the other on their own rows, on a GPU in one
  `torch.vmap` call; the joint batch is 5/4 of 256 so that each copy sees 256 of its
  own rows per step). Ratio = time of `MATClassifier.fit` / time of the ERM `fit`.
  'work' is the rows x epochs of training relative to ERM: cv=k trains k nets on
  (k-1)/k of the rows, then the final net (k); XRM trains each row in one twin and
  runs the other twin forward on it (twice the rows forward, once backward, so between
  1.3 and 2 depending on how much backward costs), then the final net: counted as 3,
  the bound the target was set from.

Times are medians over the repeats; ratios are medians of the per-repeat ratios (the
variants of a repeat run back to back, so a change of load between repeats cancels).
Per-epoch times of (b) and (c) are skorch's `history[:, 'dur']` (the batch loop with
skorch's per-batch callbacks and logging) and the process CPU time of the same span
(an epoch-level timer callback); (a) is timed the same way around its epoch loop.
The CPU-time columns are what each variant costs when the machine is shared (other
processes ran on these cores); wall-clock is what the targets name. 'held-out
training', 'final net' are the epoch loops' own times (skorch `dur` of the fold
nets, of the XRM twin net and of the final net; for the folds trained together,
whose joint net is not kept, the rest of the fit); 'other' is the rest of `fit`
(validation, splitting, held-out prediction of each fold's test rows, the shift).
Each fold fitted alone trains on a copy of its rows of X, made when the fold starts,
as `cross_val_predict` does; the folds trained together and the XRM twins read X in
place.
"""
MEMORY_TEXT = """
Each fit in a fresh process. Baseline = RSS after the imports and the data (X, y) were
made, just before `fit` (it includes X and the libraries); peak = the process's peak
RSS after `fit` (`VmHWM` of /proc/self/status; `ru_maxrss` is not used because on
Linux a child inherits the parent's RSS high-water mark across fork + exec: a 13 MB
child of a 1.5 GB parent reads 1553 MB).
"""
SPARSE_TEXT = """
A TF-IDF-like CSR matrix (float32, unit-norm rows) and its dense copy, each fit in a
fresh process, measured like the peak memory above. On the CSR matrix the rows of
each batch are densified when the batch is gathered; 'X MB' is the size of the matrix
(data, indices and row pointers for CSR).
"""
COMPARISON_TEXT = """
The same ratios in {source} (an earlier run of this script, before the changes this
run measures), beside this run's median and the range of its per-repeat ratios
(wall-clock).
"""
PAPER_TEXT = """
The paper's Figure 1 problem (`skmat.datasets.make_spurious_splits({n_samples},
{n_features})`, noise_std 0.5) trained as the paper's own script trains it: a bias-free
linear layer, every row in one batch, SGD with lr {lr:g}, {epochs} epochs; MAT's
held-out phase is two XRM twins trained for as many epochs, then the final net with
the shift (temperature 0.1).

- (a) bare PyTorch ERM loop: the whole set as one float32 tensor, then per epoch
  zero_grad, forward, cross-entropy, backward, step. No skorch, no logging.
- (a) bare PyTorch MAT loop, written from the paper's description: a fair coin
  assigns each row to one of two twins; per epoch both twins run on every row, each
  twin's loss is the class-balanced cross-entropy of its own rows against their
  dynamic labels, one SGD step updates both, then each row's dynamic label becomes
  the held-out twin's argmax with probability (p_max - 1/C) C / (C - 1), else its
  true label; after training, the held-out twin's softmax, sharpened by the
  temperature, gives the transition matrix and the shift log(q_i M); the final
  layer trains on CE(f(x) + shift, y).
- skorch's loop alone: a skorch `NeuralNetClassifier` with the same layer and
  optimizer, `callbacks="disable"` (not even skorch's default epoch timer and loss
  scoring) and a dataset that hands over the whole set as one pair of tensors:
  the per-epoch cost of skorch's `fit_loop` and its `DataLoader` pass, which
  every net that extends skorch's loop pays unless it hands its one batch over
  itself (skmat's nets do, through skorch's `get_iterator`). Measured against
  the bare ERM loop; no target.
- skmat: `ERMClassifier(net)` and `MATClassifier(net, holdout='xrm' | holdout='cv',
  cv=2, holdout_epochs=None, temperature=0.1)` with `net` the same layer and
  optimizer as a skorch `NeuralNetClassifier` (`batch_size=-1`, `verbose=0`), from
  NumPy float64 X, as a user calls them; `holdout_epochs=None` gives the held-out
  nets the net's {epochs} epochs, as in the paper's script (MATClassifier's default
  trains them for a tenth of that).

{repeats} rounds; round r draws the data with seed r and seeds every fit with r (the
bare loops through `torch.manual_seed`, skmat through `random_state`); within a round
the five fits run back to back, in the table's order in even rounds and in reverse
order in odd rounds. Times are medians over the rounds of each fit's wall-clock
and process CPU time; ratios are medians of the per-round ratios to the bare loop
named in the first column (ERM to the bare ERM loop, MAT to the bare MAT loop).
The last columns show that the loops do the same job: worst-group accuracy on the
test split (majority fraction 0.5), mean ± std over the rounds.
"""
PAPER_PROFILE_TEXT = """
cProfile of one `ERMClassifier` fit on this shape (seed 0), sorted by own time (the
profiler slows small calls, so read the shares):
"""
PAPER_COLUMNS = (
    "fit | wall s | CPU s | / bare loop | / bare loop CPU "
    "| per-round (wall), min - max | worst-group test accuracy "
    "| target | status | status CPU"
)
FIT_PROFILE_TEXT = """
{label} is over its target on this shape (wall or CPU); cProfile of one fit,
cumulative seconds of its parts (the profiler slows small calls, so read the shares):
"""
SYNCS_TEXT = """
Host synchronisations per training step (torch's CUDA sync debug mode over one epoch;
skorch reads each step's loss with `loss.item()`, which is one):
"""
EPOCH_PROFILE_TEXT = """
(c) is over its target on this shape (wall or CPU); cProfile of one epoch of (c),
sorted by own time:
"""
TARGETS_TEXT = """
Measured = median of the per-repeat ratios; the last column is the range of the
per-repeat wall-clock ratios, the machine's noise.
"""
NOISY_TEXT = """
Missed by the median but met by at least one repeat (within this run's noise):
"""
NOT_ON_GPU_TEXT = """
Not measured by this run (GPU targets): (c)/(a) <= 1.2 per epoch and MATClassifier
cv=5 / ERM <= 2.0 on a GPU; run `python benchmarks/speed.py --device cuda` on a GPU
machine.
"""
EPOCH_COLUMNS = "variant | s / epoch | CPU s / epoch | fit wall s | / (a) | / (a) CPU"
FIT_COLUMNS = (
    "fit | wall s | CPU s | / ERM | / ERM CPU | work | held-out training s "
    "| final net s | other s"
)
STATUS_COLUMNS = "target | status | status CPU"
MEMORY_COLUMNS = (
    "fit | baseline RSS MB | peak RSS MB | peak - baseline MB | peak / X "
    "| (peak - baseline) / X | fit s | target | status"
)
SPARSE_COLUMNS = (
    "fit | X | X MB | baseline RSS MB | peak RSS MB | peak - baseline MB | fit s"
)
COMPARISON_COLUMNS = (
    "shape | variant | previous | now (median) | now, per-repeat min - max"
)
TARGETS_COLUMNS = (
    "target | measured (wall) | measured (CPU time) | limit | status | status CPU "
    "| per-repeat ratios (wall), min - max"
)


def _unwrap(text, **values):
    """Source text -> lines of the results file: one per paragraph (paragraphs
    are separated by blank lines) or list item ("- "), each paragraph followed
    by a blank line; ``values`` fill the text's ``{fields}``."""
    lines = []
    for paragraph in text.strip().split("\n\n"):
        for item in re.split(r"\n(?=- )", paragraph):
            item = " ".join(item.split())
            lines.append(item.format(**values) if values else item)
        lines.append("")
    return lines


def _table(columns, rows):
    """A markdown table (``columns``: the header cells joined by " | "), then a
    blank line."""
    header = columns.split(" | ")
    cells = [f"| {' | '.join(map(str, row))} |" for row in [header, *rows]]
    return [cells[0], "|" + "---|" * len(header), *cells[1:], ""]


def _f(value, spec=".2f"):
    return "" if value is None else format(value, spec)


def _status(value, target):
    if value <= target:
        return "PASS"
    return f"MISS ({value:.3f} > {target})"


def _statuses(ratio, limit):
    return _status(ratio["wall"], limit), _status(ratio["cpu"], limit)


def command_options(args):
    """This run's options as typed, those left at their defaults left out."""
    options = ["--quick"] * args.quick
    if args.repeats != (1 if args.quick else 3):
        options.append(f"--repeats {args.repeats}")
    if args.device != "cpu":
        options.append(f"--device {args.device}")
    if args.threads is not None:
        options.append(f"--threads {args.threads}")
    if args.paper_rounds != args.repeats:
        options.append(f"--paper-rounds {args.paper_rounds}")
    if args.shapes:
        options.append("--shapes " + " ".join(args.shapes))
    for flag in ("skip_memory", "skip_sparse", "sync_check"):
        if getattr(args, flag):
            options.append("--" + flag.replace("_", "-"))
    if args.baseline is not None:
        options.append(f"--baseline {args.baseline}")
    output = pathlib.Path(args.output).resolve()
    if output != RESULTS.resolve():
        if output.is_relative_to(REPO_ROOT):
            output = output.relative_to(REPO_ROOT)
        options.append(f"--output {output.as_posix()}")
    return "".join(" " + option for option in options)


def targets_met(shapes_results, memory, on_gpu, paper=None):
    """Every target this run measured: (label, wall ratio, CPU ratio or None,
    limit, per-repeat wall ratios or None)."""
    measured = measured_fit_targets("cuda" if on_gpu else "cpu")
    found = []
    if paper:
        for key, (label, reference, limit) in PAPER_LABELS.items():
            if limit is None:
                continue
            runs = paper["ratios"][key]
            found.append(
                (
                    f"paper: {label} / {PAPER_LABELS[reference][0][4:]}",
                    _median(runs["wall"]),
                    _median(runs["cpu"]),
                    limit,
                    runs["wall"],
                )
            )
    for res in shapes_results:
        name = res["shape"][0]
        if name not in TARGET_SHAPES:
            continue
        ratio, runs = res["epoch_ratio"]["c"], res["epoch_ratio_runs"]["c"]
        label = f"{name}: (c)/(a) per epoch"
        found.append((label, ratio["wall"], ratio["cpu"], TARGET_EPOCH, runs))
        for key in res["fit"]:
            if key in measured:
                ratio, runs = res["fit_ratio"][key], res["fit_ratio_runs"][key]
                label = f"{name}: {FIT_LABELS[key]} / ERM"
                found.append((label, ratio["wall"], ratio["cpu"], measured[key], runs))
    if memory:
        label = "peak RSS of MATClassifier.fit (cv=2) / size of X"
        ratio = memory["cv2"]["peak_mb"] / memory["cv2"]["X_mb"]
        found.append((label, ratio, None, TARGET_MEMORY, None))
    return found


def render_paper(paper, on_gpu):
    """The section of the paper's own script: times, ratios to the bare loops,
    accuracies, and the profile of one ERM fit."""
    size, runs, ratios = paper["size"], paper["runs"], paper["ratios"]
    lines = [
        f"## paper: the Figure 1 script, {size['n_samples']:,} x "
        f"{size['n_features']:,} float64, bias-free linear layer, full batch, "
        f"SGD lr {size['lr']:g}, {size['epochs']} epochs",
        "",
        *_unwrap(PAPER_TEXT, repeats=paper["repeats"], **size),
    ]
    rows = []
    for key, (label, reference, limit) in PAPER_LABELS.items():
        r = runs[key]
        cells = [label, _f(_median(r["wall"])), _f(_median(r["cpu"]))]
        if reference is None:
            cells += ["1.00", "1.00", ""]
        else:
            w, c = ratios[key]["wall"], ratios[key]["cpu"]
            cells += [_f(_median(w)), _f(_median(c)), f"{min(w):.2f} - {max(w):.2f}"]
        cells.append(f"{np.mean(r['worst']):.3f} ± {np.std(r['worst']):.3f}")
        if limit is None:
            cells += ["", "", ""]
        else:
            ratio = {m: _median(ratios[key][m]) for m in ("wall", "cpu")}
            cells += [f"<= {limit}", *_statuses(ratio, limit)]
        rows.append(cells)
    lines += _table(PAPER_COLUMNS, rows)
    extra = [
        (f"{PAPER_LABELS[a][0]} / {PAPER_LABELS[b][0]}", ratios[key])
        for key, a, b in (
            ("cv2_erm", "cv2", "erm"),
            ("xrm_erm", "xrm", "erm"),
            ("erm_floor", "erm", "skorch_floor"),
        )
    ]
    lines += _table(
        "ratio | median (wall) | median (CPU) | per-round (wall), min - max",
        [
            (
                label,
                _f(_median(r["wall"])),
                _f(_median(r["cpu"])),
                f"{min(r['wall']):.2f} - {max(r['wall']):.2f}",
            )
            for label, r in extra
        ],
    )
    if paper.get("profile"):
        lines += _unwrap(PAPER_PROFILE_TEXT)
        lines += ["```", paper["profile"], "```", ""]
    return lines


def render_shape(res, on_gpu):
    """The section of one shape: its epoch and fit tables, then the profiles and
    sync counts taken for it."""
    name, n_samples, row_shape, hidden, epochs = res["shape"]
    targeted = name in TARGET_SHAPES
    rows = " x ".join(str(v) for v in (f"{n_samples:,}", *row_shape))
    lines = [
        f"## {name}: {rows} float32 ({res['X_mb']:.0f} MB), "
        f"{describe_net(row_shape, hidden)}, {epochs} epoch(s)",
        "",
    ]
    epoch_rows = []
    for key, e in res["epoch"].items():
        ratio = res["epoch_ratio"][key]
        target = ("", "", "")
        if key.startswith("c") and targeted:
            target = (f"<= {TARGET_EPOCH}", *_statuses(ratio, TARGET_EPOCH))
        times = (f"{e['wall']:.3f}", f"{e['cpu']:.3f}", f"{e['fit']:.2f}")
        ratios = (_f(ratio["wall"]), _f(ratio["cpu"]))
        epoch_rows.append((EPOCH_LABELS[key], *times, *ratios, *target))
    lines += _table(f"{EPOCH_COLUMNS} | {STATUS_COLUMNS}", epoch_rows)
    fit_rows = []
    for key, f in res["fit"].items():
        ratio = res["fit_ratio"][key]
        target = ("", "", "")
        if key in FIT_TARGETS and targeted:
            limit, where = FIT_TARGETS[key]
            target = (f"<= {limit} ({where})", *_statuses(ratio, limit))
            if where == "GPU" and not on_gpu:
                target = (target[0], "GPU target", "GPU target")
        cells = (_f(f["wall"]), _f(f["cpu"]), _f(ratio["wall"]), _f(ratio["cpu"]))
        cells += (_f(WORK_RATIO[key], ".0f"), _f(f.get("holdout_train")))
        cells += (_f(f["final"]), _f(f.get("other")))
        fit_rows.append((FIT_LABELS[key], *cells, *target))
    lines += _table(f"{FIT_COLUMNS} | {STATUS_COLUMNS}", fit_rows)
    for key, parts in res.get("fit_profiles", {}).items():
        total = parts[0][1]
        lines += _unwrap(FIT_PROFILE_TEXT, label=FIT_LABELS[key])
        lines += _table(
            "part | s | share of the fit",
            [(label, f"{s:.2f}", f"{s / total:.0%}") for label, s in parts],
        )
    if "syncs" in res:
        lines += _unwrap(SYNCS_TEXT)
        lines += _table(
            "training | synchronising calls | steps | per step",
            [
                (label, "n/a (CPU)", steps, "")
                if syncs is None
                else (label, syncs, steps, f"{syncs / max(steps, 1):.2f}")
                for label, (syncs, steps) in res["syncs"].items()
            ],
        )
    if "profile" in res:
        lines += _unwrap(EPOCH_PROFILE_TEXT) + ["```", res["profile"], "```", ""]
    return lines


def render_memory(memory, memory_shape):
    n_samples, n_features = memory_shape
    x_mb = next(iter(memory.values()))["X_mb"]
    rows = []
    for key, r in memory.items():
        ratio, extra = r["peak_mb"] / r["X_mb"], r["peak_mb"] - r["base_rss_mb"]
        target = ("", "")
        if key == "cv2":
            target = (f"<= {TARGET_MEMORY} x X", _status(ratio, TARGET_MEMORY))
        rss = (f"{r['base_rss_mb']:.0f}", f"{r['peak_mb']:.0f}", f"{extra:.0f}")
        ratios = (f"{ratio:.2f}", f"{extra / r['X_mb']:.2f}", f"{r['wall']:.1f}")
        rows.append((FIT_LABELS[key], *rss, *ratios, *target))
    return [
        f"## Peak memory: {n_samples:,} x {n_features} float32 "
        f"(X = {x_mb:.0f} MB), linear head, 1 epoch, batch {MEMORY_BATCH}",
        "",
        *_unwrap(MEMORY_TEXT),
        *_table(MEMORY_COLUMNS, rows),
    ]


def render_sparse(sparse):
    n_docs, n_terms, per_doc = sparse["shape"]
    rows = [
        (FIT_LABELS[kind], "CSR" if data == "tfidf-sparse" else "dense")
        + tuple(f"{v:.0f}" for v in (r["X_mb"], r["base_rss_mb"], r["peak_mb"]))
        + (f"{r['peak_mb'] - r['base_rss_mb']:.0f}", f"{r['wall']:.1f}")
        for (data, kind), r in sparse["results"].items()
    ]
    return [
        f"## Sparse text features: {n_docs:,} documents x {n_terms:,} terms "
        f"({per_doc} per document), MLP {n_terms}-{SPARSE_HIDDEN[0]}-2, 1 epoch, "
        "batch 256",
        "",
        *_unwrap(SPARSE_TEXT),
        *_table(SPARSE_COLUMNS, rows),
    ]


def render_comparison(previous, source, shapes_results):
    """Each ratio of this run beside the same ratio in an earlier results file."""
    rows = []
    for res in shapes_results:
        name = res["shape"][0]
        for kind, labels in (("epoch", EPOCH_LABELS), ("fit", FIT_LABELS)):
            for key, ratio in list(res[f"{kind}_ratio"].items())[1:]:  # not a, ERM
                runs = res[f"{kind}_ratio_runs"][key]
                before = previous.get((name, labels[key]))
                spread = f"{min(runs):.2f} - {max(runs):.2f}"
                rows.append((name, labels[key], _f(before), _f(ratio["wall"]), spread))
    return [
        "## Against the previous results",
        "",
        *_unwrap(COMPARISON_TEXT, source=source),
        *_table(COMPARISON_COLUMNS, rows),
    ]


def render_targets(found, on_gpu):
    rows = []
    for label, value, value_cpu, limit, runs in found:
        cpu = ("", "")
        if value_cpu is not None:
            cpu = (_f(value_cpu), _status(value_cpu, limit))
        spread = "" if runs is None else f"{min(runs):.2f} - {max(runs):.2f}"
        status = _status(value, limit)
        rows.append((label, _f(value), cpu[0], limit, status, cpu[1], spread))
    lines = ["## Targets", "", *_unwrap(TARGETS_TEXT), *_table(TARGETS_COLUMNS, rows)]
    noisy = [
        label
        for label, value, _, limit, runs in found
        if runs is not None and value > limit and min(runs) <= limit
    ]
    if noisy:
        lines += _unwrap(NOISY_TEXT + " " + "; ".join(noisy) + ".")
    if not on_gpu:
        lines += _unwrap(NOT_ON_GPU_TEXT)
    return lines


def render(
    args,
    shapes_results,
    memory,
    memory_shape,
    info,
    sparse=None,
    previous=None,
    source=None,
    paper=None,
):
    """The results file of this run."""
    on_gpu = torch.device(args.device).type == "cuda"
    threads = f"{args.threads or 'default'} torch thread"
    threads += "" if args.threads == 1 else "s"
    quick = " (**quick smoke run, small sizes: not the benchmark**)" * args.quick
    lines = [
        f"# Speed and memory ({'GPU' if on_gpu else 'CPU'}, {threads})",
        "",
        f"Command: `python benchmarks/speed.py{command_options(args)}`{quick}.",
        "",
        f"Machine: {machine_description()}.",
        "",
        f"Device `{args.device}`; torch intra-op threads: {torch.get_num_threads()}; "
        f"medians of {args.repeats} run(s) per number; whole run "
        f"{info['seconds'] / 60:.1f} min; load average (1 min) "
        f"{info['load_start']:.1f} at the start, {info['load_end']:.1f} at the end "
        f"(on {os.cpu_count()} cores).",
        "",
    ]
    if paper:
        lines += render_paper(paper, on_gpu)
    if shapes_results:
        lines += _unwrap(METHOD)
    for res in shapes_results:
        lines += render_shape(res, on_gpu)
    if memory:
        lines += render_memory(memory, memory_shape)
    if sparse:
        lines += render_sparse(sparse)
    if previous:
        lines += render_comparison(previous, source, shapes_results)
    found = targets_met(shapes_results, memory, on_gpu, paper)
    lines += render_targets(found, on_gpu)
    return "\n".join(lines)


# ----------------------------------------------------------------------- main
def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add, hidden = parser.add_argument, argparse.SUPPRESS
    shapes = ", ".join(["paper", *(shape[0] for shape in FULL_SHAPES)])
    add("--quick", action="store_true", help="small sizes, smoke run")
    add(
        "--repeats",
        type=int,
        help="runs per number (median); default 3, 1 with --quick",
    )
    add("--device", default="cpu", help="torch device: cpu (default) or cuda")
    add("--threads", type=int, help="torch.set_num_threads (default: torch's default)")
    add("--skip-memory", action="store_true", help="skip the peak-memory part")
    add(
        "--paper-rounds",
        type=int,
        help="rounds of the paper's script (default: --repeats)",
    )
    add("--shapes", nargs="+", help=f"only these shapes ({shapes})")
    add(
        "--output",
        default=str(RESULTS),
        help="markdown file to write ('-' to only print)",
    )
    add("--_memory-child", dest="memory_child", help=hidden)
    add("--_memory-shape", dest="memory_shape", nargs="+", type=int, help=hidden)
    add("--_memory-data", dest="memory_data", default="dense", help=hidden)
    add("--skip-sparse", action="store_true", help="skip the sparse-features part")
    add(
        "--sync-check",
        action="store_true",
        help="count CUDA host synchronisations per step (always on with cuda; on "
        "the CPU it only runs the code, for a dry run)",
    )
    add(
        "--baseline",
        help="an earlier results file of this script, or a git revision (its "
        "committed copy of --output is read): its ratios are shown beside this "
        "run's",
    )
    args = parser.parse_args(argv)
    if args.repeats is None:
        args.repeats = 1 if args.quick else 3
    if args.paper_rounds is None:
        args.paper_rounds = args.repeats
    return args


def main(argv=None):
    args = parse_args(argv)
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    if args.memory_child:
        shape, data = args.memory_shape, args.memory_data
        return memory_child(args.memory_child, shape, args.device, data)
    from skmat._devices import check_device

    check_device(args.device, name="--device")
    log = lambda message: print(message, flush=True)  # noqa: E731
    start, load_start = time.perf_counter(), os.getloadavg()[0]
    on_cuda = torch.device(args.device).type == "cuda"
    shapes = QUICK_SHAPES if args.quick else FULL_SHAPES
    paper = None
    if not args.shapes or "paper" in args.shapes:
        size = QUICK_PAPER if args.quick else PAPER
        log(
            f"paper: {size['n_samples']:,} x {size['n_features']:,}, "
            f"{size['epochs']} full-batch epochs"
        )
        paper = benchmark_paper(args.paper_rounds, args.device, log, size)
        if torch.device(args.device).type == "cpu":
            paper["profile"] = profile_paper_erm(size)
    shapes_results = []
    for shape in [s for s in shapes if not args.shapes or s[0] in args.shapes]:
        log(f"shape {shape[0]}: {shape[1]:,} x {' x '.join(map(str, shape[2]))}")
        sync_check = args.sync_check or on_cuda
        shapes_results.append(
            benchmark_shape(shape, args.repeats, args.device, log, sync_check)
        )
    memory, memory_shape = None, QUICK_MEMORY if args.quick else FULL_MEMORY
    if not args.skip_memory:
        log(f"peak memory: {memory_shape[0]:,} x {memory_shape[1]}")
        kinds = ("erm", "cv2", "cv5", "cv5_together", "xrm")
        memory = benchmark_memory(memory_shape, args.device, log, kinds)
    sparse = None
    if not args.skip_sparse:
        sparse = {"shape": QUICK_SPARSE if args.quick else FULL_SPARSE, "results": {}}
        log(f"sparse features: {sparse['shape'][0]:,} x {sparse['shape'][1]:,}")
        for data in ("tfidf-sparse", "tfidf-dense"):
            found = benchmark_memory(
                sparse["shape"], args.device, log, ("erm", "cv2"), data
            )
            sparse["results"] |= {(data, kind): r for kind, r in found.items()}
    info = dict(
        seconds=time.perf_counter() - start,
        load_start=load_start,
        load_end=os.getloadavg()[0],
    )
    previous = source = None
    if args.baseline:
        baseline_text, source = read_baseline(args.baseline, args.output)
        previous = read_previous_ratios(baseline_text)
    text = render(
        args,
        shapes_results,
        memory,
        memory_shape,
        info,
        sparse,
        previous,
        source,
        paper,
    )
    print(text)
    if args.output != "-":
        out = pathlib.Path(args.output)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text)


if __name__ == "__main__":
    main()
