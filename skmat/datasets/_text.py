"""Short documents with a keyword shortcut: the Figure 1 problem as text."""

from __future__ import annotations

import numpy as np
from sklearn.utils._param_validation import validate_params

from ._checks import FRACTION, as_random_state, at_least

__all__ = ["make_spurious_text", "TEXT_CORE_WORDS", "TEXT_MARKERS"]

#: Core words of each class of :func:`make_spurious_text` (negative, positive).
TEXT_CORE_WORDS = (
    ("awful", "bad", "boring", "dull", "poor"),
    ("great", "good", "lovely", "fine", "superb"),
)
#: Marker words, the shortcut of :func:`make_spurious_text`: marker ``a`` goes with
#: class ``a`` on the majority of the documents.
TEXT_MARKERS = ("honestly", "indeed")


@validate_params(
    {
        "n_samples": [at_least(1)],
        "majority_fraction": [FRACTION],
        "label_noise": [FRACTION],
        "marker_repeats": [at_least(1)],
        "n_filler": [at_least(0)],
        "vocabulary_size": [at_least(1)],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
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
    rng = as_random_state(random_state)

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
