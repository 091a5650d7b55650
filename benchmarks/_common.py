"""Shared helpers of the benchmark scripts: the paper's net, metrics, machine info."""

from __future__ import annotations

import datetime
import os
import platform

import numpy as np


def paper_linear_net(n_features=1800, max_epochs=1000, lr=1e-2):
    """The Figure 1 model: bias-free linear layer, full-batch SGD (a skorch net)."""
    import torch
    from skorch import NeuralNetClassifier

    return NeuralNetClassifier(
        torch.nn.Linear,
        module__in_features=n_features,
        module__out_features=2,
        module__bias=False,
        criterion=torch.nn.CrossEntropyLoss,
        optimizer=torch.optim.SGD,
        lr=lr,
        batch_size=-1,
        max_epochs=max_epochs,
        train_split=None,
        verbose=0,
    )


def group_scores(y, y_pred, groups):
    """Average accuracy, worst-group accuracy and mean group accuracy."""
    accs = [np.mean(y_pred[groups == g] == y[groups == g]) for g in np.unique(groups)]
    return float(np.mean(y_pred == y)), float(min(accs)), float(np.mean(accs))


def machine_description():
    """One markdown line describing where a benchmark ran."""
    import sklearn
    import skorch
    import torch

    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
    # The load average says whether other work shared the cores: wall-clock
    # times of a loaded machine are not those of a quiet one.
    load = (
        f", load average {os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else ""
    )
    return (
        f"{datetime.date.today().isoformat()}, {platform.machine()}, "
        f"{os.cpu_count()} CPU cores{load}, {gpu}; Python {platform.python_version()}, "
        f"torch {torch.__version__} ({torch.get_num_threads()} threads), "
        f"scikit-learn {sklearn.__version__}, skorch {skorch.__version__}, "
        f"numpy {np.__version__}"
    )


def mean_std(values):
    values = np.asarray(values, dtype=float)
    return f"{values.mean():.3f} ± {values.std():.3f}"
