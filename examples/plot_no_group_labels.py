"""
=======================================
Model selection without group labels
=======================================

Choosing the hyper-parameters of a robust model needs the worst-group accuracy
on a validation set, and that seems to need group labels. MAT does without
them, as in the paper:

1. XRM twin networks give the held-out predictions of the training set;
2. the twins' cross-mistakes infer the groups of the validation set
   (:meth:`skmat.MATClassifier.infer_groups`);
3. a grid search scores each candidate by its worst-group accuracy on those
   inferred groups (:data:`skmat.metrics.inferred_worst_group_scorer`).

The true validation groups are used only at the end, to see how the inferred
scores compare with the true ones. The problem is the paper's Figure 1 problem.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch
from sklearn.model_selection import GridSearchCV, PredefinedSplit
from skorch import NeuralNetClassifier

from skmat import MATClassifier
from skmat.datasets import make_spurious_splits
from skmat.metrics import inferred_worst_group_scorer, worst_group_accuracy

data = make_spurious_splits(1000, 1800, random_state=0)
(X, y, _), (X_val, y_val, groups_val) = data.train, data.valid

net = NeuralNetClassifier(
    torch.nn.Linear,
    module__in_features=X.shape[1],
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
# Inferred groups
# ---------------
# With ``holdout="xrm"`` an example is *conflicting* when either twin gets its
# label wrong. The inferred group id is ``2 * label + conflicting``.

mat = MATClassifier(net, holdout="xrm", random_state=0).fit(X, y)
inferred = mat.infer_groups(X_val, y_val)
print("XRM flip rate:", round(mat.xrm_flip_rate_, 3))
print("inferred validation groups:", np.unique(inferred, return_counts=True))

# %%
# How well do they match the truth? (This cell looks at the true groups, which
# the workflow itself never uses.) In the true groups ``label * 2 +
# attribute``, 1 and 2 are the minority.

conflicting = inferred % 2 == 1
minority = np.isin(groups_val, [1, 2])
both = np.sum(conflicting & minority)
print(
    f"precision {both / max(conflicting.sum(), 1):.3f}, "
    f"recall {both / minority.sum():.3f}"
)

# %%
# Selection
# ---------
# Every candidate is trained on the training split and scored on the
# validation split: stack the two and use a
# :class:`~sklearn.model_selection.PredefinedSplit`. The search varies the
# temperature and the number of epochs. Besides the inferred score that makes
# the choice, a second scorer computes the true worst-group accuracy of each
# candidate on the validation split, for comparison only.

X_all, y_all = np.vstack([X, X_val]), np.r_[y, y_val]
split = PredefinedSplit(np.r_[np.full(len(y), -1), np.zeros(len(y_val))])


def true_worst_group(estimator, X_eval, y_eval):
    # The evaluated fold is exactly the validation split, in order.
    return worst_group_accuracy(y_eval, estimator.predict(X_eval), groups=groups_val)


search = GridSearchCV(
    MATClassifier(net, holdout="xrm", random_state=0),
    {"temperature": [0.01, 1.0], "estimator__max_epochs": [100, 1000]},
    scoring={"inferred": inferred_worst_group_scorer, "true": true_worst_group},
    refit=False,
    cv=split,
).fit(X_all, y_all)

results = search.cv_results_
for params, inferred_score, true_score in zip(
    results["params"], results["mean_test_inferred"], results["mean_test_true"]
):
    print(params, f"inferred {inferred_score:.3f}  true {true_score:.3f}")
chosen = results["params"][int(np.argmax(results["mean_test_inferred"]))]
print("chosen without group labels:", chosen)

# %%
# The two scores side by side
# ---------------------------

labels = [
    f"T={p['temperature']}\n{p['estimator__max_epochs']} epochs"
    for p in results["params"]
]
positions = np.arange(len(labels))
fig, ax = plt.subplots(figsize=(7, 3.5))
ax.bar(positions - 0.2, results["mean_test_inferred"], 0.4, label="inferred groups")
ax.bar(positions + 0.2, results["mean_test_true"], 0.4, label="true groups")
ax.set_xticks(positions, labels=labels)
ax.set_ylabel("validation worst-group accuracy")
ax.set_ylim(0, 1)
ax.legend(loc="lower right")
fig.tight_layout()

# %%
# When the inferred groups match the true ones closely, the two scores agree and
# the choice made without labels is the one the labels would have made. With
# ``refit=False`` the search does not retrain anything; to get the chosen model,
# fit ``MATClassifier(net, holdout="xrm", random_state=0).set_params(**chosen)``
# on the training split.
