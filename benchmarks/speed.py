"""Speed and memory of skmat's training against a bare PyTorch loop and skorch.

Usage: python benchmarks/speed.py [--quick] [--repeats 3] [--device cpu|cuda]
       [--threads N] [--skip-memory]
-> writes benchmarks/results/speed.md (and prints it)

Measured in one run, on the same data, network, optimizer (Adam, lr 1e-3),
batch size (256) and epochs, for the shapes the targets are set for:

* ``tabular``: 20,000 x 100 float32, MLP 100-256-2, 10 epochs;
* ``embedding``: 200,000 x 512 float32 (Waterbirds-feature-like), linear head
  512-2, 3 epochs (fewer epochs so that the whole run stays within ~15 min on
  2 CPU cores);
* ``images``: 10,000 x 3 x 32 x 32 float32, a small CNN (two 3x3 convolutions
  of 16 and 32 channels, max pooling, a linear head), 2 epochs;

and a fourth, without targets, where per-step overhead dominates and training
the folds together pays most: ``small``: 2,000 x 20, MLP 20-32-2, 50 epochs.

Per shape:

(a) a bare PyTorch loop: the tensors are made once (on ``--device``), every epoch
    draws a ``randperm`` and each batch is the gather ``X[perm[i:i + 256]]``;
(b) skorch's ``NeuralNetClassifier`` with its default ``Dataset``/``DataLoader``
    path (one ``__getitem__`` per row and ``default_collate``), only
    ``train_split=None`` and ``verbose=0`` changed (plus the module, criterion,
    optimizer, lr, batch size, epochs above);
(c) skmat's final-network training: ``MATNeuralNetClassifier`` fitted with
    ``fit(X, y, mat_shift=shift)`` and a random valid shift;
(d) whole fits: ERM (the same ``MATNeuralNetClassifier`` fitted plainly on
    ``(X, y)``, i.e. the final network without the held-out phase) against
    ``MATClassifier(net, cv=2 / cv=5 / holdout="xrm", random_state=0)`` with
    ``holdout_estimator=None`` (a copy of the net); cv=5 both with the folds
    fitted one by one (``vectorize=False``) and trained together
    (``vectorize=True``).

(a)-(c) are compared per epoch (skorch's ``history[:, "dur"]``; the bare loop
timed the same way), (d) by the time of ``fit``; both in wall-clock and in process
CPU time (robust to other processes on the same cores; use ``--threads 1`` on a
shared machine, where torch's intra-op threads wait for each other). A target
missed by (c) or (d) adds a cProfile breakdown to the results. Every number is
the median of ``--repeats`` runs; the variants are interleaved within each
repeat (a, b, c, ERM, cv=2, cv=5, XRM, then again), after one untimed warm-up of
each.

Peak memory: ``MATClassifier.fit`` (cv=2, linear head, 1 epoch, batch 1024) on a
1,000,000 x 128 float32 table, each fit in a fresh subprocess (this script run
with a hidden flag), reading the RSS after the imports and the data creation and
the peak RSS after ``fit`` (``VmHWM`` of /proc/self/status on Linux, not
``ru_maxrss``, which a child inherits from its parent across fork + exec). Plain
ERM, cv=5 and XRM fits are measured the same way for reference.

Sparse text features: a TF-IDF-like CSR matrix (50,000 documents x 20,000
terms, 100 terms per document), the default MLP (20,000-64-2, 1 epoch, batch
256), ERM and ``MATClassifier(cv=2)`` fitted on the CSR matrix (rows densified
a batch at a time) and on its dense copy: fit time and peak memory, each fit
in a fresh subprocess.
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
    X = sp.csr_matrix(
        (
            values.ravel(),
            indices.ravel(),
            np.arange(0, indices.size + 1, terms_per_doc),
        ),
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
    )
    params.update(
        {f"module__{k}": v for k, v in module_kwargs(row_shape, hidden).items()}
    )
    return params


class CpuEpochTimer(Callback):
    """Records the process CPU time of each epoch as ``history[:, "cpu_dur"]``."""

    def on_epoch_begin(self, net, **kwargs):
        self.start_ = time.process_time()

    def on_epoch_end(self, net, **kwargs):
        net.history.record("cpu_dur", time.process_time() - self.start_)


def _sync(device):
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize()


# -------------------------------------------------------------------- variants
def _timed(fn):
    """Run ``fn()``; return (its value, wall seconds, process CPU seconds)."""
    wall, cpu = time.perf_counter(), time.process_time()
    value = fn()
    return value, time.perf_counter() - wall, time.process_time() - cpu


def run_bare(X, y, hidden, epochs, device):
    """(a) The bare loop; returns (fit wall s, epoch wall s list, epoch CPU s list)."""
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
        _sync(device)
        walls.append(time.perf_counter() - epoch_wall)
        cpus.append(time.process_time() - epoch_cpu)
    return time.perf_counter() - start, walls, cpus


def _skorch_epochs(net, start):
    return (
        time.perf_counter() - start,
        list(net.history[:, "dur"]),
        list(net.history[:, "cpu_dur"]),
    )


def run_skorch_default(X, y, hidden, epochs, device):
    """(b) skorch's NeuralNetClassifier, default Dataset/DataLoader path."""
    start = time.perf_counter()
    torch.manual_seed(SEED)
    net = NeuralNetClassifier(
        **net_params(X.shape[1:], hidden, epochs, device),
        callbacks=[("cpu_timer", CpuEpochTimer())],
    )
    net.fit(X, y)
    return _skorch_epochs(net, start)


def run_skmat_shifted(X, y, hidden, epochs, device, shift):
    """(c) skmat's final-network training with a shift.

    ``X`` may be a NumPy array (as ``MATClassifier`` passes it) or a tensor
    already on the device.
    """
    start = time.perf_counter()
    net = MATNeuralNetClassifier(
        **net_params(X.shape[1:], hidden, epochs, device),
        callbacks=[("cpu_timer", CpuEpochTimer())],
        random_state=SEED,
    )
    net.fit(X, y, mat_shift=shift)
    return _skorch_epochs(net, start)


def mat_net(row_shape, hidden, epochs, device, batch_size=BATCH_SIZE):
    return MATNeuralNetClassifier(
        **net_params(row_shape, hidden, epochs, device, batch_size),
        random_state=SEED,
    )


def run_erm(X, y, hidden, epochs, device):
    """(d) ERM: the MAT net fitted plainly on (X, y)."""
    net = mat_net(X.shape[1:], hidden, epochs, device)
    net, wall, cpu = _timed(lambda: net.fit(X, y))
    return wall, cpu, {"final": float(np.sum(net.history[:, "dur"]))}


def run_mat(X, y, hidden, epochs, device, **mat_params):
    """(d) MATClassifier fit; returns wall s, CPU s and a phase breakdown."""
    clf = MATClassifier(
        mat_net(X.shape[1:], hidden, epochs, device), random_state=SEED, **mat_params
    )
    clf, wall, cpu = _timed(lambda: clf.fit(X, y))
    phases = {"final": float(np.sum(clf.estimator_.history[:, "dur"]))}
    if hasattr(clf, "xrm_"):
        phases["holdout_train"] = float(np.sum(clf.xrm_.history[:, "dur"]))
    elif mat_params.get("vectorize") is True:
        # Trained together as one net, whose epochs the fold nets do not keep:
        # the rest of the fit, the final net's epochs aside.
        phases["holdout_train"] = None
    else:
        phases["holdout_train"] = float(
            sum(np.sum(m.history[:, "dur"]) for m in clf.holdout_estimators_)
        )
    if phases["holdout_train"] is None:
        phases["holdout_train"] = wall - phases["final"]
    phases["other"] = wall - phases["final"] - phases["holdout_train"]
    return wall, cpu, phases


# ------------------------------------------------------------------ benchmark
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
    "cv5_together": "MATClassifier cv=5, vectorize=True",
    "xrm": "MATClassifier holdout='xrm'",
}
# Rows x epochs of training relative to ERM: cv=k trains k nets on (k-1)/k of
# the rows, then the final net; XRM runs both twins (forward and backward) on
# every row of every batch, then the final net.
WORK_RATIO = {"erm": 1.0, "cv2": 2.0, "cv5": 5.0, "cv5_together": 5.0, "xrm": 3.0}
# MATClassifier parameters of each fit variant: "cv5" fits the folds one by one,
# "cv5_together" as one joint net (MATClassifier's default, "auto", picks the
# latter on a GPU and the former on CPU).
FIT_PARAMS = {
    "cv2": dict(cv=2),
    "cv5": dict(cv=5, vectorize=False),
    "cv5_together": dict(cv=5, vectorize=True),
    "xrm": dict(holdout="xrm"),
}


def benchmark_shape(shape, repeats, device, log, sync_check=False):
    name, n_samples, row_shape, hidden, epochs = shape
    X, y = make_data(n_samples, row_shape)
    fit_params = FIT_PARAMS
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
    fit_variants = {"erm": lambda: run_erm(X, y, hidden, epochs, device)}
    for key, params in fit_params.items():
        fit_variants[key] = lambda params=params: run_mat(
            X, y, hidden, epochs, device, **params
        )
    # Untimed warm-up of every code path (lazy imports, kernels) on a small slice.
    small = slice(0, min(n_samples, 2048))
    Xs, ys = X[small], y[small]
    run_bare(Xs, ys, hidden, 1, device)
    run_skorch_default(Xs, ys, hidden, 1, device)
    run_skmat_shifted(Xs, ys, hidden, 1, device, shift[small])
    for params in fit_params.values():
        run_mat(Xs, ys, hidden, 1, device, **params)

    epoch_runs = {k: {"wall": [], "cpu": [], "fit": []} for k in epoch_variants}
    fit_runs = {k: {"wall": [], "cpu": [], "phases": []} for k in fit_variants}
    for r in range(repeats):
        for key, fn in epoch_variants.items():
            gc.collect()
            fit_wall, walls, cpus = fn()
            epoch_runs[key]["fit"].append(fit_wall)
            epoch_runs[key]["wall"].append(float(np.sum(walls)) / epochs)
            epoch_runs[key]["cpu"].append(float(np.sum(cpus)) / epochs)
            log(
                f"  [{name} repeat {r}] ({key}) {epoch_runs[key]['wall'][-1]:.3f} s "
                f"/ epoch ({epoch_runs[key]['cpu'][-1]:.3f} CPU s)"
            )
        for key, fn in fit_variants.items():
            gc.collect()
            wall, cpu, phases = fn()
            fit_runs[key]["wall"].append(wall)
            fit_runs[key]["cpu"].append(cpu)
            fit_runs[key]["phases"].append(phases)
            log(f"  [{name} repeat {r}] {key} fit {wall:.2f} s ({cpu:.2f} CPU s)")
    med = lambda values: float(np.median(values))  # noqa: E731
    result = {
        "shape": shape,
        "X_mb": X.nbytes / 2**20,
        "epoch": {
            k: {m: med(v[m]) for m in ("wall", "cpu", "fit")}
            for k, v in epoch_runs.items()
        },
        "fit": {
            k: {
                "wall": med(v["wall"]),
                "cpu": med(v["cpu"]),
                "phases": {p: med([b[p] for b in v["phases"]]) for p in v["phases"][0]},
            }
            for k, v in fit_runs.items()
        },
        "runs": {"epoch": epoch_runs, "fit": fit_runs},
    }
    # Ratios are medians of the per-repeat ratios: within a repeat the variants
    # run back to back, so a change of machine load between repeats cancels.
    result["epoch_ratio"] = {
        k: {m: med(np.divide(v[m], epoch_runs["a"][m])) for m in ("wall", "cpu")}
        for k, v in epoch_runs.items()
    }
    result["fit_ratio"] = {
        k: {m: med(np.divide(v[m], fit_runs["erm"][m])) for m in ("wall", "cpu")}
        for k, v in fit_runs.items()
    }
    # The spread of the per-repeat wall-clock ratios shows how much of a
    # difference to a target is the machine's noise.
    result["epoch_ratio_runs"] = {
        k: np.divide(v["wall"], epoch_runs["a"]["wall"]).tolist()
        for k, v in epoch_runs.items()
    }
    result["fit_ratio_runs"] = {
        k: np.divide(v["wall"], fit_runs["erm"]["wall"]).tolist()
        for k, v in fit_runs.items()
    }
    if name not in TARGET_SHAPES:
        return result
    if sync_check:
        result["syncs"] = sync_counts(X, y, hidden, device, shift)
    if max(result["epoch_ratio"]["c"].values()) > TARGET_EPOCH:
        result["profile"] = profile_epoch(X, y, hidden, device, shift)
    limits = {"cv2": TARGET_CV2, "xrm": TARGET_XRM}
    if torch.device(device).type == "cuda":
        limits["cv5_together"] = TARGET_CV5_GPU
    result["fit_profiles"] = {}
    for key, limit in limits.items():
        if key not in result["fit_ratio"]:
            continue
        if max(result["fit_ratio"][key].values()) > limit:
            result["fit_profiles"][key] = profile_fit(
                X, y, hidden, epochs, device, **FIT_PARAMS[key]
            )
    return result


PROFILE_PARTS = [
    ("MATClassifier.fit, total", "mat.py", "fit"),
    (
        "training loops of the skorch nets (run_single_epoch)",
        "net.py",
        "run_single_epoch",
    ),
    ("XRM twins: training and their prediction (fit_xrm)", "xrm.py", "fit_xrm"),
    (
        "fold nets trained together (fit_folds_together)",
        "together.py",
        "fit_folds_together",
    ),
    ("fold copies of X (take_rows)", "_inputs.py", "take_rows"),
    ("held-out prediction (skorch predict_proba)", "net.py", "predict_proba"),
    ("twins' prediction on the training set", "xrm.py", "predict_proba_twins"),
    ("input validation (check_X)", "_inputs.py", "check_X"),
    ("float32 copy of X for the nets (for_nets)", "_inputs.py", "for_nets"),
    ("the shift (mat_shift)", "transition.py", "mat_shift"),
]


def profile_fit(X, y, hidden, epochs, device, **mat_params):
    """cProfile of one MATClassifier fit, summed into named parts (seconds)."""
    clf = MATClassifier(
        mat_net(X.shape[1:], hidden, epochs, device), random_state=SEED, **mat_params
    )
    prof = cProfile.Profile()
    prof.enable()
    clf.fit(X, y)
    prof.disable()
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
    net = MATNeuralNetClassifier(
        **net_params(X.shape[1:], hidden, 1, device), random_state=SEED
    )
    prof.enable()
    net.fit(X, y, mat_shift=shift)
    prof.disable()
    stream = io.StringIO()
    stats = pstats.Stats(prof, stream=stream)
    stats.sort_stats("tottime").print_stats(top)
    lines = [
        line.rstrip().replace(str(pathlib.Path(torch.__file__).parents[1]), "...")
        for line in stream.getvalue().splitlines()
        if line.strip() and not line.lstrip().startswith(("Ordered by", "List red"))
    ]
    return "\n".join(lines)


# ---------------------------------------------------------------- CUDA syncs
def sync_counts(X, y, hidden, device, shift, n_folds=5):
    """Synchronising CUDA calls per training step, by torch's sync debug mode.

    One epoch each of (c), of the ``n_folds`` fold nets trained together and of
    the XRM twins; skorch's own read of each step's loss (``loss.item()``) is
    one. Returns ``{label: (syncs, steps)}``.
    """
    import warnings

    from sklearn.model_selection import KFold

    from skmat.together import fit_folds_together
    from skmat.xrm import as_xrm_net

    splits = list(KFold(n_folds).split(X))
    runs = {
        "(c) skmat final net + shift": lambda: mat_net(
            X.shape[1:], hidden, 1, device
        ).fit(X, y, mat_shift=shift),
        f"{n_folds} fold nets trained together": lambda: fit_folds_together(
            mat_net(X.shape[1:], hidden, 1, device), X, y, splits
        ),
        "XRM twins": lambda: as_xrm_net(mat_net(X.shape[1:], hidden, 1, device)).fit(
            X, y
        ),
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
                net = run()
                if on_cuda:
                    torch.cuda.synchronize()
            finally:
                if on_cuda:
                    torch.cuda.set_sync_debug_mode("default")
        # On the CPU (a dry run of this code) there is nothing to count.
        syncs = sum("synchronizing" in str(w.message) for w in caught)
        counts[label] = (
            syncs if on_cuda else None,
            int(net.history[-1, "train_batch_count"]),
        )
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


def _current_rss_mb():
    rss = _proc_status_mb("VmRSS")
    return float("nan") if rss is None else rss


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
    x_mb = (
        (X.data.nbytes + X.indices.nbytes + X.indptr.nbytes)
        if hasattr(X, "indptr")
        else X.nbytes
    ) / 2**20
    gc.collect()
    base_rss = _current_rss_mb()
    base_peak = _peak_rss_mb()
    net = mat_net(X.shape[1:], hidden, 1, device, batch_size=batch_size)
    start = time.perf_counter()
    if kind == "erm":
        net.fit(X, y)
    else:
        MATClassifier(net, random_state=SEED, **FIT_PARAMS[kind]).fit(X, y)
    wall = time.perf_counter() - start
    out = dict(
        kind=kind,
        data=data,
        X_mb=x_mb,
        base_rss_mb=base_rss,
        base_peak_mb=base_peak,
        peak_mb=_peak_rss_mb(),
        ru_maxrss_mb=_maxrss_mb(),
        wall=wall,
    )
    print("MEMORY_RESULT " + json.dumps(out))


def benchmark_memory(shape, device, log, kinds, data="dense"):
    results = {}
    for kind in kinds:
        cmd = [
            sys.executable,
            str(pathlib.Path(__file__).resolve()),
            "--_memory-child",
            kind,
            "--_memory-data",
            data,
            "--_memory-shape",
            *[str(v) for v in shape],
            "--device",
            device,
            "--threads",
            str(torch.get_num_threads()),
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        lines = [
            line for line in proc.stdout.splitlines() if line.startswith("MEMORY_")
        ]
        if proc.returncode != 0 or not lines:
            raise RuntimeError(
                f"memory child {kind} failed ({proc.returncode}):\n{proc.stderr}"
            )
        results[kind] = json.loads(lines[-1].split(" ", 1)[1])
        r = results[kind]
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
    relative = pathlib.Path(output).resolve().relative_to(REPO_ROOT)
    found = subprocess.run(
        ["git", "show", f"{spec}:{relative.as_posix()}"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
    )
    if found.returncode != 0:
        raise SystemExit(
            f"--baseline {spec!r}: neither a file nor a git revision with "
            f"{relative.as_posix()} ({found.stderr.strip()})"
        )
    return found.stdout, f"`{relative.as_posix()}` as committed at `{spec}`"


def read_previous_ratios(text):
    """The "/ (a)" and "/ ERM" ratios of an earlier results file of this script:
    ``{(shape, label): ratio}`` (the labels of EPOCH_LABELS and FIT_LABELS)."""
    labels = set(EPOCH_LABELS.values()) | set(FIT_LABELS.values())
    ratios, shape = {}, None
    for line in text.splitlines():
        if line.startswith("## "):
            shape = line[3:].split(":")[0]
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if shape is None or len(cells) < 5 or cells[0] not in labels:
            continue
        column = 4 if cells[0] in EPOCH_LABELS.values() else 3
        try:
            ratios[(shape, cells[0])] = float(cells[column])
        except ValueError:
            continue
    return ratios


def render_comparison(previous, source, shapes_results):
    """Each ratio of this run beside the same ratio in an earlier results file."""
    lines = [
        "## Against the previous results",
        "",
        f"The same ratios in {source} (an earlier run of this script, before "
        "the changes this run measures), beside this run's median and the range "
        "of its per-repeat ratios (wall-clock).",
        "",
        "| shape | variant | previous | now (median) | now, per-repeat min - max |",
        "|---|---|---|---|---|",
    ]
    for res in shapes_results:
        name = res["shape"][0]
        rows = [
            (EPOCH_LABELS[k], res["epoch_ratio"][k]["wall"], res["epoch_ratio_runs"][k])
            for k in res["epoch_ratio"]
            if k != "a"
        ]
        rows += [
            (FIT_LABELS[k], res["fit_ratio"][k]["wall"], res["fit_ratio_runs"][k])
            for k in res["fit_ratio"]
            if k != "erm"
        ]
        for label, value, runs in rows:
            before = previous.get((name, label))
            before_text = "" if before is None else f"{before:.2f}"
            lines.append(
                f"| {name} | {label} | {before_text} | {value:.2f} "
                f"| {min(runs):.2f} - {max(runs):.2f} |"
            )
    lines.append("")
    return lines


# -------------------------------------------------------------------- report
def _status(value, target):
    if value <= target:
        return "PASS"
    return f"MISS (+{value / target - 1:.0%})"


def render(
    args,
    shapes_results,
    memory,
    memory_shape,
    info,
    sparse=None,
    previous=None,
    source=None,
):
    device = args.device
    on_gpu = torch.device(device).type == "cuda"
    options = ""
    if args.quick:
        options += " --quick"
    if args.repeats != (1 if args.quick else 3):
        options += f" --repeats {args.repeats}"
    if device != "cpu":
        options += f" --device {device}"
    if args.threads is not None:
        options += f" --threads {args.threads}"
    if args.shapes:
        options += " --shapes " + " ".join(args.shapes)
    for flag in ("skip_memory", "skip_sparse", "sync_check"):
        if getattr(args, flag):
            options += " --" + flag.replace("_", "-")
    if args.baseline is not None:
        options += f" --baseline {args.baseline}"
    if pathlib.Path(args.output).resolve() != pathlib.Path(RESULTS).resolve():
        output = pathlib.Path(args.output).resolve()
        shown = (
            output.relative_to(REPO_ROOT)
            if output.is_relative_to(REPO_ROOT)
            else output
        )
        options += f" --output {shown.as_posix()}"
    lines = [
        f"# Speed and memory ({'GPU' if on_gpu else 'CPU'}, "
        f"{args.threads or 'default'} torch thread{'' if args.threads == 1 else 's'})",
        "",
        f"Command: `python benchmarks/speed.py{options}`"
        + (" (**quick smoke run, small sizes: not the benchmark**)" * args.quick)
        + ".",
        "",
        f"Machine: {machine_description()}.",
        "",
        f"Device `{device}`; torch intra-op threads: {torch.get_num_threads()}; "
        f"medians of {args.repeats} run(s) per number; whole run "
        f"{info['seconds'] / 60:.1f} min; load average (1 min) "
        f"{info['load_start']:.1f} at the start, {info['load_end']:.1f} at the end "
        f"(on {os.cpu_count()} cores).",
        "",
        "Every variant uses the shape's network (`skmat.mlp.MLPModule`, or the "
        "images shape's CNN: two 3x3 convolutions of 16 and 32 channels, each "
        "followed by ReLU and 2x2 max pooling, then a linear head), "
        "`CrossEntropyLoss`, Adam "
        "(lr 1e-3), batch size 256, shuffled batches, every row in training (no "
        "validation split), the same float32 data and the same number of epochs.",
        "",
        "- (a) bare PyTorch loop: tensors made once on the device; each epoch one "
        "`randperm`, each batch the gather `X[perm[i:i+256]]`, then zero_grad, "
        "forward, backward, step. No skorch, no logging.",
        "- (b) skorch's `NeuralNetClassifier` with its default data path "
        "(`skorch.dataset.Dataset`: one `__getitem__` per row, then torch's "
        "`default_collate`); only `train_split=None` and `verbose=0` changed.",
        "- (c) skmat's final-network training: `MATNeuralNetClassifier` fitted "
        "with `fit(X, y, mat_shift=shift)` (NumPy X, as `MATClassifier` passes "
        "it) and a random valid shift (log of Dirichlet(1, 1) probabilities): "
        "skorch's own loop over skorch's `Dataset`, each batch gathered at once "
        "(one tensor gather, through `__getitems__`) with its rows' shift.",
        "- (d) ERM = the same `MATNeuralNetClassifier` fitted plainly on `(X, y)` "
        "(the final network without the held-out phase); MAT = "
        "`MATClassifier(net, cv=2 | cv=5 | holdout='xrm', random_state=0)` with "
        "`holdout_estimator=None` (a copy of the net, same epochs); cv=5 twice: "
        "folds fitted one by one (`vectorize=False`, MATClassifier's choice on CPU) "
        "and trained together as one skorch net (`vectorize=True`, its choice on "
        "a GPU: a module holding the 5 copies' stacked parameters, each copy's "
        "loss over its own rows, one optimizer step; on CPU the copies run one "
        "after the other on their own rows, on a GPU in one `torch.vmap` call; "
        "the joint batch is 5/4 of 256 so that each copy sees 256 of its own "
        "rows per step). Ratio = time of "
        "`MATClassifier.fit` / time of the ERM `fit`. 'work' is the rows x epochs "
        "of training relative to ERM: cv=k trains k nets on (k-1)/k of the rows, "
        "then the final net (k); XRM trains each row in one twin and runs the "
        "other twin forward on it (twice the rows forward, once backward, so "
        "between 1.3 and 2 depending on how much backward costs), then the final "
        "net: counted as 3, the bound the target was set from.",
        "",
        "Times are medians over the repeats; ratios are medians of the "
        "per-repeat ratios (the variants of a repeat run back to back, so a change "
        "of load between repeats cancels). "
        "Per-epoch times of (b) and (c) are skorch's `history[:, 'dur']` (the batch "
        "loop with skorch's per-batch callbacks and logging) and the process CPU "
        "time of the same span (an epoch-level timer callback); (a) is timed the "
        "same way around its epoch loop. The CPU-time columns are what each "
        "variant costs when the machine is shared (other processes ran on these "
        "cores); wall-clock is what the targets name. 'held-out training', "
        "'final net' are the epoch loops' own times (skorch `dur` of the fold "
        "nets, of the XRM twin net and of the final net; for the folds trained "
        "together, whose joint net is not kept, the rest of the fit); 'other' is "
        "the rest of `fit` (validation, splitting, held-out prediction of each "
        "fold's test rows, the shift). Each fold fitted alone trains on a copy "
        "of its rows of X, made when the fold starts, as `cross_val_predict` "
        "does; the folds trained together and the XRM twins read X in place.",
        "",
    ]
    summary = []
    for res in shapes_results:
        name, n_samples, row_shape, hidden, epochs = res["shape"]
        rows = " x ".join(str(v) for v in (f"{n_samples:,}", *row_shape))
        lines += [
            f"## {name}: {rows} float32 "
            f"({res['X_mb']:.0f} MB), {describe_net(row_shape, hidden)}, "
            f"{epochs} epoch(s)",
            "",
            "| variant | s / epoch | CPU s / epoch | fit wall s | / (a) | "
            "/ (a) CPU | target | status | status CPU |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        ep = res["epoch"]
        for key, e in ep.items():
            ratio = res["epoch_ratio"][key]["wall"]
            ratio_cpu = res["epoch_ratio"][key]["cpu"]
            target = status = status_cpu = ""
            if key.startswith("c") and name in TARGET_SHAPES:
                target = f"<= {TARGET_EPOCH}"
                status = _status(ratio, TARGET_EPOCH)
                status_cpu = _status(ratio_cpu, TARGET_EPOCH)
            if key == "c" and name in TARGET_SHAPES:
                summary.append(
                    (
                        f"{name}: (c)/(a) per epoch",
                        ratio,
                        ratio_cpu,
                        TARGET_EPOCH,
                        res["epoch_ratio_runs"][key],
                    )
                )
            lines.append(
                f"| {EPOCH_LABELS[key]} | {e['wall']:.3f} | {e['cpu']:.3f} "
                f"| {e['fit']:.2f} | {ratio:.2f} | {ratio_cpu:.2f} | {target} "
                f"| {status} | {status_cpu} |"
            )
        lines += [
            "",
            "| fit | wall s | CPU s | / ERM | / ERM CPU | work | held-out "
            "training s | final net s | other s | target | status | status CPU |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        fit = res["fit"]
        for key, f in fit.items():
            ratio = res["fit_ratio"][key]["wall"]
            ratio_cpu = res["fit_ratio"][key]["cpu"]
            limit = {"cv2": TARGET_CV2, "xrm": TARGET_XRM}.get(key)
            if name not in TARGET_SHAPES:
                limit = None
            target = status = status_cpu = ""
            if limit is not None:
                target = f"<= {limit} (CPU)"
                status, status_cpu = _status(ratio, limit), _status(ratio_cpu, limit)
                summary.append(
                    (
                        f"{name}: {FIT_LABELS[key]} / ERM",
                        ratio,
                        ratio_cpu,
                        limit,
                        res["fit_ratio_runs"][key],
                    )
                )
            elif key == "cv5_together" and name in TARGET_SHAPES:
                target = f"<= {TARGET_CV5_GPU} (GPU)"
                if on_gpu:
                    status = _status(ratio, TARGET_CV5_GPU)
                    status_cpu = _status(ratio_cpu, TARGET_CV5_GPU)
                    summary.append(
                        (
                            f"{name}: {FIT_LABELS[key]} / ERM",
                            ratio,
                            ratio_cpu,
                            TARGET_CV5_GPU,
                            res["fit_ratio_runs"][key],
                        )
                    )
                else:
                    status = status_cpu = "GPU target"
            ph = f["phases"]
            hold = ph.get("holdout_train")
            hold_text = "" if hold is None else f"{hold:.2f}"
            other_text = "" if hold is None else f"{ph['other']:.2f}"
            lines.append(
                f"| {FIT_LABELS[key]} | {f['wall']:.2f} | {f['cpu']:.2f} "
                f"| {ratio:.2f} | {ratio_cpu:.2f} | {WORK_RATIO[key]:.0f} "
                f"| {hold_text} | {ph['final']:.2f} | {other_text} | {target} "
                f"| {status} | {status_cpu} |"
            )
        lines.append("")
        for key, parts in res.get("fit_profiles", {}).items():
            total = parts[0][1]
            lines += [
                f"{FIT_LABELS[key]} is over its target on this shape (wall or CPU); "
                "cProfile of one fit, cumulative seconds of its parts (the "
                "profiler slows small calls, so read the shares):",
                "",
                "| part | s | share of the fit |",
                "|---|---|---|",
            ]
            lines += [
                f"| {label} | {seconds:.2f} | {seconds / total:.0%} |"
                for label, seconds in parts
            ]
            lines.append("")
        if "syncs" in res:
            lines += [
                "Host synchronisations per training step (torch's CUDA sync debug "
                "mode over one epoch; skorch reads each step's loss with "
                "`loss.item()`, which is one):",
                "",
                "| training | synchronising calls | steps | per step |",
                "|---|---|---|---|",
            ]
            lines += [
                f"| {label} | {'n/a (CPU)' if syncs is None else syncs} | {steps} "
                f"| {'' if syncs is None else f'{syncs / max(steps, 1):.2f}'} |"
                for label, (syncs, steps) in res["syncs"].items()
            ]
            lines.append("")
        if "profile" in res:
            lines += [
                "(c) is over its target on this shape (wall or CPU); cProfile of "
                "one epoch of (c), sorted by own time:",
                "",
                "```",
                res["profile"],
                "```",
                "",
            ]
    if memory:
        n_samples, n_features = memory_shape
        x_mb = next(iter(memory.values()))["X_mb"]
        lines += [
            f"## Peak memory: {n_samples:,} x {n_features} float32 "
            f"(X = {x_mb:.0f} MB), linear head, 1 epoch, batch {MEMORY_BATCH}",
            "",
            "Each fit in a fresh process. Baseline = RSS after the imports and the "
            "data (X, y) were made, just before `fit` (it includes X and the "
            "libraries); peak = the process's peak RSS after `fit` (`VmHWM` of "
            "/proc/self/status; `ru_maxrss` is not used because on Linux a child "
            "inherits the parent's RSS high-water mark across fork + exec: a 13 MB "
            "child of a 1.5 GB parent reads 1553 MB).",
            "",
            "| fit | baseline RSS MB | peak RSS MB | peak - baseline MB "
            "| peak / X | (peak - baseline) / X | fit s | target | status |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for key, r in memory.items():
            ratio = r["peak_mb"] / r["X_mb"]
            extra = r["peak_mb"] - r["base_rss_mb"]
            target = status = ""
            if key == "cv2":
                target = f"<= {TARGET_MEMORY} x X"
                status = _status(ratio, TARGET_MEMORY)
                summary.append(
                    (
                        "peak RSS of MATClassifier.fit (cv=2) / size of X",
                        ratio,
                        None,
                        TARGET_MEMORY,
                        None,
                    )
                )
            lines.append(
                f"| {FIT_LABELS[key]} | {r['base_rss_mb']:.0f} | {r['peak_mb']:.0f} "
                f"| {extra:.0f} | {ratio:.2f} | {extra / r['X_mb']:.2f} "
                f"| {r['wall']:.1f} | {target} | {status} |"
            )
        lines.append("")
    if sparse:
        n_docs, n_terms, per_doc = sparse["shape"]
        lines += [
            f"## Sparse text features: {n_docs:,} documents x {n_terms:,} terms "
            f"({per_doc} per document), MLP {n_terms}-{SPARSE_HIDDEN[0]}-2, 1 "
            "epoch, batch 256",
            "",
            "A TF-IDF-like CSR matrix (float32, unit-norm rows) and its dense copy, "
            "each fit in a fresh process, measured like the peak memory above. On "
            "the CSR matrix the rows of each batch are densified when the batch "
            "is gathered; 'X MB' is the size of the matrix (data, indices and "
            "row pointers for CSR).",
            "",
            "| fit | X | X MB | baseline RSS MB | peak RSS MB | peak - baseline MB "
            "| fit s |",
            "|---|---|---|---|---|---|---|",
        ]
        for (data, kind), r in sparse["results"].items():
            form = "CSR" if data == "tfidf-sparse" else "dense"
            lines.append(
                f"| {FIT_LABELS[kind]} | {form} "
                f"| {r['X_mb']:.0f} | {r['base_rss_mb']:.0f} | {r['peak_mb']:.0f} "
                f"| {r['peak_mb'] - r['base_rss_mb']:.0f} | {r['wall']:.1f} |"
            )
        lines.append("")
    if previous:
        lines += render_comparison(previous, source, shapes_results)
    lines += [
        "## Targets",
        "",
        "Measured = median of the per-repeat ratios; the last column is the "
        "range of the per-repeat wall-clock ratios, the machine's noise.",
        "",
        "| target | measured (wall) | measured (CPU time) | limit | status "
        "| status CPU | per-repeat ratios (wall), min - max |",
        "|---|---|---|---|---|---|---|",
    ]
    for label, value, value_cpu, limit, runs in summary:
        cpu_text = "" if value_cpu is None else f"{value_cpu:.2f}"
        cpu_status = "" if value_cpu is None else _status(value_cpu, limit)
        spread = "" if runs is None else f"{min(runs):.2f} - {max(runs):.2f}"
        lines.append(
            f"| {label} | {value:.2f} | {cpu_text} | {limit} "
            f"| {_status(value, limit)} | {cpu_status} | {spread} |"
        )
    noisy = [
        label
        for label, value, _, limit, runs in summary
        if runs is not None and value > limit and min(runs) <= limit
    ]
    if noisy:
        lines += [
            "",
            "Missed by the median but met by at least one repeat (within this "
            "run's noise): " + "; ".join(noisy) + ".",
        ]
    if not on_gpu:
        lines += [
            "",
            "Not measured by this run (GPU targets): (c)/(a) <= 1.2 per epoch and "
            "MATClassifier cv=5 / ERM <= 2.0 on a GPU; run "
            "`python benchmarks/speed.py --device cuda` on a GPU machine.",
        ]
    lines.append("")
    return "\n".join(lines)


# ----------------------------------------------------------------------- main
def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, smoke run")
    parser.add_argument(
        "--repeats",
        type=int,
        default=None,
        help="runs per number (median); default 3, 1 with --quick",
    )
    parser.add_argument(
        "--device", default="cpu", help="torch device: cpu (default) or cuda"
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="torch.set_num_threads (default: torch's default)",
    )
    parser.add_argument(
        "--skip-memory", action="store_true", help="skip the peak-memory part"
    )
    parser.add_argument(
        "--shapes",
        nargs="+",
        default=None,
        help="only these shapes (tabular, embedding, images, small)",
    )
    parser.add_argument(
        "--output",
        default=str(RESULTS),
        help="markdown file to write ('-' to only print)",
    )
    parser.add_argument(
        "--_memory-child", dest="memory_child", default=None, help=argparse.SUPPRESS
    )
    parser.add_argument(
        "--_memory-shape",
        dest="memory_shape",
        nargs="+",
        type=int,
        default=None,
        help=argparse.SUPPRESS,
    )
    parser.add_argument(
        "--_memory-data", dest="memory_data", default="dense", help=argparse.SUPPRESS
    )
    parser.add_argument(
        "--skip-sparse", action="store_true", help="skip the sparse-features part"
    )
    parser.add_argument(
        "--sync-check",
        action="store_true",
        help="count CUDA host synchronisations per step (always on with cuda; on "
        "the CPU it only runs the code, for a dry run)",
    )
    parser.add_argument(
        "--baseline",
        default=None,
        help="an earlier results file of this script, or a git revision (its "
        "committed copy of --output is read): its ratios are shown beside this "
        "run's",
    )
    args = parser.parse_args(argv)
    if args.repeats is None:
        args.repeats = 1 if args.quick else 3
    return args


def main(argv=None):
    args = parse_args(argv)
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    if args.memory_child:
        memory_child(
            args.memory_child, args.memory_shape, args.device, args.memory_data
        )
        return
    from skmat.nets import check_device

    check_device(args.device, name="--device")

    def log(message):
        print(message, flush=True)

    start = time.perf_counter()
    load_start = os.getloadavg()[0]
    shapes = QUICK_SHAPES if args.quick else FULL_SHAPES
    if args.shapes:
        shapes = [s for s in shapes if s[0] in args.shapes]
    shapes_results = []
    for shape in shapes:
        log(f"shape {shape[0]}: {shape[1]:,} x {' x '.join(map(str, shape[2]))}")
        shapes_results.append(
            benchmark_shape(
                shape,
                args.repeats,
                args.device,
                log,
                sync_check=args.sync_check or torch.device(args.device).type == "cuda",
            )
        )
    memory, memory_shape = None, QUICK_MEMORY if args.quick else FULL_MEMORY
    if not args.skip_memory:
        log(f"peak memory: {memory_shape[0]:,} x {memory_shape[1]}")
        memory = benchmark_memory(
            memory_shape,
            args.device,
            log,
            kinds=("erm", "cv2", "cv5", "cv5_together", "xrm"),
        )
    sparse = None
    if not args.skip_sparse:
        sparse_shape = QUICK_SPARSE if args.quick else FULL_SPARSE
        log(f"sparse features: {sparse_shape[0]:,} x {sparse_shape[1]:,}")
        results = {}
        for data in ("tfidf-sparse", "tfidf-dense"):
            found = benchmark_memory(
                sparse_shape, args.device, log, kinds=("erm", "cv2"), data=data
            )
            results.update({(data, kind): r for kind, r in found.items()})
        sparse = {"shape": sparse_shape, "results": results}
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
        args, shapes_results, memory, memory_shape, info, sparse, previous, source
    )
    print(text)
    if args.output != "-":
        out = pathlib.Path(args.output)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text)


if __name__ == "__main__":
    main()
