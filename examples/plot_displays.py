"""
=====================================
Plotting with skmat's display objects
=====================================

:mod:`skmat.plot` follows scikit-learn's display API (as
:class:`~sklearn.metrics.ConfusionMatrixDisplay` does): a class method computes
the numbers and draws them in one call, and the returned display keeps the
figure, the axes and the artists for later changes.

* :class:`~skmat.plot.TransitionMatrixDisplay`: MAT's transition matrix;
* :class:`~skmat.plot.GroupAccuracyDisplay`: accuracy within each group, for
  several estimators;
* :class:`~skmat.plot.GroupTrainingCurvesDisplay`: per-group accuracy over the
  epochs, recorded by :class:`~skmat.callbacks.GroupAccuracyCallback`.

The data are coloured digits, where the colour is a shortcut in training and
misleads at test time (:func:`skmat.datasets.make_colored_digits_splits`).
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_predict

from skmat import ERMClassifier, MATClassifier
from skmat.callbacks import GroupAccuracyCallback
from skmat.datasets import make_colored_digits_splits
from skmat.mlp import mlp_net
from skmat.plot import (
    GroupAccuracyDisplay,
    GroupTrainingCurvesDisplay,
    TransitionMatrixDisplay,
)

data = make_colored_digits_splits(label_noise=0.1, random_state=0)
(X, y, groups), (X_test, y_test, groups_test) = data.train, data.test

# The final network records the accuracy of each test group at every epoch.
net = mlp_net(
    max_epochs=15,
    callbacks=[GroupAccuracyCallback(X_test, y_test, groups_test, name="test")],
)
mat = MATClassifier(
    net, holdout_estimator=mlp_net(max_epochs=15), cv=2, random_state=0
).fit(X, y)
erm = ERMClassifier(net, random_state=0).fit(X, y)

# %%
# The transition matrix
# ---------------------
# Row ``k``: the class the held-out models predict; column ``c``: the label.
# The off-diagonal mass is where the held-out models, which learned the colour,
# disagree with the label.

disp = TransitionMatrixDisplay.from_estimator(mat, display_labels=["0-4", "5-9"])

# %%
# The effect of the temperature
# -----------------------------
# :meth:`~skmat.plot.TransitionMatrixDisplay.from_predictions` recomputes the
# matrix from held-out probabilities, here those MAT kept (``holdout_proba_``),
# at any temperature, without training anything. Large temperatures flatten
# every held-out prediction, and every row tends to the class prior.

fig, axes = plt.subplots(1, 4, figsize=(13, 3.4))
for ax, temperature in zip(axes, [0.01, 0.1, 1.0, 10.0]):
    TransitionMatrixDisplay.from_predictions(
        y, mat.holdout_proba_, temperature=temperature, ax=ax, colorbar=False
    )
    ax.set_title(f"temperature {temperature}")
fig.tight_layout()

# %%
# Group accuracies
# ----------------
# Groups are ``label * 2 + colour``; each estimator's worst group is outlined.

disp = GroupAccuracyDisplay.from_estimators(
    {"ERM": erm, "MAT": mat}, X_test, y_test, groups=groups_test
)
print(np.round(disp.accuracies_, 3))

# %%
# Training curves per group
# -------------------------
# Read from the final networks' skorch histories.

fig, axes = plt.subplots(1, 2, figsize=(11, 3.8), sharey=True)
for ax, (name, clf) in zip(axes, [("ERM", erm), ("MAT", mat)]):
    GroupTrainingCurvesDisplay.from_estimator(clf, ax=ax)
    ax.set_title(f"{name}: test accuracy per group")
fig.tight_layout()

# %%
# Ten classes
# -----------
# The same displays work for any number of classes. With the digit itself as
# the label (ten colours), cross-validated probabilities of a logistic
# regression give a 10 x 10 transition matrix.

X10, y10, _ = make_colored_digits_splits(
    n_classes=10, label_noise=0.1, random_state=0
).train
proba = cross_val_predict(
    LogisticRegression(max_iter=200), X10, y10, cv=2, method="predict_proba"
)
fig, ax = plt.subplots(figsize=(6, 5))
disp = TransitionMatrixDisplay.from_predictions(
    y10, proba, temperature=0.1, ax=ax, values_format=".1f"
)
