"""The display of each group's accuracy over the epochs of a network's training."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from sklearn.utils.validation import check_is_fitted

from ._drawing import check_matplotlib, figure_and_axes, group_label

__all__ = ["GroupTrainingCurvesDisplay"]

_GROUP_ACC_SUFFIX = "_group_acc"
_LINESTYLES = ("-", "--", ":", "-.")


def _curves_from_history(history, keys):
    """``(epochs, {curve name: {group: accuracies}})`` from a skorch History."""
    try:
        rows = list(history)
    except TypeError as exc:
        raise TypeError(
            "history must be a skorch History (net.history) or a list of dicts; "
            f"got {type(history).__name__}."
        ) from exc
    if not rows or not all(isinstance(row, Mapping) for row in rows):
        raise ValueError(
            "history must be a non-empty skorch History (net.history) or list of "
            "per-epoch dicts; has the net been trained?"
        )
    if keys is None:
        keys = []  # dict-valued keys only: "test_worst_group_acc" is a float
        for row in rows:
            keys.extend(
                k
                for k, v in row.items()
                if isinstance(k, str)
                and k.endswith(_GROUP_ACC_SUFFIX)
                and isinstance(v, Mapping)
                and k not in keys
            )
        if not keys:
            raise ValueError(
                "history has no per-group accuracies (keys ending in "
                f"{_GROUP_ACC_SUFFIX!r}). Record them while training with "
                "skmat.callbacks.GroupAccuracyCallback(X, y, groups, name=...) in "
                "the net's callbacks."
            )
    elif isinstance(keys, str):
        keys = [keys]
    else:
        keys = list(keys)
        if not keys:
            raise ValueError("keys is empty; give at least one history key.")
    epochs = np.array(
        [row.get("epoch", i + 1) for i, row in enumerate(rows)], dtype=np.float64
    )
    curves = {}
    for key in keys:
        if not any(key in row for row in rows):
            available = sorted({k for row in rows for k in row if isinstance(k, str)})
            raise ValueError(
                f"keys: {key!r} is not in the history; keys with per-group "
                "accuracies end in "
                f"{_GROUP_ACC_SUFFIX!r} (available: {available})."
            )
        per_group = {}
        for i, row in enumerate(rows):
            value = row.get(key)
            if value is None:
                continue
            if not isinstance(value, Mapping):
                raise ValueError(
                    f"history[{i}][{key!r}] must be a dict {{group: accuracy}} as "
                    "recorded by GroupAccuracyCallback; got "
                    f"{type(value).__name__}."
                )
            for group, acc in value.items():
                per_group.setdefault(group, np.full(len(rows), np.nan))[i] = acc
        curves[key.removesuffix(_GROUP_ACC_SUFFIX) or key] = per_group
    return epochs, curves


class GroupTrainingCurvesDisplay:
    """Accuracy of each group over the epochs of a network's training.

    One line per group and curve: each group has its colour, each curve (e.g.
    ``"train"`` and ``"test"``) its line style. This draws the paper's Figure 1:
    a plainly trained network reaches 100% training accuracy on every group
    (it memorizes the minority) while the minority's test accuracy stays low.

    Record the accuracies with :class:`skmat.callbacks.GroupAccuracyCallback`
    and build the display with :meth:`from_history` or :meth:`from_estimator`.

    Parameters
    ----------
    epochs : array-like of shape (n_epochs,)
        Epoch numbers (the x axis).
    curves : dict of str to dict of group to array-like of shape (n_epochs,)
        ``{curve name: {group: accuracy at each epoch}}``; NaN where a value is
        missing.

    Attributes
    ----------
    lines_ : dict of (str, group) to matplotlib Line2D
        The line of each curve and group.
    ax_ : matplotlib Axes
        Axes with the curves.
    figure_ : matplotlib Figure
        Figure that contains the curves.

    See Also
    --------
    skmat.callbacks.GroupAccuracyCallback : Records the accuracies while training.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from skmat.plot import GroupTrainingCurvesDisplay
    >>> history = [  # what GroupAccuracyCallback records, one dict per epoch
    ...     {"epoch": 1, "train_group_acc": {"majority": 0.9, "minority": 0.1},
    ...      "test_group_acc": {"majority": 0.9, "minority": 0.1}},
    ...     {"epoch": 2, "train_group_acc": {"majority": 1.0, "minority": 0.8},
    ...      "test_group_acc": {"majority": 0.95, "minority": 0.2}}]
    >>> disp = GroupTrainingCurvesDisplay.from_history(history)
    >>> list(disp.lines_)  # doctest: +NORMALIZE_WHITESPACE
    [('train', 'majority'), ('train', 'minority'),
     ('test', 'majority'), ('test', 'minority')]
    >>> disp.lines_["test", "minority"].get_ydata()
    array([0.1, 0.2])
    """

    def __init__(
        self, epochs: ArrayLike, curves: Mapping[str, Mapping[Any, ArrayLike]]
    ) -> None:
        epochs = np.asarray(epochs, dtype=np.float64)
        if epochs.ndim != 1 or epochs.shape[0] == 0:
            raise ValueError(
                f"epochs must be a non-empty 1-D array; got shape {epochs.shape}."
            )
        if not isinstance(curves, Mapping) or not curves:
            raise TypeError(
                "curves must be a non-empty dict {curve name: {group: accuracies}}; "
                f"got {type(curves).__name__}."
            )
        checked = {}
        for name, per_group in curves.items():
            if not isinstance(per_group, Mapping) or not per_group:
                raise TypeError(
                    f"curves[{name!r}] must be a non-empty dict {{group: accuracies}}"
                    f"; got {type(per_group).__name__}."
                )
            checked[name] = {}
            for group, values in per_group.items():
                values = np.asarray(values, dtype=np.float64)
                if values.shape != epochs.shape:
                    raise ValueError(
                        f"curves[{name!r}][{group!r}] has shape {values.shape}; "
                        f"expected {epochs.shape}, one value per epoch."
                    )
                checked[name][group] = values
        self.epochs = epochs
        self.curves = checked

    def plot(
        self, ax: Any = None, *, line_kw: dict | None = None, legend: bool = True
    ) -> GroupTrainingCurvesDisplay:
        """Draw the curves.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; ``None`` makes a new figure.
        line_kw : dict, default=None
            Keyword arguments of ``ax.plot`` (for every line).
        legend : bool, default=True
            Whether to add a legend.

        Returns
        -------
        display : GroupTrainingCurvesDisplay
            ``self``, with ``figure_``, ``ax_`` and ``lines_`` set.
        """
        plt = check_matplotlib("GroupTrainingCurvesDisplay.plot")
        fig, ax = figure_and_axes(plt, ax)
        groups = []
        for per_group in self.curves.values():
            groups.extend(g for g in per_group if g not in groups)
        colour = {g: f"C{i % 10}" for i, g in enumerate(groups)}
        several = len(self.curves) > 1
        markers = len(self.epochs) <= 20
        self.lines_ = {}
        for i, (name, per_group) in enumerate(self.curves.items()):
            style = _LINESTYLES[i % len(_LINESTYLES)]
            for group, values in per_group.items():
                label = group_label(group)
                kwargs = {
                    "color": colour[group],
                    "linestyle": style,
                    "label": f"{name}: {label}" if several else label,
                }
                if markers:
                    kwargs.update(marker="o", markersize=3)
                kwargs.update(line_kw or {})
                (self.lines_[name, group],) = ax.plot(self.epochs, values, **kwargs)
        ax.set_xlabel("Epoch")
        ax.set_ylabel("Accuracy")
        ax.set_ylim(-0.02, 1.02)
        ax.grid(alpha=0.3)
        if legend:
            ax.legend(
                title=None if several else "group",
                fontsize="small",
                ncol=len(self.curves) if several else 1,
                loc="best",
            )
        self.figure_, self.ax_ = fig, ax
        return self

    @classmethod
    def from_history(
        cls,
        history: Any,
        keys: str | list[str] | None = None,
        *,
        ax: Any = None,
        **plot_kw: Any,
    ) -> GroupTrainingCurvesDisplay:
        """Plot per-group accuracies recorded in a skorch history.

        Parameters
        ----------
        history : skorch History or list of dict
            ``net.history``, with the dicts recorded by
            :class:`~skmat.callbacks.GroupAccuracyCallback`.
        keys : str or list of str, default=None
            History keys to plot (e.g. ``"test_group_acc"``), one curve each,
            named by the key without its ``"_group_acc"`` suffix. ``None`` plots
            every key ending in ``"_group_acc"``.
        ax : matplotlib Axes, default=None
            Axes to draw on; ``None`` makes a new figure.
        **plot_kw
            Other arguments of :meth:`plot`.

        Returns
        -------
        display : GroupTrainingCurvesDisplay

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import numpy as np
        >>> import torch
        >>> from skorch import NeuralNetClassifier
        >>> from skmat.callbacks import GroupAccuracyCallback
        >>> from skmat.plot import GroupTrainingCurvesDisplay
        >>> rng = np.random.RandomState(0)
        >>> X = rng.randn(100, 3).astype(np.float32)
        >>> y = (X[:, 0] > 0).astype(np.int64)
        >>> groups = 2 * y + (X[:, 1] > 0)
        >>> net = NeuralNetClassifier(
        ...     torch.nn.Linear, module__in_features=3, module__out_features=2,
        ...     criterion=torch.nn.CrossEntropyLoss, max_epochs=4, lr=0.1,
        ...     train_split=None, verbose=0,
        ...     callbacks=[GroupAccuracyCallback(X, y, groups, name="train")]
        ... ).fit(X, y)
        >>> disp = GroupTrainingCurvesDisplay.from_history(net.history)
        >>> list(disp.curves), len(disp.lines_)
        (['train'], 4)
        """
        check_matplotlib(f"{cls.__name__}.from_history")
        epochs, curves = _curves_from_history(history, keys)
        return cls(epochs, curves).plot(ax=ax, **plot_kw)

    @classmethod
    def from_estimator(
        cls,
        estimator: Any,
        keys: str | list[str] | None = None,
        *,
        ax: Any = None,
        **plot_kw: Any,
    ) -> GroupTrainingCurvesDisplay:
        """Plot the per-group accuracies recorded while a network trained.

        Parameters
        ----------
        estimator : fitted skorch net, or fitted MATClassifier
            A net with :class:`~skmat.callbacks.GroupAccuracyCallback` among its
            callbacks, or an estimator whose ``estimator_`` is one (the final
            network of :class:`~skmat.MATClassifier`).
        keys : str or list of str, default=None
            See :meth:`from_history`.
        ax : matplotlib Axes, default=None
            Axes to draw on; ``None`` makes a new figure.
        **plot_kw
            Other arguments of :meth:`plot`.

        Returns
        -------
        display : GroupTrainingCurvesDisplay

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import numpy as np
        >>> from sklearn.linear_model import LogisticRegression
        >>> from skmat import MATClassifier
        >>> from skmat.callbacks import GroupAccuracyCallback
        >>> from skmat.datasets import make_spurious_splits
        >>> from skmat.mlp import mlp_net
        >>> from skmat.plot import GroupTrainingCurvesDisplay
        >>> data = make_spurious_splits(200, 10, random_state=0)
        >>> (X, y, _), (X_test, y_test, g_test) = data.train, data.test
        >>> minority = np.where(g_test % 3 == 0, "majority", "minority")
        >>> net = mlp_net(max_epochs=5, callbacks=[
        ...     GroupAccuracyCallback(X_test, y_test, minority, name="test")])
        >>> clf = MATClassifier(net, holdout_estimator=LogisticRegression(), cv=2,
        ...                     random_state=0).fit(X, y)
        >>> disp = GroupTrainingCurvesDisplay.from_estimator(clf)
        >>> len(disp.lines_), disp.epochs
        (2, array([1., 2., 3., 4., 5.]))
        """
        check_matplotlib(f"{cls.__name__}.from_estimator")
        net = estimator
        if not hasattr(net, "history_") and hasattr(estimator, "estimator_"):
            net = estimator.estimator_
        elif not hasattr(net, "history_"):
            check_is_fitted(estimator)  # unfitted meta-estimators say so
        history = getattr(net, "history_", None)
        if history is None:
            raise TypeError(
                "estimator must be a fitted skorch net (with a history) or a fitted "
                "estimator whose estimator_ is one, such as MATClassifier; got "
                f"{type(estimator).__name__}."
            )
        return cls.from_history(history, keys, ax=ax, **plot_kw)
