"""skmat.datasets: generators, coloured digits and the benchmark loaders."""

import csv
import importlib
import os
import pkgutil

import numpy as np
import pytest
import torch
from _threads import torch_threads
from sklearn.datasets import load_digits

import skmat.datasets
from skmat.datasets import (
    DIGITS_SPLIT_SIZES,
    TEXT_CORE_WORDS,
    TEXT_MARKERS,
    load_celeba,
    load_civilcomments,
    load_multinli,
    load_waterbirds,
    make_colored_digits,
    make_colored_digits_splits,
    make_spurious_classification,
    make_spurious_splits,
    make_spurious_text,
)

SPLITS = ("train", "valid", "test")


# ---------------------------------------------------------------- package


def test_public_names():
    assert skmat.datasets.__all__ == [
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
    for name in skmat.datasets.__all__:
        assert getattr(skmat.datasets, name) is not None


def test_each_module_states_its_job():
    for info in pkgutil.iter_modules(skmat.datasets.__path__):
        module = importlib.import_module(f"skmat.datasets.{info.name}")
        first_line = module.__doc__.splitlines()[0]
        assert first_line and " and " not in first_line, (info.name, first_line)


# ---------------------------------------------------------------- spurious


@pytest.mark.parametrize("n_classes", [2, 3])
def test_spurious_shapes_and_groups(n_classes):
    X, y, groups = make_spurious_classification(
        400, 30, n_classes=n_classes, random_state=0
    )
    assert X.shape == (400, 30) and y.shape == groups.shape == (400,)
    assert set(np.unique(y)) == set(range(n_classes))
    np.testing.assert_array_equal(groups // n_classes, y)
    # The attribute is readable from the features (core_std is small).
    if n_classes == 2:
        # x1 = s * (core_std * N(0, 1) - 1) with s = 2y - 1: negative for y = 1.
        y_from_x = (X[:, 0] < 0).astype(int)
        a_from_x = (X[:, 1] < 0).astype(int)
    else:
        y_from_x = np.argmin(X[:, :n_classes], axis=1)
        a_from_x = np.argmin(X[:, n_classes : 2 * n_classes], axis=1)
    np.testing.assert_array_equal(y_from_x, y)
    np.testing.assert_array_equal(a_from_x, groups % n_classes)


@pytest.mark.parametrize("n_classes", [2, 4])
@pytest.mark.parametrize("fraction", [0.9, 0.5, 0.2])
def test_spurious_majority_fraction(n_classes, fraction):
    _, y, groups = make_spurious_classification(
        4000, 10, n_classes=n_classes, majority_fraction=fraction, random_state=1
    )
    agree = np.mean(groups % n_classes == y)
    assert abs(agree - fraction) < 0.03


def test_spurious_seeds():
    a = make_spurious_classification(100, 12, random_state=3)
    b = make_spurious_classification(100, 12, random_state=3)
    c = make_spurious_classification(100, 12, random_state=4)
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)
    assert not np.array_equal(a[0], c[0])


def test_spurious_splits():
    data = make_spurious_splits(
        2000, 6, majority_fraction=(0.9, 0.5, 0.1), random_state=0
    )
    assert list(data) == list(SPLITS)
    for name, fraction in zip(SPLITS, (0.9, 0.5, 0.1)):
        X, y, groups = data[name]
        assert X.shape == (2000, 6)
        assert abs(np.mean(groups % 2 == y) - fraction) < 0.04
    again = make_spurious_splits(
        2000, 6, majority_fraction=(0.9, 0.5, 0.1), random_state=0
    )
    np.testing.assert_array_equal(data.test[0], again.test[0])
    assert not np.array_equal(data.valid[0], data.test[0])


@pytest.mark.parametrize(
    "params, error, name",
    [
        (dict(n_samples=0), ValueError, "n_samples"),
        (dict(n_samples=2.5), TypeError, "n_samples"),
        (dict(n_features=1), ValueError, "n_features"),
        (dict(n_classes=3, n_features=5), ValueError, "n_features"),
        (dict(n_classes=1), ValueError, "n_classes"),
        (dict(n_classes=True), TypeError, "n_classes"),
        (dict(majority_fraction=1.5), ValueError, "majority_fraction"),
        (dict(majority_fraction="0.9"), TypeError, "majority_fraction"),
        (dict(noise_std=-1.0), ValueError, "noise_std"),
        (dict(core_std=float("nan")), ValueError, "core_std"),
        (dict(spurious_scale=float("inf")), ValueError, "spurious_scale"),
    ],
)
def test_spurious_bad_params(params, error, name):
    kwargs = dict(n_samples=10, n_features=4)
    kwargs.update(params)
    with pytest.raises(error, match=name):
        make_spurious_classification(**kwargs)


@pytest.mark.parametrize("fractions", [(0.9, 0.5), 0.9, "abc", (0.9, 2.0, 0.5)])
def test_spurious_splits_bad_fractions(fractions):
    with pytest.raises((TypeError, ValueError), match="majority_fraction"):
        make_spurious_splits(10, 4, majority_fraction=fractions)


# ---------------------------------------------------------- coloured digits


@pytest.fixture(scope="module")
def digit_of_image():
    """Map a (scaled) 8x8 image to its digit, and the multiset of all images."""
    digits = load_digits()
    images = digits.data / 16.0
    table = {}
    for image, digit in zip(images, digits.target):
        table.setdefault(image.tobytes(), set()).add(int(digit))
    return table, images


def _grey_and_colour(X, n_classes):
    channels = X.reshape(len(X), n_classes, 64)
    ink = channels.sum(axis=2)
    return channels.sum(axis=1), np.argmax(ink, axis=1), (ink > 0).sum(axis=1)


@pytest.mark.parametrize("n_classes", [2, 10])
def test_colored_digits_shapes_and_encoding(n_classes):
    data = make_colored_digits_splits(n_classes=n_classes, random_state=0)
    assert list(data) == list(SPLITS)
    for name, size in zip(SPLITS, DIGITS_SPLIT_SIZES):
        X, y, groups = data[name]
        assert X.shape == (size, n_classes * 64) and X.dtype == np.float64
        assert y.shape == groups.shape == (size,)
        assert X.min() == 0.0 and X.max() == 1.0
        _, colour, n_lit = _grey_and_colour(X, n_classes)
        np.testing.assert_array_equal(n_lit, 1)  # one channel holds the image
        np.testing.assert_array_equal(groups, y * n_classes + colour)
        assert set(np.unique(y)) == set(range(n_classes))
    assert sum(DIGITS_SPLIT_SIZES) == 1797


def test_colored_digits_splits_are_disjoint_and_cover_load_digits(digit_of_image):
    _, all_images = digit_of_image
    # Whatever the seed, the three parts together are exactly load_digits.
    for seed in (0, 1):
        data = make_colored_digits_splits(random_state=seed)
        grey = np.vstack([_grey_and_colour(data[s][0], 2)[0] for s in SPLITS])
        expected = all_images[np.lexsort(all_images.T)]
        np.testing.assert_array_equal(grey[np.lexsort(grey.T)], expected)
    # ... and each split always holds the same images.
    a = make_colored_digits("valid", random_state=0)[0]
    b = make_colored_digits("valid", random_state=1)[0]
    np.testing.assert_array_equal(_grey_and_colour(a, 2)[0], _grey_and_colour(b, 2)[0])


def test_colored_digits_labels_and_noise(digit_of_image):
    table, _ = digit_of_image
    rates = {2: [], 10: []}
    for n_classes in (2, 10):
        for seed in range(3):
            X, y, _ = make_colored_digits(
                "train", n_classes=n_classes, random_state=seed
            )
            grey = _grey_and_colour(X, n_classes)[0]
            digits = [table[row.tobytes()] for row in grey]
            ambiguous = np.array([len(d) > 1 for d in digits])
            digit = np.array([min(d) for d in digits])
            clean = digit if n_classes == 10 else (digit >= 5).astype(int)
            rates[n_classes].append(np.mean((clean != y)[~ambiguous]))
        # Without noise the label is the digit's class.
        X, y, _ = make_colored_digits(
            "test", n_classes=n_classes, label_noise=0.0, random_state=0
        )
        grey = _grey_and_colour(X, n_classes)[0]
        for row, label in zip(grey, y):
            classes = table[row.tobytes()]
            if n_classes == 2:
                classes = {int(d >= 5) for d in classes}
            assert label in classes
    for n_classes in (2, 10):
        assert abs(np.mean(rates[n_classes]) - 0.25) < 0.03


def test_colored_digits_color_agreement():
    agreement = {name: [] for name in SPLITS}
    for seed in range(5):
        data = make_colored_digits_splits(random_state=seed)
        for name in SPLITS:
            _, y, groups = data[name]
            agreement[name].append(np.mean(groups % 2 == y))
    for name, target in zip(SPLITS, (0.9, 0.5, 0.1)):
        assert abs(np.mean(agreement[name]) - target) < 0.03
    # Extremes are exact; one float applies to every split.
    for value in (0.0, 1.0):
        data = make_colored_digits_splits(
            n_classes=10, color_agreement=value, random_state=0
        )
        for name in SPLITS:
            _, y, groups = data[name]
            assert np.all((groups % 10 == y) == bool(value))


def test_colored_digits_seeds():
    a = make_colored_digits_splits(random_state=7)
    b = make_colored_digits_splits(random_state=7)
    c = make_colored_digits_splits(random_state=8)
    for name in SPLITS:
        for u, v in zip(a[name], b[name]):
            np.testing.assert_array_equal(u, v)
        # The single-split function gives the same split for the same int.
        for u, v in zip(a[name], make_colored_digits(name, random_state=7)):
            np.testing.assert_array_equal(u, v)
    assert not np.array_equal(a.train[1], c.train[1])
    # A RandomState instance is consumed split after split.
    rng = np.random.RandomState(0)
    first = make_colored_digits("train", random_state=rng)[1]
    second = make_colored_digits("train", random_state=rng)[1]
    assert not np.array_equal(first, second)


@pytest.mark.parametrize(
    "params, error, name",
    [
        (dict(split="training"), ValueError, "split"),
        (dict(n_classes=3), ValueError, "n_classes"),
        (dict(n_classes=True), ValueError, "n_classes"),
        (dict(n_classes=2.0), ValueError, "n_classes"),
        (dict(color_agreement=(0.9, 0.5)), ValueError, "color_agreement"),
        (dict(color_agreement=(0.9, 1.5, 0.1)), ValueError, "color_agreement"),
        (dict(color_agreement="high"), ValueError, "color_agreement"),
        (dict(label_noise=-0.1), ValueError, "label_noise"),
        (dict(label_noise=None), TypeError, "label_noise"),
        (dict(random_state="0"), TypeError, "random_state"),
        (dict(random_state=-1), ValueError, "random_state"),
    ],
)
def test_colored_digits_bad_params(params, error, name):
    with pytest.raises(error, match=name):
        make_colored_digits(**params)
    params.pop("split", None)
    if params:
        with pytest.raises(error, match=name):
            make_colored_digits_splits(**params)


def _worst_group_accuracy(pred, y, groups):
    return min(np.mean(pred[groups == g] == y[groups == g]) for g in np.unique(groups))


@pytest.fixture
def one_torch_thread():
    # For speed only: a small MLP trains fastest on one thread.
    with torch_threads(1):
        yield


def test_colored_digits_erm_takes_the_shortcut_mat_does_not(one_torch_thread):
    # The dataset is designed so that plain training follows the colour while
    # MAT, whose held-out model explains the colour away, learns the shape.
    from skmat import MATClassifier
    from skmat.factory import as_mat_net
    from skmat.mlp import mlp_net

    data = make_colored_digits_splits(random_state=0)
    X, y, _ = data.train
    X_test, y_test, groups_test = data.test
    erm = as_mat_net(
        mlp_net((64,), max_epochs=20, module__n_features=128, module__n_classes=2),
        random_state=0,
    ).fit(X.astype(np.float32), y)
    mat = MATClassifier(mlp_net((64,), max_epochs=20), cv=2, random_state=0)
    mat.fit(X, y)
    erm_wga = _worst_group_accuracy(
        erm.predict(X_test.astype(np.float32)), y_test, groups_test
    )
    mat_wga = _worst_group_accuracy(mat.predict(X_test), y_test, groups_test)
    assert erm_wga < 0.2
    assert mat_wga > erm_wga + 0.25


# ------------------------------------------------------------------ loaders


def _write_csv(path, header, rows):
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)


@pytest.fixture
def waterbirds(tmp_path):
    """A small Waterbirds folder: metadata.csv and features.npy, splits shuffled."""
    rng = np.random.RandomState(0)
    n = 40
    y = rng.randint(2, size=n)
    place = rng.randint(2, size=n)
    split = rng.randint(3, size=n)
    split[:3] = [0, 1, 2]
    rows = [
        [i + 1, f"{i:03d}.Bird/img_{i}.jpg", y[i], split[i], place[i], f"p/{i}.jpg"]
        for i in range(n)
    ]
    header = ["img_id", "img_filename", "y", "split", "place", "place_filename"]
    _write_csv(tmp_path / "metadata.csv", header, rows)
    features = rng.randn(n, 5).astype(np.float32)
    np.save(tmp_path / "features.npy", features)
    return tmp_path, features, y, place, split


def _check_bunch(data, features, y, a, split, n_attributes=2):
    for code, name in enumerate(SPLITS):
        X_s, y_s, g_s = data[name]
        rows = np.flatnonzero(split == code)
        np.testing.assert_array_equal(X_s, features[rows])
        np.testing.assert_array_equal(y_s, y[rows])
        np.testing.assert_array_equal(g_s, y[rows] * n_attributes + a[rows])
        np.testing.assert_array_equal(data.metadata[name].row, rows)
        assert y_s.dtype == g_s.dtype == np.int64
    assert data.n_groups == len(data.group_names)


def test_load_waterbirds(waterbirds):
    root, features, y, place, split = waterbirds
    data = load_waterbirds(root)
    _check_bunch(data, features, y, place, split)
    assert data.train[0].dtype == np.float32
    rows = np.flatnonzero(split == 0)
    assert (
        data.metadata.train.img_filename[0] == f"{rows[0]:03d}.Bird/img_{rows[0]}.jpg"
    )
    assert data.group_names[1] == "landbird, water"
    assert data.features_path == os.path.join(str(root), "features.npy")
    # Path objects, relative and absolute feature paths, in-memory arrays.
    for source in (
        "features.npy",
        root / "features.npy",
        features,
        torch.tensor(features),
    ):
        _check_bunch(
            load_waterbirds(str(root), features=source), features, y, place, split
        )


def test_load_waterbirds_pt_and_per_split_features(waterbirds):
    root, features, y, place, split = waterbirds
    os.remove(root / "features.npy")
    torch.save(torch.from_numpy(features).to(torch.float16), root / "features.pt")
    data = load_waterbirds(root)  # falls back on features.pt, float16 -> float32
    assert data.train[0].dtype == np.float32
    np.testing.assert_allclose(
        data.test[0], features[split == 2].astype(np.float16), rtol=0
    )
    torch.save({"features": torch.from_numpy(features)}, root / "dict.pt")
    _check_bunch(load_waterbirds(root, features="dict.pt"), features, y, place, split)
    # Flattened trailing dimensions (a (n, d, 1, 1) pooled map).
    torch.save(torch.from_numpy(features)[:, :, None, None], root / "map.pt")
    _check_bunch(load_waterbirds(root, features="map.pt"), features, y, place, split)
    # One file per split, rows in file order.
    per_split = {}
    for code, name in enumerate(SPLITS):
        np.save(root / f"{name}.npy", features[split == code])
        per_split[name] = f"{name}.npy"
    data = load_waterbirds(root, features=per_split)
    _check_bunch(data, features, y, place, split)
    per_split["test"] = features[:1]
    with pytest.raises(ValueError, match="rows"):
        load_waterbirds(root, features=per_split)
    with pytest.raises(ValueError, match="keys"):
        load_waterbirds(root, features={"train": features})


def test_load_waterbirds_balancing_groups_layout(tmp_path):
    _write_csv(
        tmp_path / "metadata_waterbirds.csv",
        ["id", "filename", "split", "y", "a"],
        [[1, "a.jpg", 0, 1, 0], [2, "b.jpg", 2, 0, 1], [3, "c.jpg", 1, 1, 1]],
    )
    np.save(tmp_path / "features.npy", np.eye(3))
    data = load_waterbirds(tmp_path)
    np.testing.assert_array_equal(data.train[2], [2])
    np.testing.assert_array_equal(data.valid[2], [3])
    np.testing.assert_array_equal(data.test[2], [1])
    assert data.metadata.test.filename.tolist() == ["b.jpg"]


def test_loader_missing_files(tmp_path, waterbirds):
    with pytest.raises(FileNotFoundError, match="does_not_exist.*metadata.csv"):
        load_waterbirds(tmp_path / "does_not_exist")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(FileNotFoundError, match="no metadata file.*img_filename"):
        load_waterbirds(empty)
    root = waterbirds[0]
    with pytest.raises(FileNotFoundError, match="other.csv"):
        load_waterbirds(root, metadata="other.csv")
    with pytest.raises(FileNotFoundError, match="nope.npy"):
        load_waterbirds(root, features="nope.npy")
    os.remove(root / "features.npy")
    with pytest.raises(FileNotFoundError, match="features.npy and features.pt"):
        load_waterbirds(root)


def test_loader_bad_metadata(tmp_path):
    np.save(tmp_path / "features.npy", np.zeros((2, 3)))
    header = ["img_id", "img_filename", "y", "split", "place_filename"]
    _write_csv(tmp_path / "metadata.csv", header, [[1, "a", 0, 0, "p"]] * 2)
    with pytest.raises(ValueError, match="place"):
        load_waterbirds(tmp_path)
    header = ["img_id", "y", "split", "place"]
    _write_csv(tmp_path / "metadata.csv", header, [[1, 0, 0, 1], [2, 3, 0, 1]])
    with pytest.raises(ValueError, match="'y'.*3"):
        load_waterbirds(tmp_path)
    _write_csv(tmp_path / "metadata.csv", header, [[1, 0, 0, 1], [2, 1, 5, 1]])
    with pytest.raises(ValueError, match="split.*5"):
        load_waterbirds(tmp_path)
    _write_csv(tmp_path / "metadata.csv", header, [[1, 0, 0, 1], [2, "x", 0, 1]])
    with pytest.raises(ValueError, match="'y'.*numeric"):
        load_waterbirds(tmp_path)
    _write_csv(tmp_path / "metadata.csv", header, [[1, 0, 0, 1], [2, 1, 0]])
    with pytest.raises(ValueError, match="line 3"):
        load_waterbirds(tmp_path)
    (tmp_path / "metadata.csv").write_text("")
    with pytest.raises(ValueError, match="empty"):
        load_waterbirds(tmp_path)


def test_loader_misaligned_and_bad_features(waterbirds):
    root, features, *_ = waterbirds
    np.save(root / "short.npy", features[:-1])
    with pytest.raises(ValueError, match="39 rows.*40"):
        load_waterbirds(root, features="short.npy")
    with pytest.raises(ValueError, match="2-D"):
        load_waterbirds(root, features=features[:, 0])
    with pytest.raises(ValueError, match="numbers"):
        load_waterbirds(root, features=np.array([["a"]] * 40))
    np.save(root / "feats.txt.npy", features)
    os.rename(root / "feats.txt.npy", root / "feats.txt")
    with pytest.raises(ValueError, match=r"\.npy or \.pt"):
        load_waterbirds(root, features="feats.txt")


class _Payload:
    """An object that only unpickling could rebuild."""


def test_loader_never_unpickles(waterbirds):
    root = waterbirds[0]
    objects = np.empty((40, 2), dtype=object)
    objects[:] = {"evil": 1}
    np.save(root / "objects.npy", objects, allow_pickle=True)
    with pytest.raises(ValueError, match="unpickl"):
        load_waterbirds(root, features="objects.npy")
    torch.save(_Payload(), root / "objects.pt")
    with pytest.raises(ValueError, match="weights_only"):
        load_waterbirds(root, features="objects.pt")
    torch.save([1, 2, 3], root / "list.pt")
    with pytest.raises(ValueError, match="tensor"):
        load_waterbirds(root, features="list.pt")


def test_load_celeba(tmp_path):
    rows = [
        ["a.jpg", 1, 1, 0],
        ["b.jpg", 0, 1, 0],
        ["c.jpg", 1, 0, 1],
        ["d.jpg", 0, 0, 2],
    ]
    _write_csv(tmp_path / "metadata.csv", ["filename", "y", "a", "split"], rows)
    features = np.arange(8.0).reshape(4, 2)
    torch.save(torch.from_numpy(features), tmp_path / "features.pt")
    data = load_celeba(tmp_path)
    y, a, split = (np.array(col) for col in list(zip(*rows))[1:])
    _check_bunch(data, features, y, a, split)
    assert data.group_names == [
        "not blond, female",
        "not blond, male",
        "blond, female",
        "blond, male",
    ]
    # CelebA's own attribute names, coded -1/1.
    signed = [[r[0], 2 * r[1] - 1, 2 * r[2] - 1, r[3]] for r in rows]
    _write_csv(
        tmp_path / "attrs.csv", ["image_id", "Blond_Hair", "Male", "split"], signed
    )
    _check_bunch(load_celeba(tmp_path, metadata="attrs.csv"), features, y, a, split)


def test_load_multinli(tmp_path):
    rng = np.random.RandomState(0)
    y = np.tile([0, 1, 2], 10)
    a = rng.randint(2, size=30)
    split = np.repeat([0, 1, 2], 10)
    _write_csv(
        tmp_path / "metadata_random.csv",
        ["", "gold_label", "sentence2_has_negation", "split"],
        [[i, y[i], a[i], split[i]] for i in range(30)],
    )
    features = rng.randn(30, 4)
    np.save(tmp_path / "features.npy", features)
    data = load_multinli(tmp_path)
    _check_bunch(data, features, y, a, split)
    assert data.n_groups == 6
    assert data.target_names == ["contradiction", "entailment", "neutral"]
    _write_csv(
        tmp_path / "metadata.csv", ["y", "a", "split"], [[3, 0, 0]] + [[0, 0, 0]] * 29
    )
    with pytest.raises(ValueError, match="'y'.*3"):
        load_multinli(tmp_path)


def test_load_civilcomments(tmp_path):
    # WILDS layout: toxicity scores, identity columns (some cells empty).
    header = ["", "comment_text", "toxicity", "split", "male", "female", "black"]
    rows = [
        [0, "hello", 0.1, "train", 0.0, 0.0, ""],
        [1, "a, quoted\nline", 0.7, "train", 0.6, 0.0, 0.0],
        [2, "x", 0.5, "val", "", "", ""],
        [3, "y", 0.2, "test", 0.0, 0.0, 0.9],
        [4, "z", 0.9, "test", 0.0, 0.4, 0.0],
    ]
    _write_csv(tmp_path / "all_data_with_identities.csv", header, rows)
    features = np.arange(10, dtype=np.float32).reshape(5, 2)
    np.save(tmp_path / "features.npy", features)
    data = load_civilcomments(tmp_path)
    y = np.array([0, 1, 1, 0, 1])
    a = np.array([0, 1, 0, 1, 0])
    _check_bunch(data, features, y, a, np.array([0, 0, 1, 2, 2]))
    # The simple layout.
    _write_csv(
        tmp_path / "metadata.csv",
        ["y", "a", "split"],
        [[0, 0, 0], [1, 1, 0], [1, 0, 1], [0, 1, 2], [1, 0, 2]],
    )
    _check_bunch(
        load_civilcomments(tmp_path), features, y, a, np.array([0, 0, 1, 2, 2])
    )
    # Neither an attribute column nor identity columns.
    _write_csv(tmp_path / "metadata.csv", ["y", "split"], [[0, 0]] * 5)
    with pytest.raises(ValueError, match="identity columns"):
        load_civilcomments(tmp_path)


# --------------------------------------------------------------------- text


def test_spurious_text():
    texts, y, groups = make_spurious_text(
        300, majority_fraction=0.8, marker_repeats=3, n_filler=4, random_state=0
    )
    assert len(texts) == 300 and y.dtype == groups.dtype == np.int64
    np.testing.assert_array_equal(groups // 2, y)
    for text, label, group in zip(texts, y, groups):
        words = text.split()
        assert len(words) == 1 + 3 + 4
        assert sum(w in TEXT_CORE_WORDS[label] for w in words) == 1  # no noise
        assert words.count(TEXT_MARKERS[group % 2]) == 3
    assert 0.7 < np.mean(groups % 2 == y) < 0.9
    again, _, _ = make_spurious_text(
        300, majority_fraction=0.8, marker_repeats=3, n_filler=4, random_state=0
    )
    assert again == texts
    with pytest.raises(ValueError, match="majority_fraction"):
        make_spurious_text(10, majority_fraction=1.5)
