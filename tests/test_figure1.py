"""The test that says the method works: the paper's Figure 1 problem.

Core feature x1, a five-times larger spurious feature that is wrong on 10% of the
training set (uninformative at test), and 1798 noise dimensions to memorize that
10% with. A plainly trained linear net leans on the shortcut and fails the
minority; MAT, with the same net and held-out predictions from 2-fold CV, learns
the core feature.
"""

import numpy as np
import pytest
import torch
from skorch import NeuralNetClassifier

from skmat import MATClassifier
from skmat.datasets import make_spurious_splits


def worst_group_accuracy(y, y_pred, groups):
    return min(
        np.mean(y_pred[groups == g] == y[groups == g]) for g in np.unique(groups)
    )


def paper_net():
    # The user's own skorch net: bias-free linear layer, full-batch SGD, 1000 epochs.
    return NeuralNetClassifier(
        torch.nn.Linear,
        module__in_features=1800,
        module__out_features=2,
        module__bias=False,
        criterion=torch.nn.CrossEntropyLoss,
        optimizer=torch.optim.SGD,
        lr=1e-2,
        batch_size=-1,
        max_epochs=1000,
        train_split=None,
        verbose=0,
    )


@pytest.mark.slow
def test_mat_beats_erm_on_figure1_problem():
    data = make_spurious_splits(1000, 1800, noise_std=0.5, random_state=0)
    (X_train, y_train, _), (X_test, y_test, g_test) = data.train, data.test

    torch.manual_seed(0)
    erm = paper_net().fit(X_train.astype(np.float32), y_train)
    erm_worst = worst_group_accuracy(
        y_test, erm.predict(X_test.astype(np.float32)), g_test
    )

    mat = MATClassifier(paper_net(), cv=2, random_state=0).fit(X_train, y_train)
    mat_worst = worst_group_accuracy(y_test, mat.predict(X_test), g_test)

    assert mat_worst >= 0.85, (erm_worst, mat_worst)
    assert mat_worst >= erm_worst + 0.5, (erm_worst, mat_worst)
