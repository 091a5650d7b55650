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

import numbers

import numpy as np
import torch
from numpy.typing import ArrayLike
from skorch.callbacks import Callback, PrintLog

from ._inputs import check_rows
from .metrics import _encode_groups, _label_index, _python_value

__all__ = ["GroupAccuracyCallback"]


class GroupAccuracyCallback(Callback):
    """Record the accuracy of a skorch net within each group, every epoch.

    At the end of each epoch, the net predicts ``X`` (in evaluation mode, as
    ``net.predict`` does) and the callback records in ``net.history``:

    * ``f"{name}_group_acc"``: a dict ``{group: accuracy}``, one entry per group
      (groups are plain Python values: ints, strings, tuples for 2-D groups);
    * ``f"{name}_worst_group_acc"``: the smallest of those accuracies, a float
      that other callbacks can monitor, e.g.
      ``EarlyStopping(monitor="valid_worst_group_acc", lower_is_better=False)``.

    With ``verbose=1``, skorch's printed table shows the worst-group accuracy;
    the dict is left out of it (added to the ``PrintLog``'s ignored keys).

    The prediction does not touch torch's random number generator, so adding the
    callback leaves the training (shuffling, dropout, initialisation of later
    fits) exactly as it was.

    Parameters
    ----------
    X : array-like, sparse matrix, dict of arrays, SliceDataset or Dataset
        Data to evaluate, in any form the net's ``predict`` accepts (checked
        by :func:`skmat._inputs.check_rows`, never converted). A floating
        NumPy array is converted once to the dtype of the module's parameters
        (float64 data with a float32 module works).
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
        n_samples = check_rows(self.X)
        y = np.asarray(self.y)
        if y.ndim == 2 and y.shape[1] == 1:
            y = y.ravel()
        if y.ndim != 1:
            raise ValueError(f"y must be 1-D; got shape {y.shape}.")
        if y.shape[0] != n_samples:
            raise ValueError(
                f"y has {y.shape[0]} entries but X has {n_samples} rows; they must "
                "have the same length."
            )
        if n_samples == 0:
            raise ValueError("X and y are empty; at least one example is needed.")
        if self.classes is None:
            if y.dtype.kind not in "biu" or y.min() < 0:
                raise ValueError(
                    "y must hold the net's class indices 0 .. n_classes - 1 "
                    f"(got {y.dtype} labels, e.g. {_python_value(y[0])!r}); pass "
                    "classes= with the label of each output column (inside "
                    "MATClassifier: classes=np.unique(y_train))."
                )
            y_index = y.astype(np.intp)
        else:
            classes = np.asarray(self.classes)
            if classes.ndim != 1 or classes.shape[0] < 1:
                raise ValueError(
                    f"classes must be a non-empty 1-D array; got shape {classes.shape}."
                )
            y_index = _label_index(y, classes, "y")
        if isinstance(self.groups, numbers.Number) or self.groups is None:
            raise ValueError(
                "groups must be array-like, one entry per example; got "
                f"{self.groups!r}."
            )
        n_groups_given = (
            len(self.groups) if hasattr(self.groups, "__len__") else n_samples
        )
        if n_groups_given != n_samples:
            raise ValueError(
                f"groups has {n_groups_given} entries but X has {n_samples} rows; "
                "they must have the same length."
            )
        keys, inverse = _encode_groups(self.groups, n_samples)
        self.y_index_ = y_index
        self.group_index_ = inverse
        self.groups_ = keys
        self.group_count_ = np.bincount(inverse, minlength=len(keys))
        self.history_key_ = f"{self.name}_group_acc"
        self.X_cast_ = None
        self.checked_classes_ = False
        return self

    def _input(self, net):
        """``X``, as a floating array of the module's dtype when it is one."""
        X = self.X
        if not (isinstance(X, np.ndarray) and X.dtype.kind == "f"):
            return X
        params = next(iter(net.module_.parameters()), None)
        if params is None or not params.dtype.is_floating_point:
            return X
        dtype = np.dtype(str(params.dtype).replace("torch.", ""))
        if X.dtype == dtype:
            return X
        if self.X_cast_ is None or self.X_cast_.dtype != dtype:
            self.X_cast_ = np.ascontiguousarray(X, dtype=dtype)
        return self.X_cast_

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

    def on_train_begin(self, net, **kwargs):
        """Keep the dict of accuracies out of skorch's printed table."""
        for _, callback in getattr(net, "callbacks_", ()):
            if isinstance(callback, PrintLog) and hasattr(callback, "keys_ignored_"):
                callback.keys_ignored_ = set(callback.keys_ignored_)
                callback.keys_ignored_.add(self.history_key_)

    def on_epoch_end(self, net, **kwargs):
        """Predict ``X`` and record the per-group and worst-group accuracies."""
        self._check_classes(net)
        # Iterating a DataLoader draws a seed from torch's global generator even
        # without shuffling: fork it so that the training stream is unchanged.
        with torch.random.fork_rng(devices=[]):
            y_pred = np.asarray(net.predict(self._input(net))).reshape(-1)
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
        record = {
            _python_value(g): float(a)
            for g, a in zip(self.groups_, accuracy, strict=True)
        }
        net.history.record(self.history_key_, record)
        net.history.record(f"{self.name}_worst_group_acc", float(accuracy.min()))
