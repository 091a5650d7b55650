"""
=================================================
Quick start: MAT on the paper's Figure 1 problem
=================================================

The quick start of the README, executed: MAT on the paper's Figure 1 problem
with the paper's network, then what it computed (the transition matrix) and
what it achieved (the worst-group accuracy on the test split), next to a plainly
trained network. :doc:`/quickstart` explains each step.
"""

# %%
# The problem and the network
# ---------------------------
# A core feature that always predicts the label, a spurious one that agrees
# with it for 90% of the training examples (half of the test examples), and
# 1798 noise features with which a network can memorize the other 10%. The
# network is the paper's: a bias-free linear layer trained by full-batch SGD.
import numpy as np
import torch
from skorch import NeuralNetClassifier

from skmat import ERMClassifier, MATClassifier
from skmat.datasets import make_spurious_splits
from skmat.metrics import group_accuracy_report, worst_group_accuracy
from skmat.plot import TransitionMatrixDisplay

data = make_spurious_splits(1000, 1800, random_state=0)
(X, y, _), (X_test, y_test, groups_test) = data.train, data.test
net = NeuralNetClassifier(
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

# %%
# Fit MAT
# -------
# With MAT's defaults, two XRM twins (copies of the network, each trained on
# a random half of the training set for a tenth of its epochs) give held-out
# probabilities; the final network is trained with the shifted loss.
clf = MATClassifier(net, random_state=0).fit(X, y)

# %%
# The transition matrix ``p(y = c | held-out prediction = k)``: the held-out
# networks are right about 90% of the time, the share of training examples
# on which the spurious feature agrees with the label.
print(np.round(clf.transition_matrix_, 3))

# %%
# Worst-group accuracy on the test split (the paper reports about 0.9), and
# the accuracy of each group (0 and 3 are the majority, 1 and 2 the minority):
y_pred = clf.predict(X_test)
mat_worst = worst_group_accuracy(y_test, y_pred, groups=groups_test)
print(f"worst-group accuracy: {mat_worst:.3f}")
print(group_accuracy_report(y_test, y_pred, groups=groups_test))

# %%
# The same network trained plainly
# --------------------------------
# ERM fits the minority by memorizing it, and classifies most of the test
# minority by the spurious feature:
erm = ERMClassifier(net, random_state=0).fit(X, y)
erm_worst = worst_group_accuracy(y_test, erm.predict(X_test), groups=groups_test)
print(f"worst-group accuracy: {erm_worst:.3f}")

# %%
# The transition matrix, drawn
# ----------------------------
disp = TransitionMatrixDisplay.from_estimator(clf)
