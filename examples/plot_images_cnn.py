"""
=====================================
MAT with a CNN on images
=====================================

:class:`~skmat.MATClassifier` trains your own skorch network on whatever it
takes: here a small convolutional network on images of shape (3, 8, 8), passed
as a 4-D NumPy array, the way a skorch user feeds a CNN.

The images are coloured digits (:func:`skmat.datasets.make_colored_digits_splits`
with ``as_images=True``): the label is "digit >= 5" (a quarter of the labels
flipped), the digit is drawn in red or green, and the colour agrees with the
label for 90% of the training images but only 10% of the test images. A
network trained plainly learns the colour, the shortcut; MAT learns the shape.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch
from skorch import NeuralNetClassifier
from torch import nn

from skmat import ERMClassifier, MATClassifier
from skmat.datasets import make_colored_digits_splits
from skmat.plot import GroupAccuracyDisplay

data = make_colored_digits_splits(as_images=True, random_state=0)
(X, y, groups), (X_test, y_test, groups_test) = data.train, data.test
print("train", X.shape, X.dtype, " test", X_test.shape)

# %%
# The groups are ``label * 2 + colour`` (colour 0 red, 1 green). Two training
# images of each group: the majority groups (red with y=0, green with y=1) make
# up 90% of the training set, the other two are the minority that the colour
# gets wrong.

colour_names = np.array(["red", "green"])
group_names = np.array([f"y={c // 2}, {colour_names[c % 2]}" for c in range(4)])
fig, axes = plt.subplots(1, 8, figsize=(8, 1.9))
shown = np.concatenate([np.flatnonzero(groups == g)[:2] for g in range(4)])
for ax, i in zip(axes, shown):
    ax.imshow(X[i].transpose(1, 2, 0).clip(0, 1))
    ax.set_title(f"y={y[i]}\n{colour_names[groups[i] % 2]}", fontsize="small")
    ax.axis("off")
counts = dict(zip(group_names.tolist(), np.bincount(groups).tolist()))
print("training images per group:", counts)

# %%
# The network
# -----------
# Two 3x3 convolutions and a linear head, in a plain skorch
# ``NeuralNetClassifier``. skmat copies it for every network it trains (the
# held-out fold networks and the final one) and adds MAT's shift to its loss;
# everything else is skorch's.


class SmallCNN(nn.Module):
    def __init__(self, n_classes=2, width=16):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, width, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(width, width, 3, padding=1),
            nn.ReLU(),
        )
        self.head = nn.Linear(width * 16, n_classes)

    def forward(self, X):
        return self.head(self.features(X).flatten(1))


net = NeuralNetClassifier(
    SmallCNN,
    criterion=nn.CrossEntropyLoss,
    optimizer=torch.optim.Adam,
    lr=1e-3,
    batch_size=64,
    max_epochs=20,
    train_split=None,
    verbose=0,
)

# %%
# ERM and MAT
# -----------
# The same network, trained plainly and with MAT (held-out probabilities from
# 2-fold cross-validation with a copy of the network). Each fit takes a few
# seconds on a CPU.

erm = ERMClassifier(net, random_state=0).fit(X, y)
mat = MATClassifier(net, cv=2, random_state=0).fit(X, y)
print("transition matrix p(y | held-out prediction):")
print(np.round(mat.transition_matrix_, 3))

# %%
# Accuracy within each group of the test set, named by label and colour. The
# minority groups, where the colour disagrees with the label (y=0 in green,
# y=1 in red), are 90% of the test set.

display = GroupAccuracyDisplay.from_estimators(
    {"ERM": erm, "MAT": mat}, X_test, y_test, groups=group_names[groups_test]
)
plt.show()
