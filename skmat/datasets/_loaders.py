"""Loaders of the paper's four benchmarks from files you already have."""

from __future__ import annotations

import os
from collections.abc import Mapping

import numpy as np
from numpy.typing import ArrayLike
from sklearn.utils import Bunch

from ._checks import SPLITS
from ._files import (
    as_codes,
    as_feature_matrix,
    as_numbers,
    check_path,
    read_csv_columns,
    split_names,
)

__all__ = [
    "load_waterbirds",
    "load_celeba",
    "load_multinli",
    "load_civilcomments",
    "CIVILCOMMENTS_IDENTITIES",
]

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



def _find_metadata(spec, root, metadata):
    root = check_path(root, "root")
    if not os.path.isdir(root):
        raise FileNotFoundError(
            f"root directory {root!r} does not exist. {_expected(spec, root)}"
        )
    if metadata is not None:
        path = os.path.join(root, check_path(metadata, "metadata"))
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
    header, chosen, columns = read_csv_columns(path, wanted)

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
        toxicity = as_numbers(columns["y"], path, "toxicity")
        if np.isnan(toxicity).any():
            raise ValueError(
                f"column 'toxicity' of {path!r} must hold a number in every row; got "
                f"{columns['y'][int(np.argmax(np.isnan(toxicity)))]!r}."
            )
        y = (toxicity >= 0.5).astype(np.int64)
    else:
        y = as_codes(
            columns["y"],
            path,
            chosen["y"],
            range(n_targets),
            minus_one_is_zero=spec is _CELEBA,
        )
    if "a" in chosen:
        a = as_codes(
            columns["a"], path, chosen["a"], (0, 1), minus_one_is_zero=spec is _CELEBA
        )
    else:
        identity = np.column_stack(
            [
                # An empty identity cell (not annotated) counts as no mention.
                as_numbers(
                    [v or "nan" for v in columns[key]], path, key.split(":", 1)[1]
                )
                for key in columns
                if key.startswith("identity:")
            ]
        )
        a = attribute_fn(identity)
    split = split_names(columns["split"], path, "split")
    groups = y * 2 + a
    n_rows = len(y)

    per_split = {name: np.flatnonzero(split == name) for name in SPLITS}
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
        if set(features) != set(SPLITS):
            raise ValueError(
                f"features given per split must have exactly the keys {SPLITS}; "
                f"got {sorted(features)}."
            )
        blocks, sources = {}, {}
        for name in SPLITS:
            block, sources[name] = as_feature_matrix(
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
        matrix, features_path = as_feature_matrix(features, root, "features")
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
    for name in SPLITS:
        index = per_split[name]
        meta[name] = Bunch(row=index, **{c: v[index] for c, v in kept.items()})
    data = Bunch(
        **{
            name: (blocks[name], y[per_split[name]], groups[per_split[name]])
            for name in SPLITS
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
