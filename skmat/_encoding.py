"""Label and group encoding: the values users write as indices ``0 .. k - 1``.

One place decides how labels and groups are read: :func:`encode_classes` for the
training labels of every estimator (sorted, as scikit-learn's ``LabelEncoder``),
:func:`encode_groups` for group labels (1-D values, or 2-D rows of attribute
values, each distinct row a group), :func:`label_index` to find labels among
known classes, and :func:`python_value` to print a label as the user wrote it
(``1``, not ``np.int64(1)``).
"""

from __future__ import annotations

import numpy as np
from scipy.sparse import issparse
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import assert_all_finite, column_or_1d
from sklearn.utils.multiclass import check_classification_targets

from ._errors import naming

__all__ = [
    "check_labels",
    "check_same_kind",
    "is_number",
    "python_value",
    "encode_classes",
    "encode_groups",
    "label_index",
    "check_classes",
    "check_scores",
    "class_indices",
]


def check_labels(y, name):
    """1-D array of labels (a column vector is flattened); empty is an error."""
    if issparse(y):
        raise TypeError(f"{name} is a sparse matrix; pass a dense 1-D array of labels.")
    try:
        y = np.asarray(y)
    except (TypeError, ValueError) as exc:  # ragged input
        raise ValueError(f"{name} must be a 1-D array of labels.") from exc
    if y.ndim == 2 and y.shape[1] == 1:
        y = y.ravel()
    if y.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array of labels; got shape {y.shape}.")
    if y.shape[0] == 0:
        raise ValueError(f"{name} is empty; at least one example is needed.")
    if y.dtype.kind in "fc" and np.isnan(y).any():
        raise ValueError(f"{name} must not contain NaN: a label is missing.")
    return y


def is_text(dtype):
    return dtype.kind in "US"


def is_number(dtype):
    return dtype.kind in "biuf"


def check_same_kind(a, b, name_a, name_b):
    """Refuse comparing text labels with numbers: every comparison would be False."""
    if (is_text(a.dtype) and is_number(b.dtype)) or (
        is_number(a.dtype) and is_text(b.dtype)
    ):
        raise ValueError(
            f"{name_a} ({a.dtype}) and {name_b} ({b.dtype}) hold labels of different "
            "types (text and numbers); they can never match."
        )


def python_value(value):
    """Hashable plain-Python form of one group key (numpy scalars unwrapped)."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple, np.ndarray)):
        return tuple(python_value(v) for v in value)
    return value


def sorted_or_first_seen(keys):
    try:
        return sorted(keys)
    except TypeError:  # mixed, unorderable keys: keep the order of appearance
        return list(keys)


def encode_groups(groups, n_samples, against="y_true"):
    """Group keys and the index of each example's key.

    Parameters
    ----------
    groups : array-like of shape (n_samples,) or (n_samples, n_attributes)
        One group per example: ints, strings, or the rows of a 2-D array (one
        column per attribute, each distinct row a group).
    n_samples : int
        The number of examples ``groups`` must cover.
    against : str, default="y_true"
        What ``n_samples`` counts, for the error message.

    Returns
    -------
    keys : ndarray of shape (n_groups,)
        The distinct groups (sorted when they can be; one tuple per group for
        2-D groups).
    inverse : ndarray of shape (n_samples,)
        The position of each example's group in ``keys``.

    Examples
    --------
    >>> from skmat._encoding import encode_groups
    >>> keys, index = encode_groups(["b", "a", "b"], 3)
    >>> keys.tolist(), index.tolist()
    (['a', 'b'], [1, 0, 1])
    >>> encode_groups([[0, 1], [0, 1], [1, 0]], 3)[0].tolist()
    [(0, 1), (1, 0)]
    """
    if groups is None:
        raise TypeError("groups is required: one group per example.")
    if issparse(groups):
        raise TypeError(
            "groups is a sparse matrix; pass a dense 1-D array of group labels."
        )
    if isinstance(groups, (list, tuple)) and any(
        isinstance(g, (tuple, list)) for g in groups
    ):
        # A list of tuples: keep each element's own type (np.asarray would turn
        # (0, "a") into two strings).
        rows = [python_value(g) for g in groups]
        if any(not isinstance(r, tuple) for r in rows):
            raise ValueError("groups mixes tuples and single values.")
        n_groups_given = len(rows)
        arr = None
    else:
        try:
            arr = np.asarray(groups)
        except (TypeError, ValueError) as exc:
            raise ValueError(
                "groups must be array-like, one entry per example."
            ) from exc
        if arr.ndim == 0:
            raise ValueError(f"groups must be array-like, not a scalar ({groups!r}).")
        if arr.ndim == 2 and arr.shape[1] == 1:
            arr = arr.ravel()
        if arr.ndim > 2:
            raise ValueError(
                f"groups must be 1-D, or 2-D with one key column per attribute; "
                f"got shape {arr.shape}."
            )
        n_groups_given = arr.shape[0]
    if n_groups_given != n_samples:
        raise ValueError(
            f"groups has {n_groups_given} entries but {against} has {n_samples}; "
            "they must have the same length."
        )

    if arr is not None and arr.ndim == 1:
        if arr.dtype.kind == "f" and not np.isfinite(arr).all():
            raise ValueError("groups must not contain NaN or infinity.")
        try:
            keys, inverse = np.unique(arr, return_inverse=True)
            return keys, inverse.reshape(-1)
        except TypeError:  # object array of unorderable values
            rows = [python_value(g) for g in arr.tolist()]
            as_tuples = False
    else:
        if arr is not None:
            rows = [tuple(r) for r in arr.tolist()]
        as_tuples = True

    try:
        distinct = sorted_or_first_seen(dict.fromkeys(rows))
    except TypeError as exc:  # unhashable entries
        raise ValueError("groups must hold hashable values.") from exc
    position = {key: i for i, key in enumerate(distinct)}
    inverse = np.fromiter((position[r] for r in rows), dtype=np.intp, count=len(rows))
    keys = np.empty(len(distinct), dtype=object)
    for i, key in enumerate(distinct):
        keys[i] = key  # element by element, so tuples stay tuples
    if not as_tuples:
        try:  # a plain dtype when the values allow it
            keys = np.array(distinct) if len({type(k) for k in distinct}) == 1 else keys
        except (TypeError, ValueError):
            pass
    return keys, inverse


def label_index(values, classes, name, hint=""):
    """Position of each value in ``classes``; a value not in it is a ValueError."""
    if is_number(values.dtype) and is_number(classes.dtype):
        order = np.argsort(classes, kind="stable")
        sorted_classes = classes[order]
        pos = np.searchsorted(sorted_classes, values)
        pos_clipped = np.minimum(pos, len(classes) - 1)
        known = sorted_classes[pos_clipped] == values
        index = order[pos_clipped]
    else:
        lookup = {python_value(c): i for i, c in enumerate(classes.tolist())}
        found = [lookup.get(python_value(v), -1) for v in values.tolist()]
        index = np.asarray(found, dtype=np.intp)
        known = index >= 0
    if not np.all(known):
        unknown = list(dict.fromkeys(python_value(v) for v in values[~known]))
        raise ValueError(
            f"{name} contains label(s) {unknown[:10]!r} that are not in classes "
            f"{python_value(classes)!r}{hint}."
        )
    return index


def check_classes(classes, y_true):
    """``classes`` checked (default: the sorted labels of ``y_true``), the name of
    where they come from, and a hint for labels missing from them."""
    if classes is None:
        return (
            np.unique(y_true),
            "y_true",
            " (the labels of y_true); pass classes= with every label",
        )
    classes = check_labels(classes, "classes")
    if len(np.unique(classes)) != len(classes):
        raise ValueError(f"classes has repeated labels: {classes!r}.")
    return classes, "classes", ""


def check_scores(scores, name, n_classes, where):
    """A 2-D array of scores, one finite numeric column per class."""
    if scores.shape[1] != n_classes:
        raise ValueError(
            f"{name} has {scores.shape[1]} probability columns but there are "
            f"{n_classes} classes in {where}."
        )
    if not is_number(scores.dtype):
        raise ValueError(f"{name} is 2-D, so it must hold numeric scores.")
    if not np.all(np.isfinite(scores)):
        raise ValueError(f"{name} must not contain NaN or infinity.")


def class_indices(y, classes=None, name="y", hint=""):
    """The class index of each label: ``y`` itself when it already holds indices
    (``classes`` None), else each label's position in ``classes``.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Labels (:func:`check_labels`).
    classes : array-like of shape (n_classes,), default=None
        The label of each class index; ``None``: ``y`` holds indices
        ``0 .. n_classes - 1``.
    name : str, default="y"
        Parameter name used in error messages.
    hint : str, default=""
        Appended to the message of labels that are not indices.

    Returns
    -------
    index : ndarray of shape (n_samples,), intp

    Examples
    --------
    >>> from skmat._encoding import class_indices
    >>> class_indices([1, 0, 1]).tolist()
    [1, 0, 1]
    >>> class_indices(["b", "a"], ["a", "b"]).tolist()
    [1, 0]
    """
    y = check_labels(y, name)
    if classes is None:
        if y.dtype.kind not in "biu" or y.min() < 0:
            raise ValueError(
                f"{name} must hold class indices 0 .. n_classes - 1 (got {y.dtype} "
                f"labels, e.g. {python_value(y[0])!r}); pass classes= with the label "
                f"of each index{hint}."
            )
        return y.astype(np.intp)
    classes = check_labels(classes, "classes")
    return label_index(y, classes, name)


def encode_classes(y, name="y"):
    """Training labels as ``0 .. n_classes - 1`` and the sorted class labels.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Class labels: numbers or strings, at least two distinct values.
    name : str, default="y"
        Parameter name used in error messages.

    Returns
    -------
    y_index : ndarray of shape (n_samples,)
    classes : ndarray of shape (n_classes,)

    Raises
    ------
    ValueError or TypeError
        Naming ``name``: not 1-D, not finite, continuous, mixed strings and
        numbers, or fewer than two classes.

    Examples
    --------
    >>> from skmat._encoding import encode_classes
    >>> encode_classes(["b", "a", "b"])
    (array([1, 0, 1]), array(['a', 'b'], dtype='<U1'))
    """
    try:
        y = column_or_1d(y, warn=True)
        assert_all_finite(y, input_name=name)
        check_classification_targets(y)
        encoder = LabelEncoder().fit(y)
    except (TypeError, ValueError) as exc:
        raise naming(exc, name) from exc
    if len(encoder.classes_) < 2:
        raise ValueError(
            f"{name} must contain at least 2 classes; got only one class: "
            f"{python_value(encoder.classes_[0])!r}."
        )
    return encoder.transform(y), encoder.classes_
