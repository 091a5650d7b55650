"""skorch callbacks: per-group accuracy of a net, recorded in its history every epoch.

Spurious correlations show in *training curves*: a network fits the majority
groups first, then memorizes the minority of the training set, while the accuracy
of the minority at test time stays low (the paper's Figure 1). skorch records
losses and the overall accuracy; :class:`GroupAccuracyCallback` adds the accuracy
within each group, on any data, at the end of every epoch, so that
:class:`skmat.plot.GroupTrainingCurvesDisplay` can draw the curves.

The callback works with any skorch classifier, including the nets inside
:class:`skmat.MATClassifier` (put it in the net's ``callbacks``; read the curves
from ``clf.estimator_.history``).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from skorch.callbacks import Callback

from ._encoding import class_indices, encode_groups, python_value
from ._inputs import n_rows, net_input
from ._seeding import torch_rng_preserved

__all__ = ["GroupAccuracyCallback", "GroupAccuracies"]


class GroupAccuracies(dict):
    """``{group: accuracy}``, a dict that prints compactly in skorch's epoch table.

    Examples
    --------
    >>> from skmat.callbacks import GroupAccuracies
    >>> acc = GroupAccuracies({"a": 0.98, "b": 0.5123})
    >>> print(acc)
    a=0.980 b=0.512
    >>> acc == {"a": 0.98, "b": 0.5123}
    True
    """

    def __str__(self):
        return " ".join(f"{python_value(g)}={a:.3f}" for g, a in self.items())

    def __format__(self, spec):
        return format(str(self), spec)


class GroupAccuracyCallback(Callback):
    """Record the accuracy of a skorch net within each group, every epoch.

    At the end of each epoch, the net predicts ``X`` (in evaluation mode, as
    ``net.predict`` does) and the callback records in ``net.history``:

    * ``f"{name}_group_acc"``: a dict ``{group: accuracy}``, one entry per group
      (groups are plain Python values: ints, strings, tuples for 2-D groups);
    * ``f"{name}_worst_group_acc"``: the smallest of those accuracies, a float
      that other callbacks can monitor, e.g.
      ``EarlyStopping(monitor="valid_worst_group_acc", lower_is_better=False)``;
    * ``f"{name}_acc"``: the accuracy over all of ``X``;
    * ``f"{name}_worst_group_acc_best"``: ``True`` when this epoch's pair
      (worst-group accuracy, accuracy) is at least that of every earlier epoch
      (ties in the worst group go to the higher accuracy, then to the later
      epoch), the flag skorch's ``Checkpoint`` monitors: with
      ``Checkpoint(monitor="valid_worst_group_acc_best", load_best=True)`` the
      net keeps the last epoch where validation worst-group accuracy peaked, the
      paper's model selection.

    With ``verbose=1``, skorch's printed table shows both; the dict prints
    compactly (``a=0.98 b=0.51``, a :class:`GroupAccuracies`).

    The prediction does not touch torch's random number generator, so adding the
    callback leaves the training (shuffling, dropout, initialisation of later
    fits) exactly as it was.

    Parameters
    ----------
    X : array-like, sparse matrix, dict of arrays, SliceDataset or Dataset
        Data to evaluate, read as :class:`~skmat.MATClassifier` reads its
        ``X`` (:func:`skmat._inputs.net_input`, once): a DataFrame or other
        table becomes a numeric array, floats become float32; other kinds go
        to the net's ``predict`` as they are.
    y : array-like of shape (n_samples,)
        True labels. By default they must be what the net predicts: integer
        indices ``0 .. n_classes - 1`` of its output columns (what a skorch
        classifier is trained on). Labels of another kind need ``classes``.
    groups : array-like of shape (n_samples,) or (n_samples, n_attributes)
        Group of each example: ints, strings, or one row per example of a 2-D
        array (each distinct row is a group, recorded as a tuple).
    name : str, default="test"
        Prefix of the history keys; use a different name per callback (e.g.
        ``"train"`` and ``"test"``). When several callbacks of this class are
        on one net, give skorch distinct names too:
        ``callbacks=[("train_groups", cb1), ("test_groups", cb2)]``.
    classes : array-like of shape (n_classes,), default=None
        The label of each output column of the net, in order; ``y`` is compared
        with ``classes[net.predict(X)]``. Inside :class:`skmat.MATClassifier`
        the net is trained on label indices in sorted label order, so pass
        ``classes=np.unique(y_train)`` when the labels are not already
        ``0 .. n_classes - 1``.

    Attributes
    ----------
    groups_ : ndarray of shape (n_groups,)
        The distinct groups, sorted when they can be (set by ``initialize``).
    history_key_ : str
        ``f"{name}_group_acc"``.

    Notes
    -----
    :class:`skmat.MATClassifier` with ``holdout_estimator=None`` trains its
    held-out networks as copies of ``estimator``, callbacks included, so they
    evaluate ``X`` too (into their own, discarded histories). Give
    ``holdout_estimator`` a net without the callback to save that time.

    See Also
    --------
    skmat.plot.GroupTrainingCurvesDisplay : Plots the recorded curves.
    skmat.metrics.group_accuracy_report : The same accuracies, once.

    Examples
    --------
    >>> import numpy as np
    >>> import torch
    >>> from skorch import NeuralNetClassifier
    >>> from skmat.callbacks import GroupAccuracyCallback
    >>> rng = np.random.RandomState(0)
    >>> X = rng.randn(100, 2).astype(np.float32)
    >>> y = (X[:, 0] > 0).astype(np.int64)
    >>> groups = np.where(X[:, 1] > 0, "top", "bottom")
    >>> net = NeuralNetClassifier(
    ...     torch.nn.Linear, module__in_features=2, module__out_features=2,
    ...     criterion=torch.nn.CrossEntropyLoss, max_epochs=3, lr=0.1,
    ...     train_split=None, verbose=0,
    ...     callbacks=[GroupAccuracyCallback(X, y, groups, name="train")])
    >>> net = net.fit(X, y)
    >>> sorted(net.history[-1, "train_group_acc"])
    ['bottom', 'top']
    >>> len(net.history[:, "train_worst_group_acc"])
    3
    """

    def __init__(
        self,
        X: ArrayLike,
        y: ArrayLike,
        groups: ArrayLike,
        *,
        name: str = "test",
        classes: ArrayLike | None = None,
    ) -> None:
        # skorch and scikit-learn clone callbacks through get_params: store the
        # parameters untouched and validate them in initialize().
        self.X = X
        self.y = y
        self.groups = groups
        self.name = name
        self.classes = classes

    def initialize(self):
        """Validate the parameters and encode labels and groups (called by skorch)."""
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"name must be a non-empty string; got {self.name!r}.")
        X = net_input(self.X)
        n_samples = n_rows(X)
        y_index = class_indices(
            self.y,
            self.classes,
            "y",
            hint=" (inside MATClassifier: classes=np.unique(y_train))",
        )
        if y_index.shape[0] != n_samples:
            raise ValueError(
                f"y has {y_index.shape[0]} entries but X has {n_samples} rows; they "
                "must have the same length."
            )
        keys, inverse = encode_groups(self.groups, n_samples, against="X")
        self.y_index_ = y_index
        self.group_index_ = inverse
        self.groups_ = keys
        self.group_count_ = np.bincount(inverse, minlength=len(keys))
        self.history_key_ = f"{self.name}_group_acc"
        self.X_ = X
        self.checked_classes_ = False
        return self

    def _check_classes(self, net):
        if self.checked_classes_ or self.classes is not None:
            return
        self.checked_classes_ = True
        try:
            n_classes = len(net.classes_)
        except (AttributeError, TypeError):  # not a classifier that knows them
            return
        if self.y_index_.max() >= n_classes:
            raise ValueError(
                f"y holds label {int(self.y_index_.max())}, but the net predicts "
                f"class indices 0 .. {n_classes - 1}; pass classes= with the label "
                "of each output column."
            )

    def on_epoch_end(self, net, **kwargs):
        """Predict ``X`` and record the per-group and worst-group accuracies."""
        self._check_classes(net)
        # Iterating a DataLoader draws a seed from torch's global generator even
        # without shuffling: fork it so that the training stream is unchanged.
        with torch_rng_preserved():
            y_pred = np.asarray(net.predict(self.X_)).reshape(-1)
        if y_pred.shape[0] != self.y_index_.shape[0]:
            raise ValueError(
                f"net.predict(X) returned {y_pred.shape[0]} predictions for "
                f"{self.y_index_.shape[0]} labels in y."
            )
        correct = np.bincount(
            self.group_index_,
            weights=(y_pred == self.y_index_),
            minlength=len(self.groups_),
        )
        accuracy = correct / self.group_count_
        record = GroupAccuracies(
            (python_value(g), float(a))
            for g, a in zip(self.groups_, accuracy, strict=True)
        )
        net.history.record(self.history_key_, record)
        worst = float(accuracy.min())
        overall = float(correct.sum() / self.group_count_.sum())
        net.history.record(f"{self.name}_worst_group_acc", worst)
        net.history.record(f"{self.name}_acc", overall)
        net.history.record(f"{self.name}_worst_group_acc_best", self._is_best(net))

    def _is_best(self, net):
        """Whether this epoch's (worst-group, overall) accuracy is the best yet.

        Compared as a pair, so a tie in worst-group accuracy goes to the higher
        overall accuracy, and with ``>=``: of equal epochs the latest wins (the
        authors' rule, "the last checkpoint where the criterion peaks").
        """
        keys = (f"{self.name}_worst_group_acc", f"{self.name}_acc")
        current = tuple(net.history[-1, key] for key in keys)
        earlier = [
            tuple(epoch[key] for key in keys)
            for epoch in net.history[:-1]
            if all(key in epoch for key in keys)
        ]
        return not earlier or current >= max(earlier)
