"""The paper's Figure 1 problem: a core feature against a stronger shortcut."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
from sklearn.utils import Bunch, check_scalar
from sklearn.utils._param_validation import validate_params

from ._checks import FRACTION, NON_NEGATIVE, SPLITS, as_random_state, at_least

__all__ = ["make_spurious_classification", "make_spurious_splits"]


@validate_params(
    {
        "n_samples": [at_least(1)],
        "n_features": [at_least(2)],
        "n_classes": [at_least(2)],
        "majority_fraction": [FRACTION],
        "noise_std": [NON_NEGATIVE],
        "core_std": [NON_NEGATIVE],
        "spurious_scale": [NON_NEGATIVE],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_spurious_classification(
    n_samples: int = 1000,
    n_features: int = 1800,
    *,
    n_classes: int = 2,
    majority_fraction: float = 0.9,
    noise_std: float = 0.5,
    core_std: float = 0.12,
    spurious_scale: float = 5.0,
    random_state: int | np.random.RandomState | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Generate the paper's Figure 1 problem: a core feature, a stronger shortcut.

    For ``n_classes=2`` this is exactly the interpretable experiment of Bayat et al.
    (2024), Figure 1: with ``s = 2y - 1``, the core feature is
    ``x1 = s * (core_std * N(0, 1) - 1)`` and the spurious one
    ``x2 = s * (core_std * N(0, 1) - 1)`` with its sign flipped on the minority
    (a fraction ``1 - majority_fraction`` of the examples); the features are
    ``[x1, spurious_scale * x2, noise_std * N(0, I)]``. The spurious feature is
    larger (``spurious_scale=5``), so a network learns it first; the
    ``n_features - 2`` noise dimensions let it memorize the minority. The paper
    uses ``n_samples=1000``, ``n_features=1800``, ``noise_std=0.5``,
    ``majority_fraction=0.9`` for training and ``0.5`` for validation and test
    (see :func:`make_spurious_splits`).

    For ``n_classes > 2`` the same recipe uses one coordinate per class: the core
    block is ``-(onehot(y) + core_std * N(0, I))`` (a spurious attribute
    ``a`` equal to ``y`` on the majority and drawn uniformly among the other
    classes on the minority gives the spurious block
    ``-spurious_scale * (onehot(a) + core_std * N(0, I))``), followed by the noise.

    Parameters
    ----------
    n_samples : int, default=1000
        Number of examples.
    n_features : int, default=1800
        Total number of features, core and spurious included (at least
        ``2`` for two classes, ``2 * n_classes`` otherwise).
    n_classes : int, default=2
        Number of classes (>= 2); labels are balanced in expectation.
    majority_fraction : float, default=0.9
        Probability that the spurious attribute agrees with the label.
    noise_std : float, default=0.5
        Standard deviation of the example-specific noise features; ``0`` leaves
        nothing to memorize.
    core_std : float, default=0.12
        Standard deviation of the core and spurious features around their means.
    spurious_scale : float, default=5.0
        Scale of the spurious block relative to the core block.
    random_state : int, RandomState instance or None, default=None
        Seed of the generator.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
        Integer labels ``0 .. n_classes - 1``.
    groups : ndarray of shape (n_samples,)
        Group of each example, ``y * n_classes + a`` with ``a`` the spurious
        attribute; the minority groups are those with ``a != y``.

    Examples
    --------
    >>> from skmat.datasets import make_spurious_classification
    >>> X, y, groups = make_spurious_classification(200, 20, random_state=0)
    >>> X.shape, sorted(set(groups.tolist()))
    ((200, 20), [0, 1, 2, 3])
    """
    signal_dims = 2 if n_classes == 2 else 2 * n_classes
    check_scalar(n_features, "n_features", numbers.Integral, min_val=signal_dims)
    rng = as_random_state(random_state)

    y = rng.randint(n_classes, size=n_samples)
    minority = rng.uniform(size=n_samples) >= majority_fraction
    # On the minority the attribute is a uniformly drawn *other* class.
    offset = rng.randint(1, n_classes, size=n_samples)
    attribute = np.where(minority, (y + offset) % n_classes, y)

    if n_classes == 2:
        sign_y, sign_a = 2.0 * y - 1.0, 2.0 * attribute - 1.0
        core = sign_y * (core_std * rng.standard_normal(n_samples) - 1.0)
        spurious = sign_a * (core_std * rng.standard_normal(n_samples) - 1.0)
        signal = np.column_stack([core, spurious_scale * spurious])
    else:
        eye = np.eye(n_classes)
        core = -(eye[y] + core_std * rng.standard_normal((n_samples, n_classes)))
        spurious = -(
            eye[attribute] + core_std * rng.standard_normal((n_samples, n_classes))
        )
        signal = np.hstack([core, spurious_scale * spurious])
    noise = noise_std * rng.standard_normal((n_samples, n_features - signal_dims))
    X = np.hstack([signal, noise])
    return X, y, y * n_classes + attribute


def make_spurious_splits(
    n_samples: int = 1000,
    n_features: int = 1800,
    *,
    majority_fraction: tuple[float, float, float] = (0.9, 0.5, 0.5),
    random_state: int | np.random.RandomState | None = None,
    **kwargs: Any,
) -> Bunch:
    """Train, validation and test sets of :func:`make_spurious_classification`.

    Each split has ``n_samples`` examples and its own majority fraction; the paper
    trains on ``0.9`` (the shortcut is right for 90% of the examples) and
    evaluates where the shortcut is uninformative (``0.5``).

    Parameters
    ----------
    n_samples : int, default=1000
        Number of examples in each split.
    n_features : int, default=1800
        Number of features.
    majority_fraction : tuple of three floats, default=(0.9, 0.5, 0.5)
        Majority fraction of the train, validation and test splits.
    random_state : int, RandomState instance or None, default=None
        Seed; the three splits are drawn from independent streams.
    **kwargs
        Other parameters of :func:`make_spurious_classification`
        (``n_classes``, ``noise_std``, ...).

    Returns
    -------
    splits : :class:`~sklearn.utils.Bunch`
        Keys ``train``, ``valid`` and ``test``, each a tuple ``(X, y, groups)``.

    Examples
    --------
    >>> from skmat.datasets import make_spurious_splits
    >>> data = make_spurious_splits(100, 10, random_state=0)
    >>> X_train, y_train, groups_train = data.train
    >>> X_train.shape, data.test[0].shape
    ((100, 10), (100, 10))
    """
    try:
        fractions = tuple(majority_fraction)
    except TypeError:
        fractions = ()
    if len(fractions) != 3:
        raise ValueError(
            "majority_fraction must be a sequence of three fractions (train, "
            f"valid, test); got {majority_fraction!r}."
        )
    rng = as_random_state(random_state)
    seeds = rng.randint(np.iinfo(np.int32).max, size=3)
    return Bunch(
        **{
            name: make_spurious_classification(
                n_samples,
                n_features,
                majority_fraction=fraction,
                random_state=seed,
                **kwargs,
            )
            for name, fraction, seed in zip(SPLITS, fractions, seeds)
        }
    )
