"""Datasets with a spurious shortcut: generated, built from scikit-learn, or loaded.

Nothing here downloads anything.

* :func:`make_spurious_classification` and :func:`make_spurious_splits` generate
  the synthetic problem of the paper's Figure 1;
* :func:`make_colored_digits` and :func:`make_colored_digits_splits` colour
  scikit-learn's bundled 8x8 digits in the manner of ColorMNIST;
* :func:`load_waterbirds`, :func:`load_celeba`, :func:`load_multinli` and
  :func:`load_civilcomments` read the paper's benchmarks from files you already
  have: a metadata CSV and precomputed features (``.npy`` or ``.pt``). They never
  unpickle: ``.npy`` files are read with ``allow_pickle=False`` and ``.pt`` files
  with ``torch.load(..., weights_only=True)``.

Every dataset comes with ``groups``: ``y * n_attributes + a`` where ``a`` is the
spurious attribute (the shortcut). Worst-group accuracy is the accuracy on the
worst of these groups.
"""

from __future__ import annotations

import csv
import functools
import numbers
import os
from collections.abc import Mapping
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike
from scipy.sparse import issparse
from sklearn.utils import Bunch, check_random_state

__all__ = [
    "make_spurious_classification",
    "make_spurious_splits",
    "make_colored_digits",
    "make_colored_digits_splits",
    "make_spurious_text",
    "load_waterbirds",
    "load_celeba",
    "load_multinli",
    "load_civilcomments",
    "DIGITS_SPLIT_SIZES",
    "CIVILCOMMENTS_IDENTITIES",
    "DIGIT_COLORS",
    "TEXT_CORE_WORDS",
    "TEXT_MARKERS",
]

# Names of the three splits, in the order of tuples of per-split values.
_SPLITS = ("train", "valid", "test")


def _check_int(value, name, minimum):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer >= {minimum}; got {value!r}.")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; got {value!r}.")
    return int(value)


def _check_bool(value, name):
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False; got {value!r}.")
    return bool(value)


def _check_fraction(value, name):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number in [0, 1]; got {value!r}.")
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be a number in [0, 1]; got {value!r}.")
    return float(value)


def _check_nonneg(value, name):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a non-negative number; got {value!r}.")
    if not np.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a non-negative number; got {value!r}.")
    return float(value)


def _check_random_state(random_state):
    try:
        return check_random_state(random_state)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            "random_state must be None, an int or a numpy RandomState; got "
            f"{random_state!r}."
        ) from exc


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
    n_samples = _check_int(n_samples, "n_samples", 1)
    n_classes = _check_int(n_classes, "n_classes", 2)
    signal_dims = 2 if n_classes == 2 else 2 * n_classes
    n_features = _check_int(n_features, "n_features", signal_dims)
    majority_fraction = _check_fraction(majority_fraction, "majority_fraction")
    noise_std = _check_nonneg(noise_std, "noise_std")
    core_std = _check_nonneg(core_std, "core_std")
    spurious_scale = _check_nonneg(spurious_scale, "spurious_scale")
    rng = _check_random_state(random_state)

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
    rng = _check_random_state(random_state)
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
            for name, fraction, seed in zip(
                ("train", "valid", "test"), fractions, seeds
            )
        }
    )


# --------------------------------------------------------------------------
# Coloured digits (ColorMNIST on scikit-learn's 8x8 digits)
# --------------------------------------------------------------------------

#: Number of load_digits images in the train, valid and test parts.
DIGITS_SPLIT_SIZES = (1000, 397, 400)
#: Core words of each class of :func:`make_spurious_text` (negative, positive).
TEXT_CORE_WORDS = (
    ("awful", "bad", "boring", "dull", "poor"),
    ("great", "good", "lovely", "fine", "superb"),
)
#: Marker words, the shortcut of :func:`make_spurious_text`: marker ``a`` goes with
#: class ``a`` on the majority of the documents.
TEXT_MARKERS = ("honestly", "indeed")


def make_spurious_text(
    n_samples: int = 1000,
    *,
    majority_fraction: float = 0.9,
    label_noise: float = 0.0,
    marker_repeats: int = 5,
    n_filler: int = 5,
    vocabulary_size: int = 5000,
    random_state: int | np.random.RandomState | None = None,
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Short documents with a keyword shortcut: the Figure 1 problem as text.

    Each document is a shuffled bag of words: one *core* word of its class
    (:data:`TEXT_CORE_WORDS`: "great", "awful"...), a *marker* word
    (:data:`TEXT_MARKERS`: "honestly" or "indeed") repeated ``marker_repeats``
    times, and ``n_filler`` filler words ("w0042") drawn from a vocabulary of
    ``vocabulary_size``. The core word always names the class (up to
    ``label_noise``, the probability that the label is flipped); the marker
    agrees with the label with probability ``majority_fraction``. As in the
    paper's Figure 1 problem, the shortcut is the more salient feature (the
    repeated marker, like the larger spurious coordinate there), the core one
    is small but always right, and the rare filler words make each document
    easy to memorize. Draw a test set with a small ``majority_fraction`` (e.g.
    0.1) to see which word a model relies on.

    Parameters
    ----------
    n_samples : int, default=1000
        Number of documents.
    majority_fraction : float, default=0.9
        Probability that the marker agrees with the label.
    label_noise : float, default=0.0
        Probability that the label differs from the core word's class.
    marker_repeats : int, default=5
        How many times the marker appears in a document.
    n_filler : int, default=5
        Filler words per document.
    vocabulary_size : int, default=5000
        Number of distinct filler words.
    random_state : int, RandomState instance or None, default=None
        Seed of the generator.

    Returns
    -------
    texts : list of str
        The documents, words separated by spaces.
    y : ndarray of shape (n_samples,)
        Labels 0 (negative) and 1 (positive).
    groups : ndarray of shape (n_samples,)
        ``2 * y + a`` with ``a`` the marker; the minority groups (1 and 2) are
        those whose marker disagrees with the label.

    Examples
    --------
    >>> from skmat.datasets import make_spurious_text
    >>> texts, y, groups = make_spurious_text(4, random_state=0)
    >>> len(texts), len(texts[0].split())
    (4, 11)
    """
    n_samples = _check_int(n_samples, "n_samples", 1)
    majority_fraction = _check_fraction(majority_fraction, "majority_fraction")
    label_noise = _check_fraction(label_noise, "label_noise")
    n_filler = _check_int(n_filler, "n_filler", 0)
    vocabulary_size = _check_int(vocabulary_size, "vocabulary_size", 1)
    marker_repeats = _check_int(marker_repeats, "marker_repeats", 1)
    rng = _check_random_state(random_state)

    core_class = rng.randint(2, size=n_samples)
    y = np.where(rng.uniform(size=n_samples) < label_noise, 1 - core_class, core_class)
    marker = np.where(rng.uniform(size=n_samples) < majority_fraction, y, 1 - y)
    core_word = rng.randint(len(TEXT_CORE_WORDS[0]), size=n_samples)
    fillers = rng.randint(vocabulary_size, size=(n_samples, n_filler))
    width = len(str(vocabulary_size - 1))
    texts = []
    for i in range(n_samples):
        words = [TEXT_CORE_WORDS[core_class[i]][core_word[i]]]
        words += [TEXT_MARKERS[marker[i]]] * marker_repeats
        words += [f"w{f:0{width}d}" for f in fillers[i]]
        rng.shuffle(words)
        texts.append(" ".join(words))
    return texts, y.astype(np.int64), (2 * y + marker).astype(np.int64)


# The partition of the 1797 images is fixed (this seed, not ``random_state``), so
# separate calls for different splits never share an image.
_DIGITS_PARTITION_SEED = 0


@functools.cache
def _digits_partition():
    """Scaled digit images and labels of each split, read-only, computed once."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = digits.data / 16.0  # pixel values 0..16 -> [0, 1]
    order = np.random.RandomState(_DIGITS_PARTITION_SEED).permutation(len(images))
    parts = {}
    start = 0
    for name, size in zip(_SPLITS, DIGITS_SPLIT_SIZES):
        index = np.sort(order[start : start + size])
        start += size
        part_images, part_digits = images[index], digits.target[index].astype(np.int64)
        part_images.setflags(write=False)
        part_digits.setflags(write=False)
        parts[name] = (part_images, part_digits)
    return parts


def _check_n_digit_classes(n_classes):
    if (
        isinstance(n_classes, bool)
        or not isinstance(n_classes, numbers.Integral)
        or n_classes not in (2, 10)
    ):
        raise ValueError(f"n_classes must be 2 or 10; got {n_classes!r}.")
    return int(n_classes)


def _check_split(split):
    if split not in _SPLITS:
        raise ValueError(f"split must be one of {_SPLITS}; got {split!r}.")
    return _SPLITS.index(split)


def _split_rng(random_state, index):
    """A generator for split ``index``; an int seeds one stream per split."""
    if random_state is None or isinstance(random_state, np.random.RandomState):
        return check_random_state(random_state)
    if isinstance(random_state, bool) or not isinstance(random_state, numbers.Integral):
        raise TypeError(
            "random_state must be None, an int or a numpy RandomState; got "
            f"{random_state!r}."
        )
    if not 0 <= random_state < 2**32:
        raise ValueError(
            f"random_state must be an integer in [0, 2**32); got {random_state!r}."
        )
    return np.random.RandomState([int(random_state), index])


def _per_split_fractions(value, name):
    """Check a fraction or a triple of fractions; return the triple."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return (_check_fraction(value, name),) * 3
    try:
        values = tuple(value)
    except TypeError:
        values = ()
    if len(values) != 3:
        raise ValueError(
            f"{name} must be a fraction or a sequence of three fractions (train, "
            f"valid, test); got {value!r}."
        )
    return tuple(_check_fraction(v, name) for v in values)


#: RGB colour of each class's channel in the image form of the coloured digits
#: (``as_images=True``): red and green for two classes, ten distinct hues for ten.
DIGIT_COLORS = np.array(
    [
        [1.0, 0.0, 0.0],
        [0.0, 1.0, 0.0],
        [0.0, 0.0, 1.0],
        [1.0, 1.0, 0.0],
        [1.0, 0.0, 1.0],
        [0.0, 1.0, 1.0],
        [1.0, 0.5, 0.0],
        [0.5, 0.0, 1.0],
        [0.5, 1.0, 0.5],
        [1.0, 1.0, 1.0],
    ]
)


def _as_rgb_images(X, n_classes):
    """(n, n_classes * 64) one-channel-per-colour rows -> (n, 3, 8, 8) RGB images."""
    channels = X.reshape(len(X), n_classes, 8, 8)
    return np.einsum("nkhw,kc->nchw", channels, DIGIT_COLORS[:n_classes])


def _color_digits(
    images, digits, n_classes, agreement, label_noise, rng, as_images=False
):
    n_samples = len(images)
    y_clean = digits if n_classes == 10 else (digits >= 5).astype(np.int64)
    # Label noise: with probability ``label_noise`` the label becomes a uniformly
    # drawn *other* class (a flip for two classes).
    noisy = rng.uniform(size=n_samples) < label_noise
    y = np.where(
        noisy,
        (y_clean + rng.randint(1, n_classes, size=n_samples)) % n_classes,
        y_clean,
    )
    # The colour agrees with the (noisy) label with probability ``agreement``,
    # otherwise it is a uniformly drawn other colour.
    disagree = rng.uniform(size=n_samples) >= agreement
    color = np.where(
        disagree, (y + rng.randint(1, n_classes, size=n_samples)) % n_classes, y
    )
    X = np.zeros((n_samples, n_classes, images.shape[1]))
    X[np.arange(n_samples), color] = images
    X = X.reshape(n_samples, -1)
    if as_images:
        X = _as_rgb_images(X, n_classes)
    return X, y, y * n_classes + color


def make_colored_digits(
    split: Literal["train", "valid", "test"] = "train",
    *,
    n_classes: Literal[2, 10] = 2,
    color_agreement: float | tuple[float, float, float] = (0.9, 0.5, 0.1),
    label_noise: float = 0.25,
    as_images: bool = False,
    random_state: int | np.random.RandomState | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Coloured 8x8 digits: ColorMNIST built from scikit-learn's ``load_digits``.

    The recipe is that of ColorMNIST (Arjovsky et al., 2019, as used by XRM,
    Pezeshki et al., 2024), on the 1797 digit images bundled with scikit-learn
    (nothing is downloaded):

    1. the label comes from the digit: ``y = 1`` for digits 5-9 and ``y = 0`` for
       0-4 (``n_classes=2``), or the digit itself (``n_classes=10``);
    2. label noise: with probability ``label_noise`` the label is replaced by
       another class drawn uniformly (flipped, for two classes), so the shape of
       the digit predicts ``y`` for only ``1 - label_noise`` of the examples;
    3. a colour ``a`` in ``0 .. n_classes - 1`` agrees with the (noisy) label with
       probability ``color_agreement`` of the split, and is another colour drawn
       uniformly otherwise;
    4. the image, scaled to ``[0, 1]``, is written into colour channel ``a`` of
       ``n_classes`` channels; the other channels are zero. With
       ``as_images=True`` the digit is instead drawn in the RGB colour
       ``DIGIT_COLORS[a]`` (red or green for two classes), an image of shape
       (3, 8, 8) for a convolutional network.

    With the defaults the colour predicts the training label for 90% of the
    examples, better than the shape (75%), so a network trained plainly (ERM)
    latches onto the colour; at test the colour agrees with the label for only
    10% of the examples, and such a network fails there.

    The 1797 images are split once, by a fixed permutation that does not depend on
    ``random_state``, into disjoint parts of :data:`DIGITS_SPLIT_SIZES` = 1000
    (train), 397 (valid) and 400 (test) images; ``random_state`` only draws the
    label noise and the colours. Separate calls for different splits therefore
    never share an image.

    Parameters
    ----------
    split : {"train", "valid", "test"}, default="train"
        Which part of the images to colour.
    n_classes : {2, 10}, default=2
        Binary label (digit >= 5) or the digit itself. There are as many colours
        (channels) as classes.
    color_agreement : float or tuple of three floats, default=(0.9, 0.5, 0.1)
        Probability that the colour agrees with the label, for the train, valid
        and test splits (a single float applies to every split). XRM's
        ColorMNIST uses ``0.9`` and ``0.8`` for its two training environments and
        ``0.1`` at test.
    label_noise : float, default=0.25
        Probability that the label differs from the digit's class (applied in
        every split, as in ColorMNIST: the best colour-free accuracy is
        ``1 - label_noise``).
    as_images : bool, default=False
        Return RGB images of shape (n_samples, 3, 8, 8) instead of table rows;
        the labels, colours and groups are the same for the same seed.
    random_state : int, RandomState instance or None, default=None
        Seed of the noise and colours. An int seeds a separate stream for each
        split, so ``make_colored_digits("test", random_state=0)`` is the test part
        of ``make_colored_digits_splits(random_state=0)``.

    Returns
    -------
    X : ndarray of shape (n_samples, n_classes * 64) or (n_samples, 3, 8, 8)
        float64 in ``[0, 1]``; ``X.reshape(-1, n_classes, 8, 8)`` gives the
        one-channel-per-colour images (``as_images=True``: RGB images).
        ``n_samples`` is 1000, 397 or 400 (see above).
    y : ndarray of shape (n_samples,)
        Integer (noisy) labels ``0 .. n_classes - 1``.
    groups : ndarray of shape (n_samples,)
        ``y * n_classes + a`` with ``a`` the colour; the minority groups in
        training are those where the colour disagrees with the label.

    See Also
    --------
    make_colored_digits_splits : The three splits at once.

    References
    ----------
    M. Arjovsky, L. Bottou, I. Gulrajani, D. Lopez-Paz. "Invariant Risk
    Minimization", arXiv:1907.02893, 2019. M. Pezeshki, D. Bouchacourt,
    M. Ibrahim, N. Ballas, P. Vincent, D. Lopez-Paz. "Discovering environments
    with XRM", ICML 2024.

    Examples
    --------
    >>> import numpy as np
    >>> from skmat.datasets import make_colored_digits
    >>> X, y, groups = make_colored_digits("train", random_state=0)
    >>> X.shape, np.unique(groups).tolist()
    ((1000, 128), [0, 1, 2, 3])
    >>> a = groups % 2  # the colour
    >>> round(float(np.mean(a == y)), 1)
    0.9
    >>> make_colored_digits("train", as_images=True, random_state=0)[0].shape
    (1000, 3, 8, 8)
    """
    index = _check_split(split)
    n_classes = _check_n_digit_classes(n_classes)
    agreement = _per_split_fractions(color_agreement, "color_agreement")[index]
    label_noise = _check_fraction(label_noise, "label_noise")
    rng = _split_rng(random_state, index)
    images, digits = _digits_partition()[split]
    return _color_digits(
        images,
        digits,
        int(n_classes),
        agreement,
        label_noise,
        rng,
        _check_bool(as_images, "as_images"),
    )


def make_colored_digits_splits(
    *,
    n_classes: Literal[2, 10] = 2,
    color_agreement: float | tuple[float, float, float] = (0.9, 0.5, 0.1),
    label_noise: float = 0.25,
    as_images: bool = False,
    random_state: int | np.random.RandomState | None = None,
) -> Bunch:
    """Train, validation and test sets of :func:`make_colored_digits`.

    Parameters
    ----------
    n_classes : {2, 10}, default=2
        Binary label (digit >= 5) or the digit itself.
    color_agreement : float or tuple of three floats, default=(0.9, 0.5, 0.1)
        Probability that the colour agrees with the label in the train, valid and
        test splits.
    label_noise : float, default=0.25
        Probability that the label differs from the digit's class.
    as_images : bool, default=False
        RGB images of shape (n_samples, 3, 8, 8) instead of table rows.
    random_state : int, RandomState instance or None, default=None
        Seed; an int gives the same splits as three calls of
        :func:`make_colored_digits` with that int.

    Returns
    -------
    splits : :class:`~sklearn.utils.Bunch`
        Keys ``train`` (1000 images), ``valid`` (397) and ``test`` (400), each a
        tuple ``(X, y, groups)``; the images of the three splits are disjoint.

    Examples
    --------
    >>> from skmat.datasets import make_colored_digits_splits
    >>> data = make_colored_digits_splits(n_classes=10, random_state=0)
    >>> X_train, y_train, groups_train = data.train
    >>> X_train.shape, data.valid[0].shape, data.test[0].shape
    ((1000, 640), (397, 640), (400, 640))
    """
    n_classes = _check_n_digit_classes(n_classes)
    as_images = _check_bool(as_images, "as_images")
    agreements = _per_split_fractions(color_agreement, "color_agreement")
    label_noise = _check_fraction(label_noise, "label_noise")
    parts = _digits_partition()
    data = Bunch()
    for index, (name, agreement) in enumerate(zip(_SPLITS, agreements)):
        rng = _split_rng(random_state, index)
        images, digits = parts[name]
        data[name] = _color_digits(
            images, digits, int(n_classes), agreement, label_noise, rng, as_images
        )
    return data


# --------------------------------------------------------------------------
# Loaders of the paper's benchmarks, from files the user already has
# --------------------------------------------------------------------------

# Values of a metadata ``split`` column, by split: the group-DRO / BalancingGroups
# integer codes and the WILDS strings.
_SPLIT_CODES = {
    "0": "train",
    "train": "train",
    "1": "valid",
    "val": "valid",
    "valid": "valid",
    "validation": "valid",
    "2": "test",
    "test": "test",
}
_FEATURE_FILES = ("features.npy", "features.pt")
_FEATURES_LAYOUT = (
    "features.npy or features.pt (one row of precomputed features per metadata row, "
    "in the order of the file's rows), or pass features=<path, array, or a dict "
    "with keys 'train', 'valid', 'test'>"
)
#: Identity columns of CivilComments (WILDS ``all_data_with_identities.csv``).
CIVILCOMMENTS_IDENTITIES = (
    "male",
    "female",
    "LGBTQ",
    "christian",
    "muslim",
    "other_religions",
    "black",
    "white",
)


class _Spec:
    """What a loader expects: file names, column names and their meaning."""

    def __init__(
        self,
        name,
        metadata_files,
        target_columns,
        attribute_columns,
        id_columns,
        target_names,
        attribute_names,
        layout,
    ):
        self.name = name
        self.metadata_files = metadata_files
        self.target_columns = target_columns
        self.attribute_columns = attribute_columns
        self.id_columns = id_columns
        self.target_names = target_names
        self.attribute_names = attribute_names
        self.layout = layout


_WATERBIRDS = _Spec(
    "Waterbirds",
    ("metadata.csv", "metadata_waterbirds.csv"),
    ("y",),
    ("place", "a"),
    ("img_id", "id", "img_filename", "filename", "place_filename"),
    ("landbird", "waterbird"),
    ("land", "water"),
    "metadata.csv with columns img_id,img_filename,y,split,place,place_filename "
    "(the Waterbirds release; y: 1 = waterbird, place: 1 = water background, "
    "split: 0/1/2 = train/valid/test), or id,filename,split,y,a",
)
_CELEBA = _Spec(
    "CelebA",
    ("metadata.csv", "metadata_celeba.csv"),
    ("y", "Blond_Hair"),
    ("a", "Male"),
    ("id", "image_id", "filename", "img_filename"),
    ("not blond", "blond"),
    ("female", "male"),
    "metadata.csv with columns filename,y,a,split (y: 1 = blond hair, a: 1 = male, "
    "split: 0/1/2 = train/valid/test; the layout of metadata_celeba.csv in the "
    "BalancingGroups/XRM code), or Blond_Hair and Male in CelebA's -1/1 coding",
)
_MULTINLI = _Spec(
    "MultiNLI",
    ("metadata.csv", "metadata_multinli.csv", "metadata_random.csv"),
    ("y", "gold_label"),
    ("a", "sentence2_has_negation"),
    ("id", "filename"),
    ("contradiction", "entailment", "neutral"),
    ("no negation", "negation"),
    "metadata.csv with columns y,a,split or gold_label,sentence2_has_negation,split "
    "(group DRO's metadata_random.csv; y: 0/1/2 = contradiction/entailment/neutral, "
    "a: 1 = the hypothesis contains a negation word, split: 0/1/2 = "
    "train/valid/test)",
)
_CIVILCOMMENTS = _Spec(
    "CivilComments",
    ("metadata.csv", "all_data_with_identities.csv"),
    ("y", "toxicity"),
    ("a",),
    ("id", "filename"),
    ("non-toxic", "toxic"),
    ("no identity", "identity"),
    "metadata.csv with columns y,a,split (y: 1 = toxic, a: 1 = mentions an "
    "identity) or WILDS' all_data_with_identities.csv (toxicity and the identity "
    "columns " + ", ".join(CIVILCOMMENTS_IDENTITIES) + ", each thresholded at 0.5; "
    "split: train/val/test or 0/1/2)",
)


def _expected(spec, root):
    return (
        f"Expected layout for {spec.name} under {os.fspath(root)!r}: "
        f"{spec.layout}; and {_FEATURES_LAYOUT}."
    )


def _fspath(value, name):
    try:
        return os.fspath(value)
    except TypeError:
        raise TypeError(
            f"{name} must be a path (str or os.PathLike); got {value!r}."
        ) from None


def _find_metadata(spec, root, metadata):
    root = _fspath(root, "root")
    if not os.path.isdir(root):
        raise FileNotFoundError(
            f"root directory {root!r} does not exist. {_expected(spec, root)}"
        )
    if metadata is not None:
        path = os.path.join(root, _fspath(metadata, "metadata"))
        if not os.path.isfile(path):
            raise FileNotFoundError(
                f"metadata file {path!r} does not exist. {_expected(spec, root)}"
            )
        return path
    for name in spec.metadata_files:
        path = os.path.join(root, name)
        if os.path.isfile(path):
            return path
    raise FileNotFoundError(
        f"no metadata file in {root!r}: looked for "
        f"{', '.join(spec.metadata_files)}. {_expected(spec, root)}"
    )


def _read_csv_columns(path, wanted):
    """Read the named columns of a CSV file with the standard library.

    ``wanted`` maps a key to the accepted column names, first match wins. Returns
    the header, the column name chosen for each key found, and for each of them a
    list of strings.
    """
    with open(path, newline="", encoding="utf-8-sig") as f:
        reader = csv.reader(f)
        header = next(reader, None)
        if not header:
            raise ValueError(f"metadata file {path!r} is empty: it needs a header row.")
        header = [h.strip() for h in header]
        chosen = {}
        for key, names in wanted.items():
            for name in names:
                if name in header:
                    chosen[key] = name
                    break
        positions = {key: header.index(name) for key, name in chosen.items()}
        columns = {key: [] for key in chosen}
        for row in reader:
            if not row:
                continue
            if len(row) != len(header):
                raise ValueError(
                    f"metadata file {path!r}, line {reader.line_num}: {len(row)} "
                    f"fields, but the header has {len(header)}."
                )
            for key, i in positions.items():
                columns[key].append(row[i].strip())
    return header, chosen, columns


def _as_numbers(values, path, column):
    try:
        return np.array([float(v) for v in values], dtype=np.float64)
    except ValueError as exc:
        raise ValueError(
            f"column {column!r} of {path!r} must be numeric: {exc}."
        ) from None


def _as_codes(values, path, column, allowed, minus_one_is_zero=False):
    numbers_ = _as_numbers(values, path, column)
    if minus_one_is_zero and numbers_.size and set(np.unique(numbers_)) <= {-1.0, 1.0}:
        numbers_ = np.where(numbers_ < 0, 0.0, numbers_)
    codes = numbers_.astype(np.int64)
    bad = (codes != numbers_) | ~np.isin(codes, allowed)
    if np.any(bad):
        raise ValueError(
            f"column {column!r} of {path!r} must hold the integers "
            f"{list(allowed)}; got {values[int(np.argmax(bad))]!r}."
        )
    return codes


def _split_names(values, path, column):
    try:
        return np.array([_SPLIT_CODES[v.lower()] for v in values], dtype=object)
    except KeyError as exc:
        raise ValueError(
            f"column {column!r} of {path!r} must hold 0/1/2 or train/val/test; got "
            f"{exc.args[0]!r}."
        ) from None


def _read_array_file(path):
    """A numeric array from ``.npy`` or ``.pt``, never unpickling."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f"features file {path!r} does not exist.")
    if path.endswith(".npy"):
        try:
            array = np.load(path, allow_pickle=False)
        except ValueError as exc:
            raise ValueError(
                f"features file {path!r} cannot be read without unpickling "
                f"({exc}); skmat never unpickles: save a numeric array with "
                "numpy.save."
            ) from None
        if not isinstance(array, np.ndarray):
            raise ValueError(f"features file {path!r} is not a single .npy array.")
        return array
    if path.endswith(".pt"):
        import pickle

        import torch

        try:
            obj = torch.load(path, map_location="cpu", weights_only=True)
        except pickle.UnpicklingError as exc:
            raise ValueError(
                f"features file {path!r} holds objects that torch.load(..., "
                "weights_only=True) refuses; skmat never unpickles arbitrary "
                f"objects: save a tensor with torch.save. ({exc})"
            ) from None
        if isinstance(obj, Mapping) and "features" in obj:
            obj = obj["features"]
        if not isinstance(obj, torch.Tensor):
            raise ValueError(
                f"features file {path!r} must hold a tensor (or a dict with a "
                f"'features' tensor); got {type(obj).__name__}."
            )
        if obj.dtype in (torch.float16, torch.bfloat16):
            obj = obj.to(torch.float32)
        return obj.detach().numpy()
    raise ValueError(
        f"features file {path!r} must end in .npy or .pt (read with "
        "numpy.load(allow_pickle=False) or torch.load(weights_only=True))."
    )


def _as_feature_matrix(features, root, what):
    """Features given as a path (relative to root), array or tensor -> 2-D array."""
    source = None
    if isinstance(features, (str, os.PathLike)):
        source = os.path.join(os.fspath(root), os.fspath(features))
        array = _read_array_file(source)
    elif issparse(features):
        raise TypeError(
            f"{what} is a sparse matrix; pass a dense array (features.toarray())."
        )
    else:
        try:
            import torch

            if isinstance(features, torch.Tensor):
                features = features.detach().cpu()
                if features.dtype in (torch.float16, torch.bfloat16):
                    features = features.to(torch.float32)
                features = features.numpy()
        except ImportError:  # pragma: no cover - torch is a dependency
            pass
        array = np.asarray(features)
    label = source or what
    if array.dtype.kind not in "iuf":
        raise ValueError(
            f"{label} must hold numbers; got an array of dtype {array.dtype}."
        )
    if array.ndim < 2:
        raise ValueError(
            f"{label} must be 2-D (one row per metadata row); got shape {array.shape}."
        )
    if array.ndim > 2:
        array = array.reshape(array.shape[0], -1)
    if array.dtype.kind != "f":
        array = array.astype(np.float64)
    return array, source


def _load_benchmark(spec, root, features, metadata, attribute_fn=None):
    path = _find_metadata(spec, root, metadata)
    wanted = {
        "y": spec.target_columns,
        "a": spec.attribute_columns,
        "split": ("split",),
    }
    wanted.update({f"id:{name}": (name,) for name in spec.id_columns})
    if attribute_fn is not None:
        wanted.update({f"identity:{n}": (n,) for n in CIVILCOMMENTS_IDENTITIES})
    header, chosen, columns = _read_csv_columns(path, wanted)

    missing = []
    if "y" not in chosen:
        missing.append(" or ".join(spec.target_columns))
    has_identities = any(k.startswith("identity:") for k in chosen)
    if "a" not in chosen and not (attribute_fn is not None and has_identities):
        names = list(spec.attribute_columns)
        if attribute_fn is not None:
            names.append(
                "identity columns (" + ", ".join(CIVILCOMMENTS_IDENTITIES) + ")"
            )
        missing.append(" or ".join(names))
    if "split" not in chosen:
        missing.append("split")
    if missing:
        raise ValueError(
            f"metadata file {path!r} lacks the column(s) {'; '.join(missing)}; its "
            f"columns are {header}. {_expected(spec, root)}"
        )

    n_targets = len(spec.target_names)
    if spec is _CIVILCOMMENTS and chosen["y"] == "toxicity":
        toxicity = _as_numbers(columns["y"], path, "toxicity")
        if np.isnan(toxicity).any():
            raise ValueError(
                f"column 'toxicity' of {path!r} must hold a number in every row; got "
                f"{columns['y'][int(np.argmax(np.isnan(toxicity)))]!r}."
            )
        y = (toxicity >= 0.5).astype(np.int64)
    else:
        y = _as_codes(
            columns["y"],
            path,
            chosen["y"],
            range(n_targets),
            minus_one_is_zero=spec is _CELEBA,
        )
    if "a" in chosen:
        a = _as_codes(
            columns["a"], path, chosen["a"], (0, 1), minus_one_is_zero=spec is _CELEBA
        )
    else:
        identity = np.column_stack(
            [
                # An empty identity cell (not annotated) counts as no mention.
                _as_numbers(
                    [v or "nan" for v in columns[key]], path, key.split(":", 1)[1]
                )
                for key in columns
                if key.startswith("identity:")
            ]
        )
        a = attribute_fn(identity)
    split = _split_names(columns["split"], path, "split")
    groups = y * 2 + a
    n_rows = len(y)

    per_split = {name: np.flatnonzero(split == name) for name in _SPLITS}
    if features is None:
        for name in _FEATURE_FILES:
            candidate = os.path.join(os.fspath(root), name)
            if os.path.isfile(candidate):
                features = name
                break
        else:
            raise FileNotFoundError(
                f"no features file in {os.fspath(root)!r}: looked for "
                f"{' and '.join(_FEATURE_FILES)}. {_expected(spec, root)}"
            )
    if isinstance(features, Mapping):
        if set(features) != set(_SPLITS):
            raise ValueError(
                f"features given per split must have exactly the keys {_SPLITS}; "
                f"got {sorted(features)}."
            )
        blocks, sources = {}, {}
        for name in _SPLITS:
            block, sources[name] = _as_feature_matrix(
                features[name], root, f"features[{name!r}]"
            )
            if block.shape[0] != len(per_split[name]):
                raise ValueError(
                    f"{sources[name] or f'features[{name!r}]'} has "
                    f"{block.shape[0]} rows but {path!r} has {len(per_split[name])} "
                    f"{name} rows; the rows must align, in file order."
                )
            blocks[name] = block
        widths = {block.shape[1] for block in blocks.values()}
        if len(widths) != 1:
            raise ValueError(
                f"the features of the three splits have different widths {widths}."
            )
        features_path = sources
    else:
        matrix, features_path = _as_feature_matrix(features, root, "features")
        if matrix.shape[0] != n_rows:
            raise ValueError(
                f"{features_path or 'features'} has {matrix.shape[0]} rows but "
                f"{path!r} has {n_rows} data rows; the rows must align, in file "
                "order."
            )
        blocks = {name: matrix[index] for name, index in per_split.items()}

    kept = {
        chosen[key]: np.asarray(values, dtype=str)
        for key, values in columns.items()
        if not key.startswith("identity:")
    }
    meta = Bunch()
    for name in _SPLITS:
        index = per_split[name]
        meta[name] = Bunch(row=index, **{c: v[index] for c, v in kept.items()})
    data = Bunch(
        **{
            name: (blocks[name], y[per_split[name]], groups[per_split[name]])
            for name in _SPLITS
        }
    )
    data.metadata = meta
    data.target_names = list(spec.target_names)
    data.attribute_names = list(spec.attribute_names)
    data.group_names = [
        f"{t}, {at}" for t in spec.target_names for at in spec.attribute_names
    ]
    data.n_groups = len(data.group_names)
    data.metadata_path = path
    data.features_path = features_path
    data.DESCR = (
        f"{spec.name}: groups = y * 2 + a, y in {list(spec.target_names)}, "
        f"a in {list(spec.attribute_names)}. Read from {path!r}."
    )
    return data


def load_waterbirds(
    root: str | os.PathLike,
    *,
    features: str | os.PathLike | ArrayLike | None = None,
    metadata: str | os.PathLike | None = None,
) -> Bunch:
    """Load Waterbirds from a metadata CSV and precomputed features.

    Waterbirds (Sagawa et al., 2020) labels birds as land- or waterbirds
    (``y``) pasted on land or water backgrounds (``place``, the spurious
    attribute ``a``); 95% of the training birds sit on their own background.
    Groups are ``y * 2 + place``: 0 landbird on land, 1 landbird on water,
    2 waterbird on land, 3 waterbird on water.

    Accepted layout (``root`` is the folder of the release,
    ``waterbird_complete95_forest2water2``)::

        root/metadata.csv     img_id,img_filename,y,split,place,place_filename
        root/features.npy     (or features.pt) one row per metadata row

    ``split`` is 0, 1, 2 for train, valid, test. The BalancingGroups/XRM file
    ``metadata_waterbirds.csv`` (columns ``id,filename,split,y,a``) is accepted
    too, and is looked for when ``metadata.csv`` is absent.

    Nothing is downloaded, and images or texts are not read: ``X`` is a matrix of
    features you computed beforehand (for instance the penultimate layer of an
    ImageNet ResNet-50, or BERT's [CLS] embedding), one row per metadata row. The
    file names stay available in ``metadata`` for your own image pipeline.
    Feature files are read without unpickling: ``.npy`` with
    ``numpy.load(allow_pickle=False)``, ``.pt`` with
    ``torch.load(weights_only=True)`` (a tensor, or a dict with a ``'features'``
    tensor). Arrays with more than two dimensions are flattened after the first.

    Parameters
    ----------
    root : str or path
        Folder holding the metadata and, by default, the features.
    features : str, path, array-like, dict or None, default=None
        The features: a ``.npy`` or ``.pt`` file (relative to ``root`` or
        absolute), an array or tensor, each with one row per metadata row in file
        order; or a dict with keys ``'train'``, ``'valid'`` and ``'test'`` whose
        values (files or arrays) have one row per row of that split, in file
        order. ``None`` reads ``root/features.npy``, else ``root/features.pt``.
    metadata : str, path or None, default=None
        The metadata CSV (relative to ``root`` or absolute); ``None`` takes the
        first of the default names that exists.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``train``, ``valid``, ``test``
            Tuples ``(X, y, groups)``: the features of the split's rows (float,
            ``.npy``/``.pt`` float dtypes kept), integer labels, and
            ``groups = y * 2 + a`` with ``a`` the spurious attribute.
        ``metadata``
            Per split, a Bunch of the metadata columns read (identifiers, file
            names, the raw label, attribute and split values, as strings) and
            ``row``, the 0-based data row of each example in the metadata file.
        ``target_names``, ``attribute_names``, ``group_names``, ``n_groups``
            What the codes mean; ``group_names[g]`` describes group ``g``.
        ``metadata_path``, ``features_path``, ``DESCR``
            Where the data came from (``features_path`` is ``None`` for
            in-memory features, a dict for per-split features).

    Raises
    ------
    FileNotFoundError
        If ``root``, the metadata file or the features file is missing; the
        message names the path and the expected layout.
    ValueError
        If a column is missing or holds unexpected values, if the features do not
        align with the metadata rows, or if a file could only be read by
        unpickling (an object ``.npy``, a ``.pt`` with arbitrary objects).

    Examples
    --------
    >>> from skmat.datasets import load_waterbirds
    >>> data = load_waterbirds("waterbird_complete95_forest2water2",
    ...                        features="resnet50.npy")  # doctest: +SKIP
    >>> X_train, y_train, groups_train = data.train  # doctest: +SKIP
    """
    return _load_benchmark(_WATERBIRDS, root, features, metadata)


def load_celeba(
    root: str | os.PathLike,
    *,
    features: str | os.PathLike | ArrayLike | None = None,
    metadata: str | os.PathLike | None = None,
) -> Bunch:
    """Load CelebA (blond hair vs gender) from a metadata CSV and features.

    The group-robustness version of CelebA (Sagawa et al., 2020): ``y = 1`` for
    blond hair, the spurious attribute ``a = 1`` for male; blond men are the
    smallest group. Groups are ``y * 2 + a``: 0 not blond female, 1 not blond
    male, 2 blond female, 3 blond male.

    Accepted layout, that of ``metadata_celeba.csv`` in the BalancingGroups and
    XRM code (other columns are ignored)::

        root/metadata.csv     filename,y,a,split   (or metadata_celeba.csv)
        root/features.npy     (or features.pt) one row per metadata row

    ``split`` is 0, 1, 2 for train, valid, test (CelebA's
    ``list_eval_partition.txt`` coding). Instead of ``y`` and ``a`` the columns
    may be CelebA's own ``Blond_Hair`` and ``Male``, coded -1/1 (read as 0/1).

    Nothing is downloaded, and images or texts are not read: ``X`` is a matrix of
    features you computed beforehand (for instance the penultimate layer of an
    ImageNet ResNet-50, or BERT's [CLS] embedding), one row per metadata row. The
    file names stay available in ``metadata`` for your own image pipeline.
    Feature files are read without unpickling: ``.npy`` with
    ``numpy.load(allow_pickle=False)``, ``.pt`` with
    ``torch.load(weights_only=True)`` (a tensor, or a dict with a ``'features'``
    tensor). Arrays with more than two dimensions are flattened after the first.

    Parameters
    ----------
    root : str or path
        Folder holding the metadata and, by default, the features.
    features : str, path, array-like, dict or None, default=None
        The features: a ``.npy`` or ``.pt`` file (relative to ``root`` or
        absolute), an array or tensor, each with one row per metadata row in file
        order; or a dict with keys ``'train'``, ``'valid'`` and ``'test'`` whose
        values (files or arrays) have one row per row of that split, in file
        order. ``None`` reads ``root/features.npy``, else ``root/features.pt``.
    metadata : str, path or None, default=None
        The metadata CSV (relative to ``root`` or absolute); ``None`` takes the
        first of the default names that exists.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``train``, ``valid``, ``test``
            Tuples ``(X, y, groups)``: the features of the split's rows (float,
            ``.npy``/``.pt`` float dtypes kept), integer labels, and
            ``groups = y * 2 + a`` with ``a`` the spurious attribute.
        ``metadata``
            Per split, a Bunch of the metadata columns read (identifiers, file
            names, the raw label, attribute and split values, as strings) and
            ``row``, the 0-based data row of each example in the metadata file.
        ``target_names``, ``attribute_names``, ``group_names``, ``n_groups``
            What the codes mean; ``group_names[g]`` describes group ``g``.
        ``metadata_path``, ``features_path``, ``DESCR``
            Where the data came from (``features_path`` is ``None`` for
            in-memory features, a dict for per-split features).

    Raises
    ------
    FileNotFoundError
        If ``root``, the metadata file or the features file is missing; the
        message names the path and the expected layout.
    ValueError
        If a column is missing or holds unexpected values, if the features do not
        align with the metadata rows, or if a file could only be read by
        unpickling (an object ``.npy``, a ``.pt`` with arbitrary objects).

    Examples
    --------
    >>> from skmat.datasets import load_celeba
    >>> data = load_celeba("celeba", features="resnet50.pt")  # doctest: +SKIP
    """
    return _load_benchmark(_CELEBA, root, features, metadata)


def load_multinli(
    root: str | os.PathLike,
    *,
    features: str | os.PathLike | ArrayLike | None = None,
    metadata: str | os.PathLike | None = None,
) -> Bunch:
    """Load MultiNLI (label vs negation) from a metadata CSV and embeddings.

    The group-robustness version of MultiNLI (Sagawa et al., 2020): three
    labels ``y`` (0 contradiction, 1 entailment, 2 neutral, GLUE's order as in
    group DRO's metadata), and the spurious attribute ``a = 1`` when the
    hypothesis contains a negation word (nobody, no, never, nothing), which
    correlates with contradiction. Groups are ``y * 2 + a`` (six groups).

    Accepted layout::

        root/metadata.csv     y,a,split   (or gold_label,sentence2_has_negation,split
                                           as in group DRO's metadata_random.csv)
        root/features.npy     (or features.pt) one embedding per metadata row

    ``split`` is 0, 1, 2 for train, valid, test. ``metadata_multinli.csv`` and
    ``metadata_random.csv`` are looked for when ``metadata.csv`` is absent.

    Nothing is downloaded, and images or texts are not read: ``X`` is a matrix of
    features you computed beforehand (for instance the penultimate layer of an
    ImageNet ResNet-50, or BERT's [CLS] embedding), one row per metadata row. The
    file names stay available in ``metadata`` for your own image pipeline.
    Feature files are read without unpickling: ``.npy`` with
    ``numpy.load(allow_pickle=False)``, ``.pt`` with
    ``torch.load(weights_only=True)`` (a tensor, or a dict with a ``'features'``
    tensor). Arrays with more than two dimensions are flattened after the first.

    Parameters
    ----------
    root : str or path
        Folder holding the metadata and, by default, the embeddings.
    features : str, path, array-like, dict or None, default=None
        The features: a ``.npy`` or ``.pt`` file (relative to ``root`` or
        absolute), an array or tensor, each with one row per metadata row in file
        order; or a dict with keys ``'train'``, ``'valid'`` and ``'test'`` whose
        values (files or arrays) have one row per row of that split, in file
        order. ``None`` reads ``root/features.npy``, else ``root/features.pt``.
    metadata : str, path or None, default=None
        The metadata CSV (relative to ``root`` or absolute); ``None`` takes the
        first of the default names that exists.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``train``, ``valid``, ``test``
            Tuples ``(X, y, groups)``: the features of the split's rows (float,
            ``.npy``/``.pt`` float dtypes kept), integer labels, and
            ``groups = y * 2 + a`` with ``a`` the spurious attribute.
        ``metadata``
            Per split, a Bunch of the metadata columns read (identifiers, file
            names, the raw label, attribute and split values, as strings) and
            ``row``, the 0-based data row of each example in the metadata file.
        ``target_names``, ``attribute_names``, ``group_names``, ``n_groups``
            What the codes mean; ``group_names[g]`` describes group ``g``.
        ``metadata_path``, ``features_path``, ``DESCR``
            Where the data came from (``features_path`` is ``None`` for
            in-memory features, a dict for per-split features).

    Raises
    ------
    FileNotFoundError
        If ``root``, the metadata file or the features file is missing; the
        message names the path and the expected layout.
    ValueError
        If a column is missing or holds unexpected values, if the features do not
        align with the metadata rows, or if a file could only be read by
        unpickling (an object ``.npy``, a ``.pt`` with arbitrary objects).

    Examples
    --------
    >>> from skmat.datasets import load_multinli
    >>> data = load_multinli("multinli", features="bert_cls.npy")  # doctest: +SKIP
    """
    return _load_benchmark(_MULTINLI, root, features, metadata)


def _any_identity(identity):
    return (identity >= 0.5).any(axis=1).astype(np.int64)


def load_civilcomments(
    root: str | os.PathLike,
    *,
    features: str | os.PathLike | ArrayLike | None = None,
    metadata: str | os.PathLike | None = None,
) -> Bunch:
    """Load CivilComments (toxicity vs identity mention) from metadata and embeddings.

    The group-robustness version of CivilComments (Koh et al., 2021; Idrissi et
    al., 2022, "coarse" grouping): ``y = 1`` for a toxic comment and the
    spurious attribute ``a = 1`` when the comment mentions an identity. Groups
    are ``y * 2 + a``: 0 non-toxic without identity, 1 non-toxic with identity,
    2 toxic without, 3 toxic with.

    Accepted layouts::

        root/metadata.csv     y,a,split
        root/all_data_with_identities.csv   (WILDS) toxicity,split and any of the
                              identity columns male,female,LGBTQ,christian,muslim,
                              other_religions,black,white
        root/features.npy     (or features.pt) one embedding per metadata row

    With the WILDS file, ``y = toxicity >= 0.5`` and ``a = 1`` when any identity
    column present is ``>= 0.5`` (see :data:`CIVILCOMMENTS_IDENTITIES`). ``split``
    may be ``train``/``val``/``test`` or 0/1/2. (BalancingGroups'
    ``metadata_civilcomments_coarse.csv`` is *not* this layout: its ``a`` means
    "no identity" in training and names one of eight identities elsewhere.)

    Nothing is downloaded, and images or texts are not read: ``X`` is a matrix of
    features you computed beforehand (for instance the penultimate layer of an
    ImageNet ResNet-50, or BERT's [CLS] embedding), one row per metadata row. The
    file names stay available in ``metadata`` for your own image pipeline.
    Feature files are read without unpickling: ``.npy`` with
    ``numpy.load(allow_pickle=False)``, ``.pt`` with
    ``torch.load(weights_only=True)`` (a tensor, or a dict with a ``'features'``
    tensor). Arrays with more than two dimensions are flattened after the first.

    Parameters
    ----------
    root : str or path
        Folder holding the metadata and, by default, the embeddings.
    features : str, path, array-like, dict or None, default=None
        The features: a ``.npy`` or ``.pt`` file (relative to ``root`` or
        absolute), an array or tensor, each with one row per metadata row in file
        order; or a dict with keys ``'train'``, ``'valid'`` and ``'test'`` whose
        values (files or arrays) have one row per row of that split, in file
        order. ``None`` reads ``root/features.npy``, else ``root/features.pt``.
    metadata : str, path or None, default=None
        The metadata CSV (relative to ``root`` or absolute); ``None`` takes the
        first of the default names that exists.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``train``, ``valid``, ``test``
            Tuples ``(X, y, groups)``: the features of the split's rows (float,
            ``.npy``/``.pt`` float dtypes kept), integer labels, and
            ``groups = y * 2 + a`` with ``a`` the spurious attribute.
        ``metadata``
            Per split, a Bunch of the metadata columns read (identifiers, file
            names, the raw label, attribute and split values, as strings) and
            ``row``, the 0-based data row of each example in the metadata file.
        ``target_names``, ``attribute_names``, ``group_names``, ``n_groups``
            What the codes mean; ``group_names[g]`` describes group ``g``.
        ``metadata_path``, ``features_path``, ``DESCR``
            Where the data came from (``features_path`` is ``None`` for
            in-memory features, a dict for per-split features).

    Raises
    ------
    FileNotFoundError
        If ``root``, the metadata file or the features file is missing; the
        message names the path and the expected layout.
    ValueError
        If a column is missing or holds unexpected values, if the features do not
        align with the metadata rows, or if a file could only be read by
        unpickling (an object ``.npy``, a ``.pt`` with arbitrary objects).

    Examples
    --------
    >>> from skmat.datasets import load_civilcomments
    >>> data = load_civilcomments("civilcomments", features="bert.pt")  # doctest: +SKIP
    """
    return _load_benchmark(_CIVILCOMMENTS, root, features, metadata, _any_identity)
