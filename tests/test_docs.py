"""Tests of the documentation: the code of its first pages, and its offline
intersphinx inventories (docs/_inventories.py).

The home page and the quick start show their snippets with their output, as
doctests; the last tests run them and compare.

The inventories are written from the installed packages, so the build needs no
network. These tests check the file format, the addresses of the names the
documentation uses, and that every cross-reference into another library written
in the documentation or in a docstring names an object of an inventory (Sphinx
would render a missing one as code that looks like a link and is not).
"""

import pathlib
import re
import sys
import zlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "docs"))

from _inventories import write_inventories  # noqa: E402


def read_inventory(path):
    """{name: (domain:role, address)} of an objects.inv (format version 2)."""
    data = pathlib.Path(path).read_bytes()
    header = data.split(b"\n", 4)
    assert header[0] == b"# Sphinx inventory version 2"
    assert header[3].startswith(b"# The remainder of this file is compressed")
    entries = {}
    for line in zlib.decompress(header[4]).decode().splitlines():
        name, role, priority, uri, dispname = line.split(" ", 4)
        assert priority in ("0", "1") and dispname == "-"
        entries[name] = (role, uri)
    return entries


@pytest.fixture(scope="module")
def inventories(tmp_path_factory):
    directory = tmp_path_factory.mktemp("intersphinx")
    mapping = write_inventories(directory)
    return {
        library: (base, read_inventory(path))
        for library, (base, path) in mapping.items()
    }


def address(inventories, library, name):
    base, entries = inventories[library]
    role, uri = entries[name]
    return role, base + uri


SKLEARN = "https://scikit-learn.org/stable/modules/generated/"


@pytest.mark.parametrize(
    "library, name, role, url",
    [
        (
            "sklearn",
            "sklearn.model_selection.StratifiedKFold",
            "py:class",
            SKLEARN + "sklearn.model_selection.StratifiedKFold.html"
            "#sklearn.model_selection.StratifiedKFold",
        ),
        (
            "sklearn",
            "sklearn.model_selection.cross_val_predict",
            "py:function",
            SKLEARN + "sklearn.model_selection.cross_val_predict.html"
            "#sklearn.model_selection.cross_val_predict",
        ),
        (
            "sklearn",
            "sklearn.pipeline.Pipeline.fit",
            "py:method",
            SKLEARN + "sklearn.pipeline.Pipeline.html#sklearn.pipeline.Pipeline.fit",
        ),
        (  # documented under sklearn.base, imported at the top level
            "sklearn",
            "sklearn.clone",
            "py:function",
            SKLEARN + "sklearn.base.clone.html#sklearn.base.clone",
        ),
        (
            "sklearn",
            "array-like",
            "std:term",
            "https://scikit-learn.org/stable/glossary.html#term-array-like",
        ),
        (  # skorch documents each module on one page, with automodule
            "skorch",
            "skorch.NeuralNetClassifier",
            "py:class",
            "https://skorch.readthedocs.io/en/stable/classifier.html"
            "#skorch.classifier.NeuralNetClassifier",
        ),
        (
            "skorch",
            "skorch.callbacks.EarlyStopping",
            "py:class",
            "https://skorch.readthedocs.io/en/stable/callbacks.html"
            "#skorch.callbacks.EarlyStopping",
        ),
        (
            "torch",
            "torch.nn.Module",
            "py:class",
            "https://docs.pytorch.org/docs/stable/generated/torch.nn.Module.html"
            "#torch.nn.Module",
        ),
        (
            "torch",
            "torch.device",
            "py:class",
            "https://docs.pytorch.org/docs/stable/tensor_attributes.html#torch.device",
        ),
        (
            "torch",
            "torch.utils.data.Dataset",
            "py:class",
            "https://docs.pytorch.org/docs/stable/data.html#torch.utils.data.Dataset",
        ),
        (
            "numpy",
            "numpy.ndarray",
            "py:class",
            "https://numpy.org/doc/stable/reference/generated/numpy.ndarray.html"
            "#numpy.ndarray",
        ),
        (
            "numpy",
            "numpy.random.RandomState",
            "py:class",
            "https://numpy.org/doc/stable/reference/random/legacy.html"
            "#numpy.random.RandomState",
        ),
        (
            "joblib",
            "joblib.Parallel",
            "py:class",
            "https://joblib.readthedocs.io/en/stable/generated/joblib.Parallel.html"
            "#joblib.Parallel",
        ),
        (
            "python",
            "int",
            "py:class",
            "https://docs.python.org/3/library/functions.html#int",
        ),
    ],
)
def test_inventory_addresses(inventories, library, name, role, url):
    assert address(inventories, library, name) == (role, url)


def test_inventories_load_in_sphinx(inventories, tmp_path):
    inventory = pytest.importorskip("sphinx.util.inventory")
    for library, (base, path) in write_inventories(tmp_path).items():
        with open(path, "rb") as stream:
            data = stream.read()
        if hasattr(inventory.InventoryFile, "loads"):  # Sphinx >= 8.2
            loaded = inventory.InventoryFile.loads(data, uri=base)
            loaded = getattr(loaded, "data", loaded)
        else:  # pragma: no cover - older Sphinx
            import io

            loaded = inventory.InventoryFile.load(io.BytesIO(data), base, "/".join)
        assert loaded, library
        assert len(loaded) >= 1


def test_inventories_are_rewritten_only_when_they_change(tmp_path):
    write_inventories(tmp_path)
    times = {p.name: p.stat().st_mtime_ns for p in tmp_path.glob("*.inv")}
    write_inventories(tmp_path)
    assert times == {p.name: p.stat().st_mtime_ns for p in tmp_path.glob("*.inv")}


# A role, an optional "~", then a dotted name of another library.
XREF = re.compile(
    r":(class|func|meth|attr|mod|exc|data|obj):`~?"
    r"((?:sklearn|skorch|torch|numpy|scipy|joblib|pandas|matplotlib)\.[\w.]+)`"
)
ROLE_TYPES = {
    "class": {"py:class", "py:exception"},
    "exc": {"py:exception", "py:class"},
    "func": {"py:function"},
    "meth": {"py:method"},
    "attr": {"py:attribute", "py:data"},
    "mod": {"py:module"},
    "data": {"py:data"},
}


def test_every_cross_reference_to_another_library_is_in_an_inventory(inventories):
    known = {}
    for _, entries in inventories.values():
        known.update(entries)
    sources = [
        *ROOT.glob("docs/**/*.rst"),
        *ROOT.glob("skmat/*.py"),
        *ROOT.glob("examples/*.py"),
    ]
    missing = []
    for path in sources:
        if "_build" in path.parts or "generated" in path.parts:
            continue
        for role, name in XREF.findall(path.read_text(encoding="utf-8")):
            found = known.get(name)
            if found is None or (role != "obj" and found[0] not in ROLE_TYPES[role]):
                missing.append(f"{path.relative_to(ROOT)}: :{role}:`{name}`")
    assert not missing, "\n".join(sorted(set(missing)))


# The pages a newcomer reads first show their code with its output; running
# them here keeps the output true. Each page is one doctest session (its
# snippets share their names), run from the repository root.
DOCTEST_PAGES = ["docs/index.rst", "docs/quickstart.rst"]


@pytest.mark.slow
@pytest.mark.parametrize("page", DOCTEST_PAGES)
def test_page_snippets_print_what_the_page_shows(page, monkeypatch):
    import doctest

    monkeypatch.chdir(ROOT)
    result = doctest.testfile(
        str(ROOT / page),
        module_relative=False,
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
        raise_on_error=False,
        verbose=False,
    )
    assert result.attempted > 0, f"{page} has no >>> examples"
    assert result.failed == 0, f"{result.failed} example(s) of {page} failed (above)"
