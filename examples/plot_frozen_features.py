"""
======================================================
Frozen CNN features and a MAT head (Waterbirds recipe)
======================================================

The paper's Waterbirds set-up trains only a linear head on the features of a
pretrained ResNet-50. Here a torchvision ResNet-18 turns coloured digits into
512 features once, in a :class:`~sklearn.pipeline.Pipeline`, and
:class:`~skmat.MATClassifier` trains a linear head on them: its held-out fold
heads and its final head all read the same feature matrix, so the backbone runs
once on the training set, not once per fold.

The backbone here has random weights (``weights=None``: nothing is
downloaded). With the pretrained ImageNet weights, change one line::

    backbone = resnet18(weights=ResNet18_Weights.DEFAULT)

(``from torchvision.models import ResNet18_Weights``; torchvision downloads the
weights on first use). In a search over the head's parameters, give the
pipeline a cache, ``make_pipeline(..., memory="cache_dir")``, so that the
features are not recomputed for every candidate.
"""

# %%
import matplotlib.pyplot as plt
import torch
from sklearn.pipeline import make_pipeline
from skorch import NeuralNetClassifier
from torchvision.models import resnet18

from skmat import ERMClassifier, MATClassifier
from skmat.datasets import make_colored_digits_splits
from skmat.features import FrozenFeatures
from skmat.plot import GroupAccuracyDisplay

data = make_colored_digits_splits(as_images=True, random_state=0)
(X, y, groups), (X_test, y_test, groups_test) = data.train, data.test

torch.manual_seed(0)
backbone = resnet18(weights=None)
backbone.fc = torch.nn.Identity()  # the 512 pooled features, not ImageNet's classes

# %%
# The head
# --------
# A linear layer (``LazyLinear`` sizes itself from the features) in a plain
# skorch net; skmat adds MAT's shift to its loss.

head = NeuralNetClassifier(
    torch.nn.LazyLinear,
    module__out_features=2,
    criterion=torch.nn.CrossEntropyLoss,
    optimizer=torch.optim.Adam,
    lr=1e-2,
    batch_size=128,
    max_epochs=30,
    train_split=None,
    verbose=0,
)

# %%
# Features once, then ERM and MAT heads
# -------------------------------------
# The features are computed once and shared by both heads.

features = FrozenFeatures(backbone, batch_size=250).fit(X)
F, F_test = features.transform(X), features.transform(X_test)
print("features:", F.shape)

# The held-out heads train for the head's whole budget (``holdout_epochs=None``):
# in the default tenth of its 30 epochs, a linear head on 512 random features
# has not learned the colour yet, and MAT would gain nothing over ERM.
erm = ERMClassifier(head, random_state=0).fit(F, y)
mat = MATClassifier(head, cv=2, holdout_epochs=None, random_state=0).fit(F, y)

# %%
# The same MAT head as one Pipeline, as it goes into a search: ``fit`` runs
# the backbone once on the training set, ``predict`` once on the test set.

pipe = make_pipeline(
    FrozenFeatures(backbone, batch_size=250),
    MATClassifier(head, cv=2, holdout_epochs=None, random_state=0),
).fit(X, y)
print("pipeline test accuracy:", (pipe.predict(X_test) == y_test).mean().round(3))

GroupAccuracyDisplay.from_predictions(
    y_test,
    {"ERM head": erm.predict(F_test), "MAT head": mat.predict(F_test)},
    groups=groups_test,
)
plt.show()
