"""The display of MAT's transition matrix as an annotated heat map."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from sklearn.utils.validation import check_is_fitted

from .._encoding import python_value
from ..transition import joint_matrix, sharpen, transition_matrix
from ._drawing import check_matplotlib, figure_and_axes, text_fits

__all__ = ["TransitionMatrixDisplay"]


class TransitionMatrixDisplay:
    """MAT's transition matrix ``p(y = c | y_ho = k)`` as an annotated heat map.

    Row ``k`` is the class the held-out model predicts, column ``c`` the true
    label; each row sums to one. A strong diagonal means the held-out model is
    mostly right; off-diagonal mass is where MAT's shift moves the logits (the
    examples a shortcut gets wrong).

    Create it with :meth:`from_estimator` (a fitted
    :class:`~skmat.MATClassifier`) or :meth:`from_predictions` (labels and
    held-out probabilities), or from a matrix you have, then call :meth:`plot`.

    Parameters
    ----------
    transition_matrix : array-like of shape (n_classes, n_classes)
        ``transition_matrix[k, c]``: probability of label ``c`` given held-out
        prediction ``k`` (any finite square matrix is drawn).
    display_labels : array-like of shape (n_classes,), default=None
        Class names for the ticks; ``None`` uses ``0 .. n_classes - 1``.

    Attributes
    ----------
    im_ : matplotlib AxesImage
        The heat map.
    text_ : ndarray of shape (n_classes, n_classes) of matplotlib Text, or None
        The annotation of each cell (``None`` with ``include_values=False``).
    colorbar_ : matplotlib Colorbar or None
        The colour bar (``None`` with ``colorbar=False``).
    ax_ : matplotlib Axes
        Axes with the heat map.
    figure_ : matplotlib Figure
        Figure that contains the heat map.

    See Also
    --------
    skmat.transition.transition_matrix : How the matrix is computed.
    sklearn.metrics.ConfusionMatrixDisplay : The display this one imitates.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from skmat.plot import TransitionMatrixDisplay
    >>> y = np.array([0, 0, 0, 1, 1, 1])
    >>> holdout_proba = np.array([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7],
    ...                           [0.2, 0.8], [0.1, 0.9], [0.6, 0.4]])
    >>> disp = TransitionMatrixDisplay.from_predictions(y, holdout_proba)
    >>> disp.transition_matrix.round(2)
    array([[0.67, 0.33],
           [0.33, 0.67]])
    >>> disp.text_[0, 0].get_text()
    '0.67'
    """

    def __init__(
        self, transition_matrix: ArrayLike, *, display_labels: ArrayLike | None = None
    ) -> None:
        self.transition_matrix = _check_square(transition_matrix)
        n_classes = self.transition_matrix.shape[0]
        if display_labels is not None:
            labels = np.asarray(display_labels)
            if labels.ndim != 1 or labels.shape[0] != n_classes:
                raise ValueError(
                    f"display_labels must have one entry per class ({n_classes}); "
                    f"got shape {labels.shape}."
                )
        self.display_labels = display_labels

    def plot(
        self,
        ax: Any = None,
        *,
        cmap: str = "Blues",
        values_format: str = ".2f",
        include_values: bool = True,
        colorbar: bool = True,
        xticks_rotation: float | str = "auto",
        im_kw: dict | None = None,
        text_kw: dict | None = None,
    ) -> TransitionMatrixDisplay:
        """Draw the heat map.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; ``None`` makes a new figure.
        cmap : str or matplotlib Colormap, default="Blues"
            Colour map of the heat map (0 and 1 are its ends).
        values_format : str, default=".2f"
            Format specification of the cell annotations.
        include_values : bool, default=True
            Whether to write each value in its cell.
        colorbar : bool, default=True
            Whether to add a colour bar.
        xticks_rotation : "auto", "horizontal", "vertical" or float, default="auto"
            Rotation of the x tick labels; ``"auto"`` turns them by 45 degrees
            when they are too wide for their cells.
        im_kw : dict, default=None
            Keyword arguments of ``ax.imshow`` (override the defaults).
        text_kw : dict, default=None
            Keyword arguments of ``ax.text`` for the annotations.

        Returns
        -------
        display : TransitionMatrixDisplay
            ``self``, with ``figure_``, ``ax_``, ``im_``, ``text_`` and
            ``colorbar_`` set.
        """
        plt = check_matplotlib("TransitionMatrixDisplay.plot")
        matrix = self.transition_matrix
        n_classes = matrix.shape[0]
        fig, ax = figure_and_axes(plt, ax)

        vmin, vmax = min(0.0, float(matrix.min())), max(1.0, float(matrix.max()))
        im_kwargs = {"cmap": cmap, "vmin": vmin, "vmax": vmax}
        im_kwargs.update(im_kw or {})
        self.im_ = ax.imshow(matrix, interpolation="nearest", **im_kwargs)

        self.text_ = None
        if include_values:
            cmap_low, cmap_high = self.im_.cmap(0.0), self.im_.cmap(1.0)
            norm = self.im_.norm
            # Fewer, larger cells for a few classes; smaller text for many.
            fontsize = "medium" if n_classes <= 5 else "small" if n_classes <= 10 else 7
            self.text_ = np.empty((n_classes, n_classes), dtype=object)
            for k in range(n_classes):
                for c in range(n_classes):
                    value = matrix[k, c]
                    dark_cell = norm(value) >= 0.5
                    kwargs = {
                        "ha": "center",
                        "va": "center",
                        "fontsize": fontsize,
                        "color": cmap_low if dark_cell else cmap_high,
                    }
                    kwargs.update(text_kw or {})
                    self.text_[k, c] = ax.text(
                        c, k, format(value, values_format), **kwargs
                    )

        labels = (
            np.arange(n_classes) if self.display_labels is None else self.display_labels
        )
        labels = [str(label) for label in labels]
        ax.set_xticks(np.arange(n_classes), labels=labels)
        ax.set_yticks(np.arange(n_classes), labels=labels)
        if xticks_rotation == "auto":
            longest = max(labels, key=len)
            size = plt.rcParams["xtick.labelsize"]
            fits = text_fits(fig, ax, 1.0 / n_classes, longest, size, margin=0.8)
            xticks_rotation = "horizontal" if fits else 45.0
        if xticks_rotation not in ("horizontal", 0, 0.0):
            upright = xticks_rotation in ("vertical", 90, 90.0)
            plt.setp(
                ax.get_xticklabels(),
                rotation=xticks_rotation,
                ha="center" if upright else "right",
                rotation_mode="default" if upright else "anchor",
            )
        ax.set_xlabel("True label c")
        ax.set_ylabel("Held-out prediction k")
        ax.set_title("Transition matrix p(y = c | held-out = k)")
        ax.set_ylim(n_classes - 0.5, -0.5)

        self.colorbar_ = None
        if colorbar:
            self.colorbar_ = fig.colorbar(self.im_, ax=ax)
        self.figure_, self.ax_ = fig, ax
        return self

    @classmethod
    def from_estimator(
        cls,
        estimator: Any,
        *,
        display_labels: ArrayLike | None = None,
        ax: Any = None,
        **plot_kw: Any,
    ) -> TransitionMatrixDisplay:
        """Plot the transition matrix of a fitted :class:`~skmat.MATClassifier`.

        Parameters
        ----------
        estimator : fitted MATClassifier
            Any fitted estimator with ``transition_matrix_`` (and ``classes_``).
        display_labels : array-like of shape (n_classes,), default=None
            Tick labels; ``None`` uses ``estimator.classes_``.
        ax : matplotlib Axes, default=None
            Axes to draw on; ``None`` makes a new figure.
        **plot_kw
            Other arguments of :meth:`plot` (``cmap``, ``values_format``,
            ``include_values``, ``colorbar``, ``im_kw``, ``text_kw``).

        Returns
        -------
        display : TransitionMatrixDisplay

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from sklearn.linear_model import LogisticRegression
        >>> from skmat import MATClassifier
        >>> from skmat.datasets import make_spurious_classification
        >>> from skmat.plot import TransitionMatrixDisplay
        >>> X, y, _ = make_spurious_classification(200, 10, random_state=0)
        >>> clf = MATClassifier(holdout_estimator=LogisticRegression(), cv=2,
        ...                     random_state=0).fit(X, y)
        >>> disp = TransitionMatrixDisplay.from_estimator(clf)
        >>> disp.im_.get_array().shape
        (2, 2)
        """
        check_matplotlib(f"{cls.__name__}.from_estimator")
        check_is_fitted(estimator)
        if not hasattr(estimator, "transition_matrix_"):
            raise TypeError(
                "estimator must be a fitted MATClassifier (an estimator with a "
                f"transition_matrix_ attribute); got {type(estimator).__name__}."
            )
        if display_labels is None:
            display_labels = getattr(estimator, "classes_", None)
        display = cls(estimator.transition_matrix_, display_labels=display_labels)
        return display.plot(ax=ax, **plot_kw)

    @classmethod
    def from_predictions(
        cls,
        y_true: ArrayLike,
        holdout_proba: ArrayLike,
        *,
        temperature: float = 0.1,
        labels: ArrayLike | None = None,
        display_labels: ArrayLike | None = None,
        ax: Any = None,
        **plot_kw: Any,
    ) -> TransitionMatrixDisplay:
        """Compute and plot the transition matrix from held-out probabilities.

        The computation of :class:`~skmat.MATClassifier` (``fit``'s step 2):
        ``q = sharpen(holdout_proba, temperature)``, the joint matrix of ``q``
        and the labels, then its rows normalised
        (:mod:`skmat.transition`).

        Parameters
        ----------
        y_true : array-like of shape (n_samples,)
            True labels.
        holdout_proba : array-like of shape (n_samples, n_classes)
            Held-out probabilities of each example (e.g. from
            :func:`~sklearn.model_selection.cross_val_predict` with
            ``method="predict_proba"``), columns in the order of ``labels``.
        temperature : float, default=0.1
            Positive temperature of :func:`skmat.transition.sharpen`.
        labels : array-like of shape (n_classes,), default=None
            Label of each column of ``holdout_proba``; ``None`` uses the sorted
            distinct labels of ``y_true`` (which must then contain every class).
        display_labels : array-like of shape (n_classes,), default=None
            Tick labels; ``None`` uses ``labels``.
        ax : matplotlib Axes, default=None
            Axes to draw on; ``None`` makes a new figure.
        **plot_kw
            Other arguments of :meth:`plot`.

        Returns
        -------
        display : TransitionMatrixDisplay

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import matplotlib.pyplot as plt
        >>> from sklearn.linear_model import LogisticRegression
        >>> from sklearn.model_selection import cross_val_predict
        >>> from skmat.datasets import make_spurious_classification
        >>> from skmat.plot import TransitionMatrixDisplay
        >>> X, y, _ = make_spurious_classification(200, 10, random_state=0)
        >>> proba = cross_val_predict(LogisticRegression(), X, y, cv=3,
        ...                           method="predict_proba")
        >>> fig, axes = plt.subplots(1, 2, figsize=(9, 4))
        >>> for ax, t in zip(axes, [0.01, 1.0]):
        ...     disp = TransitionMatrixDisplay.from_predictions(
        ...         y, proba, temperature=t, ax=ax, colorbar=False)
        >>> disp.ax_ is axes[1]
        True
        """
        check_matplotlib(f"{cls.__name__}.from_predictions")
        y_true = np.asarray(y_true)
        if y_true.ndim != 1 or y_true.shape[0] == 0:
            raise ValueError(
                f"y_true must be a non-empty 1-D array of labels; got shape "
                f"{y_true.shape}."
            )
        proba = np.asarray(holdout_proba, dtype=np.float64)
        if proba.ndim != 2 or proba.shape[0] != y_true.shape[0]:
            raise ValueError(
                f"holdout_proba must have shape ({y_true.shape[0]}, n_classes), one "
                f"row per entry of y_true; got shape {proba.shape}."
            )
        if labels is None:
            labels = np.unique(y_true)
            if labels.shape[0] != proba.shape[1]:
                raise ValueError(
                    f"holdout_proba has {proba.shape[1]} columns but y_true has "
                    f"{labels.shape[0]} distinct labels; pass labels= with the label "
                    "of each column."
                )
        else:
            labels = np.asarray(labels)
            if labels.ndim != 1 or labels.shape[0] != proba.shape[1]:
                raise ValueError(
                    f"labels must have one entry per column of holdout_proba "
                    f"({proba.shape[1]}); got shape {labels.shape}."
                )
        lookup = {python_value(label): i for i, label in enumerate(labels)}
        if len(lookup) != len(labels):
            raise ValueError(f"labels has repeated entries: {labels!r}.")
        try:
            y_index = np.array([lookup[python_value(v)] for v in y_true], dtype=np.intp)
        except KeyError as exc:
            raise ValueError(
                f"y_true contains label {exc.args[0]!r}, which is not in labels "
                f"{[python_value(label) for label in labels]!r}."
            ) from None
        q = sharpen(proba, temperature)
        matrix = transition_matrix(joint_matrix(q, y_index))
        if display_labels is None:
            display_labels = labels
        display = cls(matrix, display_labels=display_labels)
        return display.plot(ax=ax, **plot_kw)


def _check_square(matrix):
    try:
        matrix = np.asarray(matrix, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError("transition_matrix must be a numeric 2-D array.") from exc
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1] or matrix.size == 0:
        raise ValueError(
            "transition_matrix must be a square 2-D array of shape "
            f"(n_classes, n_classes); got shape {matrix.shape}."
        )
    if not np.all(np.isfinite(matrix)):
        raise ValueError("transition_matrix must not contain NaN or infinity.")
    return matrix
