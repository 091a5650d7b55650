"""Datasets with a spurious shortcut: generated, built from scikit-learn, or loaded.

Nothing here downloads anything.

* :func:`make_spurious_classification` and :func:`make_spurious_splits` generate
  the synthetic problem of the paper's Figure 1;
* :func:`make_colored_digits` and :func:`make_colored_digits_splits` colour
  scikit-learn's bundled 8x8 digits in the manner of ColorMNIST;
* :func:`make_spurious_text` writes short documents whose marker word is the
  shortcut, the Figure 1 problem as text;
* :func:`load_waterbirds`, :func:`load_celeba`, :func:`load_multinli` and
  :func:`load_civilcomments` read the paper's benchmarks from files you already
  have: a metadata CSV and precomputed features (``.npy`` or ``.pt``). They never
  unpickle: ``.npy`` files are read with ``allow_pickle=False`` and ``.pt`` files
  with ``torch.load(..., weights_only=True)``.

Every dataset comes with ``groups``: ``y * n_attributes + a`` where ``a`` is the
spurious attribute (the shortcut). Worst-group accuracy is the accuracy on the
worst of these groups.
"""

from . import _digits, _loaders, _text
from ._digits import make_colored_digits, make_colored_digits_splits
from ._figure1 import make_spurious_classification, make_spurious_splits
from ._loaders import load_celeba, load_civilcomments, load_multinli, load_waterbirds
from ._text import make_spurious_text

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

# The constants are assigned here, not imported, so that their ``#:`` comments
# document them as skmat.datasets.<NAME> (Sphinx reads the comments of this file).

#: Number of load_digits images in the train, valid and test parts.
DIGITS_SPLIT_SIZES = _digits.DIGITS_SPLIT_SIZES
#: Identity columns of CivilComments (WILDS ``all_data_with_identities.csv``).
CIVILCOMMENTS_IDENTITIES = _loaders.CIVILCOMMENTS_IDENTITIES
#: RGB colour of each class's channel in the image form of the coloured digits
#: (``as_images=True``): red and green for two classes, ten distinct hues for ten.
DIGIT_COLORS = _digits.DIGIT_COLORS
#: Core words of each class of :func:`make_spurious_text` (negative, positive).
TEXT_CORE_WORDS = _text.TEXT_CORE_WORDS
#: Marker words, the shortcut of :func:`make_spurious_text`: marker ``a`` goes with
#: class ``a`` on the majority of the documents.
TEXT_MARKERS = _text.TEXT_MARKERS
