"""MAT in your own training loop (docs/user_guide/own_loop.rst): a bare PyTorch loop
and a Lightning Fabric loop train exactly the net MATClassifier trains.

The recipe of the page: held-out probabilities from any route, the shift from
:func:`skmat.transition.mat_shift`, the row index carried in each batch and
``logits + shift[idx]`` in the loss. Given the same data, held-out
probabilities, initial weights and batches (the same shuffling generator), the
loops end with the weights of :class:`skmat.MATClassifier`'s final net, to
float32 rounding.
"""

import copy

import numpy as np
import pytest
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_predict
from skorch import NeuralNetClassifier
from torch.nn import functional as F
from torch.utils.data import DataLoader, TensorDataset

from skmat import MATClassifier
from skmat.datasets import make_spurious_classification
from skmat.transition import mat_shift

N, D, EPOCHS, BATCH, LR, SEED = 120, 12, 30, 32, 0.05, 3
X, Y, GROUPS = make_spurious_classification(N, D, random_state=0)
X = X.astype(np.float32)
# Any route to held-out probabilities: here scikit-learn's cross_val_predict of
# a model that sees the shortcut only (column 1), so that the shift is far from
# the labels (a held-out model right on every row would leave no loss to train).
HOLDOUT_PROBA = cross_val_predict(
    LogisticRegression(), X[:, [1]], Y, cv=4, method="predict_proba"
)


def initial_module():
    torch.manual_seed(0)
    return torch.nn.Sequential(
        torch.nn.Linear(D, 16), torch.nn.ReLU(), torch.nn.Linear(16, 2)
    )


def loader(shuffle_seed):
    """Rows with their index: the shift of each row rides with it."""
    rows = TensorDataset(torch.as_tensor(X), torch.as_tensor(Y), torch.arange(len(Y)))
    generator = torch.Generator().manual_seed(shuffle_seed)
    return DataLoader(rows, batch_size=BATCH, shuffle=True, generator=generator)


def shift_tensor(temperature=0.1):
    # Labels encoded 0 .. C-1, in the order of the probability columns.
    return torch.as_tensor(mat_shift(HOLDOUT_PROBA, Y, temperature).shift).float()


def train_bare(model, shuffle_seed, optimizer=torch.optim.SGD):
    shift = shift_tensor()
    optimizer = optimizer(model.parameters(), lr=LR)
    batches = loader(shuffle_seed)
    model.train()
    for _ in range(EPOCHS):
        for xb, yb, idx in batches:
            optimizer.zero_grad()
            loss = F.cross_entropy(model(xb) + shift[idx], yb)
            loss.backward()
            optimizer.step()
    return model


def train_fabric(model, shuffle_seed):
    from lightning_fabric import Fabric

    fabric = Fabric(accelerator="cpu", devices=1)
    optimizer = torch.optim.SGD(model.parameters(), lr=LR)
    model, optimizer = fabric.setup(model, optimizer)
    batches = fabric.setup_dataloaders(loader(shuffle_seed))
    shift = shift_tensor().to(fabric.device)
    model.train()
    for _ in range(EPOCHS):
        for xb, yb, idx in batches:
            optimizer.zero_grad()
            loss = F.cross_entropy(model(xb) + shift[idx], yb)
            fabric.backward(loss)
            optimizer.step()
    return model.module if hasattr(model, "module") else model


def mat_classifier(shuffle_seed, optimizer=torch.optim.SGD):
    net = NeuralNetClassifier(
        initial_module(),  # an instance: the same initial weights as the loops
        criterion=torch.nn.CrossEntropyLoss,
        optimizer=optimizer,
        lr=LR,
        batch_size=BATCH,
        max_epochs=EPOCHS,
        train_split=None,
        iterator_train__shuffle=True,
        iterator_train__generator=torch.Generator().manual_seed(shuffle_seed),
        verbose=0,
    )
    clf = MATClassifier(net, temperature=0.1, random_state=SEED)
    return clf.fit(X, Y, holdout_proba=HOLDOUT_PROBA)


def weights(module):
    return [p.detach().double().numpy() for p in module.parameters()]


def largest_difference(a, b):
    return max(float(np.max(np.abs(p - q))) for p, q in zip(weights(a), weights(b)))


def test_the_recipe_s_shift_is_mat_classifier_s():
    clf = mat_classifier(0)
    np.testing.assert_array_equal(shift_tensor().numpy(), clf.shift_.astype(np.float32))


@pytest.mark.parametrize(
    "shuffle_seed, optimizer",
    [(0, torch.optim.SGD), (1, torch.optim.SGD), (0, torch.optim.Adam)],
)
def test_a_bare_pytorch_loop_trains_mat_classifier_s_net(shuffle_seed, optimizer):
    mine = train_bare(initial_module(), shuffle_seed, optimizer)
    clf = mat_classifier(shuffle_seed, optimizer)
    # Measured: 0.0 (the same float32 operations in the same order).
    assert largest_difference(mine, clf.estimator_.module_) <= 1e-5
    with torch.no_grad():  # prediction: the net alone, no shift
        mine_proba = torch.softmax(mine(torch.as_tensor(X)), 1).numpy()
    np.testing.assert_allclose(mine_proba, clf.predict_proba(X), atol=1e-5)


def test_the_loops_differ_with_other_batches():
    # The equality is the batches' doing, not an accident of a net that did
    # not train: another shuffling gives other weights.
    a = train_bare(initial_module(), 0)
    b = train_bare(initial_module(), 1)
    assert largest_difference(a, b) > 1e-3
    assert largest_difference(a, initial_module()) > 1e-2


def test_without_the_shift_the_loop_trains_another_net():
    plain = copy.deepcopy(initial_module())
    optimizer = torch.optim.SGD(plain.parameters(), lr=LR)
    for _ in range(EPOCHS):
        for xb, yb, _ in loader(0):
            optimizer.zero_grad()
            F.cross_entropy(plain(xb), yb).backward()
            optimizer.step()
    assert largest_difference(plain, mat_classifier(0).estimator_.module_) > 1e-3


def test_a_lightning_fabric_loop_trains_mat_classifier_s_net():
    pytest.importorskip("lightning_fabric")
    mine = train_fabric(initial_module(), 0)
    theirs = mat_classifier(0).estimator_.module_
    assert largest_difference(mine, theirs) <= 1e-5
