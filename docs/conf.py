"""Sphinx configuration of the skmat documentation.

Build (warnings are errors), from the repository root::

    python -m sphinx -W --keep-going -b html docs docs/_build/html

Add ``-D plot_gallery=0`` to skip running the gallery examples while editing text.
Build outputs: ``docs/_build``, ``docs/auto_examples`` (the executed gallery) and
``docs/generated`` (API stubs, copies of the committed benchmark results).
"""

from __future__ import annotations

import importlib
import pathlib
import re
import shutil
import sys

import matplotlib

matplotlib.use("Agg")

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))  # the checkout's skmat, even without an install

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
default_role = "literal"  # `x` renders as code, never as a dangling reference
# No intersphinx: the build must not need the network. References to numpy,
# scikit-learn, skorch or torch objects render as plain code.

# -- autodoc / autosummary / numpydoc ----------------------------------------
autosummary_generate = True
autosummary_imported_members = False
autodoc_default_options = {"members": True, "member-order": "bysource"}
autodoc_typehints = "none"  # numpydoc docstrings carry the types
numpydoc_show_class_members = False  # autodoc's :members: lists the methods
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
numpydoc_xref_param_type = False

# -- MyST (the committed markdown results) ------------------------------------
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
    "within_subsection_order": "FileNameSortKey",
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
html_static_path = []
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "header_links_before_dropdown": 8,
    "secondary_sidebar_items": ["page-toc"],
}
html_show_sourcelink = False


# -- Results pages: one page per committed benchmarks/results/*.md -----------
def _copy_results():
    """Copy the committed markdown results into generated/results (if changed)."""
    src_dir = ROOT / "benchmarks" / "results"
    dst_dir = HERE / "generated" / "results"
    dst_dir.mkdir(parents=True, exist_ok=True)
    wanted = {p.name: p for p in sorted(src_dir.glob("*.md"))}
    for stale in dst_dir.glob("*.md"):
        if stale.name not in wanted:
            stale.unlink()
    for name, path in wanted.items():
        target = dst_dir / name
        if not target.exists() or target.read_bytes() != path.read_bytes():
            shutil.copyfile(path, target)


_copy_results()


# -- Guard: every public name appears in the API reference --------------------
PUBLIC_MODULES = [
    "skmat",
    "skmat.transition",
    "skmat.holdout",
    "skmat.xrm",
    "skmat.nets",
    "skmat.metrics",
    "skmat.datasets",
    "skmat.baselines",
    "skmat.callbacks",
    "skmat.plot",
]


def _check_api_reference(app):
    from sphinx.util import logging

    logger = logging.getLogger("skmat.docs")
    text = (HERE / "api.rst").read_text(encoding="utf-8")
    listed = set()
    module = None
    for line in text.splitlines():
        found = re.match(r"\s*\.\. currentmodule:: (\S+)", line)
        if found:
            module = found.group(1)
            continue
        entry = re.match(r"^ {3}([A-Za-z_][\w.]*)\s*$", line)
        if entry and module is not None:
            listed.add(f"{module}.{entry.group(1)}")
    for name in PUBLIC_MODULES:
        mod = importlib.import_module(name)
        for public in getattr(mod, "__all__", []):
            if public.startswith("__"):
                continue
            home = getattr(getattr(mod, public), "__module__", name)
            if not listed & {f"{name}.{public}", f"{home}.{public}"}:
                logger.warning(
                    f"docs/api.rst does not list {name}.{public} (in {name}.__all__)"
                )


def _skip_members(app, what, name, obj, skip, options):
    """Leave out scikit-learn's generated ``set_{method}_request`` methods."""
    if re.fullmatch(r"set_\w+_request", name):
        return True
    return None


def setup(app):
    app.connect("autodoc-skip-member", _skip_members)
    app.connect("builder-inited", _check_api_reference)
