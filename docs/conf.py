"""Sphinx configuration of the skmat documentation.

Build (warnings are errors), from the repository root::

    python -m sphinx -W --keep-going -b html docs docs/_build/html

Add ``-D plot_gallery=0`` to skip running the gallery examples while editing text.
Build outputs: ``docs/_build``, ``docs/auto_examples`` (the executed gallery) and
``docs/generated`` (API stubs, copies of the committed benchmark results, the
intersphinx inventories and the MathJax files).

The build needs no network: the intersphinx inventories are written from the
installed packages (``docs/_inventories.py``) and MathJax is served from the
site itself (copied from the ``sphinx-mathjax-offline`` package of the ``docs``
extra); nothing is loaded from a CDN.
"""

from __future__ import annotations

import importlib
import importlib.util
import pathlib
import pkgutil
import re
import shutil
import sys

import matplotlib

matplotlib.use("Agg")

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))  # the checkout's skmat, even without an install
sys.path.insert(0, str(HERE))  # _inventories

from _inventories import write_inventories  # noqa: E402
from _layers import write_layers  # noqa: E402

import skmat  # noqa: E402

# -- Project -----------------------------------------------------------------
project = "skmat"
author = "skmat developers"
copyright = "skmat developers, BSD-3-Clause"
release = skmat.__version__
version = ".".join(release.split(".")[:2])

# -- General -----------------------------------------------------------------
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "myst_parser",
]
templates_path = ["_templates"]
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "**.ipynb_checkpoints"]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
default_role = "literal"  # `x` renders as code; links are written with a role
# The right-hand "On this page" of an API page lists "fit()", not
# "MATClassifier.fit()": the full names ran off the window.
toc_object_entries_show_parents = "hide"

# -- intersphinx, offline ----------------------------------------------------
# Each inventory is written from the installed package (docs/_inventories.py),
# so :class:`~sklearn.model_selection.StratifiedKFold`, :class:`torch.nn.Module`
# or :class:`skorch.NeuralNetClassifier` link to those libraries' online pages
# without the build fetching anything.
intersphinx_mapping = write_inventories(HERE / "generated" / "intersphinx")

# -- autodoc / autosummary / numpydoc ----------------------------------------
autosummary_generate = True
autosummary_imported_members = False
autodoc_default_options = {"members": True, "member-order": "bysource"}
autodoc_typehints = "none"  # numpydoc docstrings carry the types
numpydoc_show_class_members = False  # autodoc's :members: lists the methods
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
# Parameter types link only the words listed here and numpydoc's defaults
# ("int", "ndarray", "RandomState", "NeuralNetClassifier"...); the rest of a
# type is plain text. A name listed as itself needs an explicit role.
numpydoc_xref_param_type = True
numpydoc_xref_ignore = "all"
numpydoc_xref_aliases = {
    # numpydoc's defaults for these point at labels the inventories lack, or
    # at the wrong thing ("cross-validation generator" is no Python generator).
    "bool": ":class:`python:bool`",
    "boolean": ":class:`python:bool`",
    "array-like": ":term:`sklearn:array-like`",
    "array_like": ":term:`sklearn:array-like`",
    "scalar": "scalar",
    "generator": "generator",
    "path": "os.PathLike",
    "RandomState": "numpy.random.RandomState",
    "Generator": "numpy.random.Generator",
    "DataFrame": "pandas.DataFrame",
    "estimator": ":term:`sklearn:estimator`",
    "Pipeline": "sklearn.pipeline.Pipeline",
    "Bunch": "sklearn.utils.Bunch",
    "torch.device": ":class:`torch.device`",
    "torch.dtype": ":class:`torch.dtype`",
    "torch.Tensor": ":class:`torch.Tensor`",
    "Tensor": "torch.Tensor",
    "torch.nn.Module": ":class:`torch.nn.Module`",
    "Module": "torch.nn.Module",
    "torch.Generator": ":class:`torch.Generator`",
    "Dataset": "torch.utils.data.Dataset",
    "NeuralNet": "skorch.NeuralNet",
    "NeuralNetClassifier": "skorch.NeuralNetClassifier",
    "NeuralNetBinaryClassifier": "skorch.NeuralNetBinaryClassifier",
    "SliceDataset": "skorch.helper.SliceDataset",
    "SliceDict": "skorch.helper.SliceDict",
    "History": "skorch.history.History",
    "Axes": "matplotlib.axes.Axes",
    "Figure": "matplotlib.figure.Figure",
    "Colormap": "matplotlib.colors.Colormap",
    "Text": "matplotlib.text.Text",
    "Line2D": "matplotlib.lines.Line2D",
    "AxesImage": "matplotlib.image.AxesImage",
    "Colorbar": "matplotlib.colorbar.Colorbar",
    "BarContainer": "matplotlib.container.BarContainer",
}

# -- Math: MathJax from the site itself ----------------------------------------
# sphinx.ext.mathjax would load MathJax from a CDN, and offline every formula
# would show as raw TeX. The files come from the sphinx-mathjax-offline package
# (MathJax 3), of which only what tex-chtml.js loads is copied: the TeX
# extensions it autoloads, its fonts, and the menu's accessibility parts.
MATHJAX_FILES = [
    "tex-chtml.js",
    "input/tex/extensions",
    "output/chtml/fonts/woff-v2",
    "ui",
    "a11y",
    "sre",
]


def _copy_mathjax():
    spec = importlib.util.find_spec("sphinx-mathjax-offline")
    if spec is None:
        raise RuntimeError(
            "The documentation needs the sphinx-mathjax-offline package: "
            'python -m pip install -e ".[docs]"'
        )
    src = pathlib.Path(spec.submodule_search_locations[0]) / "static" / "mathjax"
    dst = HERE / "generated" / "static" / "mathjax"
    for name in MATHJAX_FILES:
        paths = [src / name] if (src / name).is_file() else (src / name).rglob("*")
        for path in paths:
            target = dst / path.relative_to(src)
            if path.is_file() and (
                not target.exists() or target.stat().st_size != path.stat().st_size
            ):
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, target)


_copy_mathjax()
mathjax_path = "mathjax/tex-chtml.js"  # under _static/

# -- MyST (the committed markdown results, the changelog) ----------------------
myst_heading_anchors = 3
suppress_warnings = ["myst.header"]  # results files may start at any level

# -- sphinx-gallery ----------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": str(HERE / "auto_examples"),
    "filename_pattern": r"/plot_",
    "ignore_pattern": r"__init__\.py",
    "doc_module": ("skmat",),
    "backreferences_dir": str(HERE / "generated" / "backreferences"),
    # The shortest first: the quick start leads, the longer examples follow.
    "within_subsection_order": "NumberOfCodeLinesSortKey",
    "download_all_examples": False,
    "remove_config_comments": True,
    "abort_on_example_error": True,
    "matplotlib_animations": False,
    "show_memory": False,
    "min_reported_time": 1,
}

# Newer sphinx-gallery versions write docs/sg_execution_times.rst; not wanted.
try:
    from sphinx_gallery.gen_gallery import DEFAULT_GALLERY_CONF as _SG_DEFAULTS
except ImportError:  # pragma: no cover - very old sphinx-gallery
    _SG_DEFAULTS = {}
if "write_computation_times" in _SG_DEFAULTS:
    sphinx_gallery_conf["write_computation_times"] = False

# -- HTML --------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"skmat {release}"
html_static_path = ["_static", "generated/static"]
html_css_files = ["skmat.css"]
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    # Five header links (index.rst's toctree) fit beside the search button at
    # 1400 px; more would push it to a second row.
    "header_links_before_dropdown": 5,
    # Gallery code is formatted at 88 columns, wider than the article column
    # beside the page's table of contents; an example has few sections, so its
    # pages give that width to the code instead.
    "secondary_sidebar_items": {
        "**": ["page-toc"],
        **{f"auto_examples/{p.stem}": [] for p in ROOT.glob("examples/plot_*.py")},
    },
}
# Pages without sub-pages get no left sidebar: its "Section Navigation" would
# be empty and take a fifth of the width.
html_sidebars = {page: [] for page in ("index", "install", "quickstart", "search")}
# The results pages (benchmarks/results/*.md) are reached from the Results page;
# their tables of up to 12 columns get the sidebar's width instead.
html_sidebars["generated/results/*"] = []
html_show_sourcelink = False


# -- Results pages: one page per committed benchmarks/results/*.md -----------
def _copy_results():
    """Copy the committed results (markdown, and the figures they show) into
    generated/results, each file only if it changed."""
    src_dir = ROOT / "benchmarks" / "results"
    dst_dir = HERE / "generated" / "results"
    dst_dir.mkdir(parents=True, exist_ok=True)
    wanted = {p.name: p for p in sorted(src_dir.glob("*.md"))}
    wanted.update({p.name: p for p in sorted(src_dir.glob("*.png"))})
    for stale in [*dst_dir.glob("*.md"), *dst_dir.glob("*.png")]:
        if stale.name not in wanted:
            stale.unlink()
    for name, path in wanted.items():
        target = dst_dir / name
        if not target.exists() or target.read_bytes() != path.read_bytes():
            shutil.copyfile(path, target)


_copy_results()
write_layers(ROOT / "setup.cfg", HERE / "generated" / "layers.rst")


# -- Guard: every public name appears in the API reference --------------------
# One page per public module, docs/api/MODULE.rst; skmat.mat's only public
# class is documented as skmat.MATClassifier (docs/api/skmat.rst).
DOCUMENTED_ELSEWHERE = {"skmat.mat": "skmat"}


def _check_api_reference(app):
    from sphinx.util import logging

    logger = logging.getLogger("skmat.docs")
    pages = {p.stem: p for p in sorted((HERE / "api").glob("*.rst"))}
    modules = ["skmat"] + [
        f"skmat.{m.name}"
        for m in pkgutil.iter_modules(skmat.__path__)
        if not m.name.startswith("_")
    ]
    listed = set()
    for page in pages.values():
        module = None
        for line in page.read_text(encoding="utf-8").splitlines():
            found = re.match(r"\s*\.\. currentmodule:: (\S+)", line)
            if found:
                module = found.group(1)
                continue
            entry = re.match(r"^ {3}([A-Za-z_][\w.]*)\s*$", line)
            if entry and module is not None:
                listed.add(f"{module}.{entry.group(1)}")
    for name in modules:
        if name not in pages and name not in DOCUMENTED_ELSEWHERE:
            logger.warning(f"docs/api/{name}.rst is missing (public module {name})")
        mod = importlib.import_module(name)
        for public in getattr(mod, "__all__", []):
            if public.startswith("__"):
                continue
            home = getattr(getattr(mod, public), "__module__", name)
            # A private submodule's object is documented where its package is.
            package = ".".join(p for p in home.split(".") if not p.startswith("_"))
            names = {f"{name}.{public}", f"{home}.{public}", f"{package}.{public}"}
            names.add(f"{DOCUMENTED_ELSEWHERE.get(name, name)}.{public}")
            if not listed & names:
                logger.warning(
                    f"docs/api/ does not list {name}.{public} (in {name}.__all__)"
                )


def _skip_members(app, what, name, obj, skip, options):
    """Leave out scikit-learn's generated ``set_{method}_request`` methods."""
    if re.fullmatch(r"set_\w+_request", name):
        return True
    return None


def setup(app):
    app.connect("autodoc-skip-member", _skip_members)
    app.connect("builder-inited", _check_api_reference)
