"""
=============================================================
MAT in your own training loop: bare PyTorch and Lightning
=============================================================

:class:`~skmat.MATClassifier` trains a skorch net, but MAT itself is one line
of a training loop: the logits of each training example are shifted by a fixed,
per-example vector before the cross-entropy,
``loss = cross_entropy(logits + shift[idx], y)``. This example writes that loop
twice, in bare PyTorch and with Lightning Fabric, and checks that both train
exactly the network ``MATClassifier`` trains from the same start.

The recipe, in four steps (:ref:`own_loop` explains each):

1. held-out probabilities of every training example, from any model and any
   route (here scikit-learn's ``cross_val_predict``);
2. the shift, from :func:`skmat.transition.mat_shift`;
3. the row index of each example carried in every batch;
4. ``logits + shift[idx]`` in the loss, and the logits alone at prediction.
"""

# %%
# Data with a shortcut
# --------------------
# Coloured digits (:func:`skmat.datasets.make_colored_digits_splits`): the label
# is "digit >= 5" with 25% label noise, and the colour agrees with the label on
# 90% of the training images but on only 10% of the test images.

import matplotlib.pyplot as plt
import numpy as np
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_predict
from skorch import NeuralNetClassifier
from torch.nn import functional as F
from torch.utils.data import DataLoader, TensorDataset

from skmat import MATClassifier
from skmat.datasets import make_colored_digits_splits
from skmat.plot import GroupAccuracyDisplay
from skmat.transition import mat_shift

data = make_colored_digits_splits(random_state=0)
(X, y, groups), (X_test, y_test, groups_test) = data.train, data.test
X, X_test = X.astype(np.float32), X_test.astype(np.float32)
print(X.shape, "training rows; classes", np.unique(y))

# %%
# 1. Held-out probabilities, from any route
# -----------------------------------------
# Row ``i`` must come from a model that did not train on example ``i``. Any
# classifier with ``predict_proba`` will do; a logistic regression learns the
# colour (the shortcut) quickly. The columns are in sorted label order, and the
# labels the loop trains on are the positions in that order (here ``y`` is
# already ``0, 1``).

holdout_proba = cross_val_predict(
    LogisticRegression(max_iter=1000), X, y, cv=5, method="predict_proba"
)
print("held-out accuracy:", np.mean(holdout_proba.argmax(1) == y).round(3))

# %%
# 2. The shift
# ------------
# :func:`~skmat.transition.mat_shift` sharpens the held-out probabilities with
# the temperature, builds the transition matrix ``p(y = c | y_ho = k)`` over the
# training set and returns ``log(q_i @ M)`` for every example: one row of
# ``n_classes`` numbers per training example.

fitted = mat_shift(holdout_proba, y, temperature=0.1)
shift = torch.as_tensor(fitted.shift, dtype=torch.float32)
print("transition matrix:\n", fitted.transition.round(3))

# %%
# 3. The row index in every batch, 4. the shifted loss
# ----------------------------------------------------
# A ``TensorDataset`` with ``torch.arange(n)`` as its last tensor carries each
# row's index through shuffling and batching; the loss looks the batch's shift
# up by it. Prediction uses the network alone.


def make_module():
    torch.manual_seed(0)
    return torch.nn.Sequential(
        torch.nn.Linear(X.shape[1], 128),
        torch.nn.ReLU(),
        torch.nn.Linear(128, 64),
        torch.nn.ReLU(),
        torch.nn.Linear(64, 2),
    )


def batches(seed=0):
    rows = TensorDataset(torch.as_tensor(X), torch.as_tensor(y), torch.arange(len(y)))
    generator = torch.Generator().manual_seed(seed)
    return DataLoader(rows, batch_size=128, shuffle=True, generator=generator)


def train(model, shift=None, epochs=20):
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loader = batches()  # one loader: its generator shuffles each epoch anew
    model.train()
    for _ in range(epochs):
        for xb, yb, idx in loader:
            logits = model(xb)
            if shift is not None:
                logits = logits + shift[idx]  # MAT: the only change
            loss = F.cross_entropy(logits, yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return model.eval()


def predict(model, X):
    with torch.no_grad():
        return model(torch.as_tensor(X)).argmax(1).numpy()


plain = train(make_module())
mat = train(make_module(), shift)

# %%
# The same loop with Lightning Fabric
# -----------------------------------
# Fabric (``pip install lightning-fabric``, or ``lightning``, which includes it)
# moves the model, the optimizer and the batches to its device and runs the
# backward pass; the shift goes to the same device. In a ``LightningModule``
# the same two things, the index in the batch and ``logits + self.shift[idx]``,
# go in ``training_step``, with the shift registered as a buffer.

try:
    from lightning.fabric import Fabric
except ImportError:  # the standalone package
    try:
        from lightning_fabric import Fabric
    except ImportError:
        Fabric = None


def train_fabric(model, shift, epochs=20):
    fabric = Fabric(accelerator="cpu", devices=1)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    model, optimizer = fabric.setup(model, optimizer)
    loader = fabric.setup_dataloaders(batches())
    shift = shift.to(fabric.device)
    model.train()
    for _ in range(epochs):
        for xb, yb, idx in loader:
            loss = F.cross_entropy(model(xb) + shift[idx], yb)
            optimizer.zero_grad()
            fabric.backward(loss)
            optimizer.step()
    return model.module.eval()


if Fabric is not None:
    mat_fabric = train_fabric(make_module(), shift)

# %%
# The same network as MATClassifier's
# -----------------------------------
# Given the same held-out probabilities (``fit(X, y, holdout_proba=...)``), the
# same initial weights (a module instance) and the same batches (the same
# shuffling generator), :class:`~skmat.MATClassifier` trains the same network:
# the largest difference between its weights and the loops' is printed.

net = NeuralNetClassifier(
    make_module(),
    criterion=torch.nn.CrossEntropyLoss,
    optimizer=torch.optim.Adam,
    lr=1e-3,
    batch_size=128,
    max_epochs=20,
    train_split=None,
    iterator_train__shuffle=True,
    iterator_train__generator=torch.Generator().manual_seed(0),
    verbose=0,
)
clf = MATClassifier(net, temperature=0.1, random_state=0)
clf.fit(X, y, holdout_proba=holdout_proba)


def largest_difference(a, b):
    with torch.no_grad():
        pairs = zip(a.parameters(), b.parameters())
        return max(float((p - q).abs().max()) for p, q in pairs)


theirs = clf.estimator_.module_
print("bare loop vs MATClassifier:", largest_difference(mat, theirs))
if Fabric is not None:
    print("Fabric loop vs MATClassifier:", largest_difference(mat_fabric, theirs))

# %%
# What the shift does to the groups
# ---------------------------------
# On the test split, where the colour mostly disagrees with the label, the
# plain loop follows the colour; the MAT loop learned more of the shape.
# Groups are ``label * 2 + colour``; 1 and 2 are the training minority.

predictions = {"plain loop": predict(plain, X_test), "MAT loop": predict(mat, X_test)}
GroupAccuracyDisplay.from_predictions(y_test, predictions, groups=groups_test)
plt.show()
