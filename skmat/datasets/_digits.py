"""ColorMNIST on scikit-learn's 8x8 digits, as table rows or RGB images."""

from __future__ import annotations

import functools
import numbers
from typing import Literal

import numpy as np
from sklearn.utils import Bunch, check_random_state, check_scalar

from ._checks import SPLITS, check_fraction

__all__ = [
    "make_colored_digits",
    "make_colored_digits_splits",
    "DIGITS_SPLIT_SIZES",
    "DIGIT_COLORS",
]

#: Number of load_digits images in the train, valid and test parts.
DIGITS_SPLIT_SIZES = (1000, 397, 400)
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
    for name, size in zip(SPLITS, DIGITS_SPLIT_SIZES):
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
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}; got {split!r}.")
    return SPLITS.index(split)


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


def _per_split_fractions(value, name, caller):
    """Check a fraction or a triple of fractions; return the triple."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return (check_fraction(value, name, caller),) * 3
    try:
        values = tuple(value)
    except TypeError:
        values = ()
    if len(values) != 3:
        raise ValueError(
            f"{name} must be a fraction or a sequence of three fractions (train, "
            f"valid, test); got {value!r}."
        )
    return tuple(check_fraction(v, name, caller) for v in values)


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
    agreement = _per_split_fractions(
        color_agreement, "color_agreement", "make_colored_digits"
    )[index]
    label_noise = check_fraction(label_noise, "label_noise", "make_colored_digits")
    rng = _split_rng(random_state, index)
    images, digits = _digits_partition()[split]
    return _color_digits(
        images,
        digits,
        int(n_classes),
        agreement,
        label_noise,
        rng,
        check_scalar(as_images, "as_images", (bool, np.bool_)),
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
    as_images = check_scalar(as_images, "as_images", (bool, np.bool_))
    agreements = _per_split_fractions(
        color_agreement, "color_agreement", "make_colored_digits_splits"
    )
    label_noise = check_fraction(
        label_noise, "label_noise", "make_colored_digits_splits"
    )
    parts = _digits_partition()
    data = Bunch()
    for index, (name, agreement) in enumerate(zip(SPLITS, agreements)):
        rng = _split_rng(random_state, index)
        images, digits = parts[name]
        data[name] = _color_digits(
            images, digits, int(n_classes), agreement, label_noise, rng, as_images
        )
    return data
