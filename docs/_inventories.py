"""Intersphinx inventories written from the installed packages, with no network.

Sphinx's intersphinx links a name such as ``sklearn.model_selection.StratifiedKFold``
to the page that documents it, using the library's ``objects.inv``. Downloading
those files at build time would need the network, and committing them would
freeze them at one release; so this module writes them from the installed
packages instead: it lists each library's public names by importing it, and
gives each name the address its online documentation uses for it (each
library's scheme is in ``_LIBRARIES`` below). For the Python standard library,
pandas and matplotlib, whose few names the documentation uses are stable, the
names are listed by hand.

``docs/conf.py`` calls :func:`write_inventories` when the build starts; to look
at the result::

    python docs/_inventories.py docs/generated/intersphinx
    python -m sphinx.ext.intersphinx docs/generated/intersphinx/sklearn.inv
"""

from __future__ import annotations

import importlib
import inspect
import pathlib
import sys
import zlib
from collections.abc import Callable, Iterator

# (name, role, uri): role is a Python-domain object type ("class", "function",
# "method", "data", "module", "exception") or another domain's ("std:term");
# uri is relative to the library's base address, and each "$" in it stands for
# the name.
Entry = tuple[str, str, str]


def _public(names):
    return [n for n in names if not n.startswith("_")]


def _get(obj, name):
    try:
        return getattr(obj, name)
    except Exception:  # e.g. scikit-learn's experimental classes, before enabling
        return None


def _module_names(module):
    """The public names of ``module``: its ``__all__``, else what it defines."""
    if hasattr(module, "__all__"):
        return [n for n in module.__all__ if _get(module, n) is not None]
    return [
        n
        for n in _public(dir(module))
        if str(getattr(_get(module, n), "__module__", "")).startswith(module.__name__)
    ]


def _role(obj):
    if inspect.isclass(obj):
        return "exception" if issubclass(obj, BaseException) else "class"
    if inspect.ismodule(obj):
        return None
    return "function" if callable(obj) else "data"


def _methods(cls, *, own=False, documented=False):
    """Public methods of ``cls`` (``own``: defined in it; ``documented``: with a
    docstring, what autodoc's ``:members:`` lists)."""
    names = cls.__dict__ if own else dir(cls)
    for name in _public(names):
        try:
            member = inspect.getattr_static(cls, name)
        except AttributeError:
            continue
        if isinstance(member, (staticmethod, classmethod)):
            member = member.__func__
        if not callable(member) or inspect.isclass(member):
            continue
        if documented and not inspect.getdoc(getattr(cls, name, None)):
            continue
        yield name


def _import(name):
    try:
        return importlib.import_module(name)
    except Exception:  # an optional part whose dependencies are missing
        return None


# -- scikit-learn ---------------------------------------------------------------
# Every public class and function has its own page, modules/generated/NAME.html,
# with the methods as anchors; each module is described on api/MODULE.html.
_SKLEARN_SUBMODULES = [
    "base",  # sklearn.__all__ leaves out base and utils
    "utils",
    "feature_extraction.image",
    "feature_extraction.text",
    "gaussian_process.kernels",
    "metrics.cluster",
    "metrics.pairwise",
    "utils.class_weight",
    "utils.discovery",
    "utils.estimator_checks",
    "utils.extmath",
    "utils.graph",
    "utils.metadata_routing",
    "utils.metaestimators",
    "utils.multiclass",
    "utils.parallel",
    "utils.random",
    "utils.sparsefuncs",
    "utils.validation",
]


def _sklearn() -> Iterator[Entry]:
    import sklearn

    yield "sklearn", "module", "api/index.html"
    for term in ("array-like", "estimator"):
        yield term, "std:term", "glossary.html#term-$"
    modules = [m for m in sklearn.__all__ if inspect.ismodule(getattr(sklearn, m, 0))]
    documented = set()
    for short in modules + _SKLEARN_SUBMODULES:
        if short in ("experimental", "externals"):
            continue
        name = f"sklearn.{short}"
        module = _import(name)
        if module is None:
            continue
        yield name, "module", f"api/sklearn.{short.split('.')[0]}.html"
        documented.update(id(_get(module, n)) for n in _module_names(module))
        yield from _sklearn_objects(module, name)
    # Top-level functions: config_context has its own page; clone is documented
    # as sklearn.base.clone (_aliases gives sklearn.clone that address).
    for name in _module_names(sklearn):
        obj = getattr(sklearn, name)
        if inspect.isfunction(obj) and id(obj) not in documented:
            yield f"sklearn.{name}", "function", "modules/generated/$.html#$"


def _sklearn_objects(module, prefix):
    for name in _module_names(module):
        obj = _get(module, name)
        role = _role(obj)
        if role in (None, "data"):
            continue
        full = f"{prefix}.{name}"
        page = f"modules/generated/{full}.html"
        yield full, role, f"{page}#$"
        if inspect.isclass(obj):
            for method in _methods(obj):
                yield f"{full}.{method}", "method", f"{page}#$"


# -- skorch -----------------------------------------------------------------------
# One page per module, MODULE.html, made by automodule with :members:.
_SKORCH_PAGES = [
    "callbacks",
    "classifier",
    "dataset",
    "exceptions",
    "helper",
    "history",
    "net",
    "regressor",
    "scoring",
    "toy",
    "utils",
]


def _skorch() -> Iterator[Entry]:
    yield "skorch", "module", "index.html"
    for page in _SKORCH_PAGES:
        name = f"skorch.{page}"
        module = _import(name)
        if module is None:
            continue
        yield name, "module", f"{page}.html#module-$"
        for member in _module_names(module):
            obj = getattr(module, member)
            role = _role(obj)
            if role in (None, "data"):
                continue
            full = f"{name}.{member}"
            yield full, role, f"{page}.html#$"
            if inspect.isclass(obj):
                for method in _methods(obj, own=True, documented=True):
                    yield f"{full}.{method}", "method", f"{page}.html#$"


# -- NumPy --------------------------------------------------------------------------
def _numpy() -> Iterator[Entry]:
    import numpy as np

    yield "numpy", "module", "reference/index.html"
    for name in _public(np.__all__):
        obj = getattr(np, name, None)
        full = f"numpy.{name}"
        if inspect.ismodule(obj) or obj is None:
            continue
        if inspect.isclass(obj) and issubclass(obj, np.generic):
            yield full, "class", "reference/arrays.scalars.html#$"
        elif isinstance(obj, (float, type(None))) or obj is np.newaxis:
            yield full, "data", "reference/constants.html#$"
        elif callable(obj):
            yield full, _role(obj), "reference/generated/$.html#$"
    for method in _methods(np.ndarray):
        yield f"numpy.ndarray.{method}", "method", "reference/generated/$.html#$"

    yield "numpy.random", "module", "reference/random/index.html#module-$"
    yield "numpy.random.Generator", "class", "reference/random/generator.html#$"
    yield "numpy.random.default_rng", "function", "reference/random/generator.html#$"
    yield "numpy.random.RandomState", "class", "reference/random/legacy.html#$"
    seed_page = "reference/random/bit_generators/generated/$.html#$"
    yield "numpy.random.SeedSequence", "class", seed_page
    random_page = "reference/random/generated/$.html#$"
    for cls in ("Generator", "RandomState"):
        for method in _methods(getattr(np.random, cls)):
            yield f"numpy.random.{cls}.{method}", "method", random_page
    for name in _public(np.random.__all__):  # the legacy functions: rand, seed...
        obj = getattr(np.random, name, None)
        if name != "default_rng" and callable(obj) and not inspect.isclass(obj):
            yield f"numpy.random.{name}", "function", random_page
    yield "numpy.typing", "module", "reference/typing.html#module-$"
    for name in ("ArrayLike", "DTypeLike", "NDArray"):
        yield f"numpy.typing.{name}", "data", "reference/typing.html#$"


# -- PyTorch ------------------------------------------------------------------------
def _torch() -> Iterator[Entry]:
    import torch
    import torch.func
    import torch.nn.functional
    import torch.optim.lr_scheduler
    import torch.utils.data

    generated = "generated/$.html#$"
    yield "torch", "module", "torch.html#module-$"
    yield "torch.Tensor", "class", "tensors.html#$"
    for method in _methods(torch.Tensor):
        yield f"torch.Tensor.{method}", "method", generated
    for name in ("device", "dtype", "layout", "memory_format"):
        yield f"torch.{name}", "class", "tensor_attributes.html#$"
    yield "torch.Size", "class", "size.html#$"
    for name in ("Generator", "no_grad", "enable_grad", "inference_mode"):
        yield f"torch.{name}", "class", generated
    for name in _public(torch.__all__):
        obj = getattr(torch, name, None)
        if callable(obj) and not inspect.isclass(obj):
            yield f"torch.{name}", "function", generated

    yield "torch.nn", "module", "nn.html#module-$"
    for name in _public(dir(torch.nn)):
        obj = getattr(torch.nn, name)
        if inspect.isclass(obj) and issubclass(obj, (torch.nn.Module, torch.Tensor)):
            yield f"torch.nn.{name}", "class", generated
    for method in _methods(torch.nn.Module, own=True):
        yield f"torch.nn.Module.{method}", "method", generated
    yield "torch.nn.functional", "module", "nn.functional.html#module-$"
    for name in _public(dir(torch.nn.functional)):
        if callable(obj := getattr(torch.nn.functional, name)) and not inspect.isclass(
            obj
        ):
            if getattr(obj, "__module__", "").startswith("torch"):
                yield f"torch.nn.functional.{name}", "function", generated

    yield "torch.optim", "module", "optim.html#module-$"
    yield "torch.optim.Optimizer", "class", "optim.html#$"
    for method in _methods(torch.optim.Optimizer, own=True):
        yield f"torch.optim.Optimizer.{method}", "method", generated
    for name in _public(dir(torch.optim)):
        obj = getattr(torch.optim, name)
        if inspect.isclass(obj) and issubclass(obj, torch.optim.Optimizer):
            if obj is not torch.optim.Optimizer:
                yield f"torch.optim.{name}", "class", generated
    scheduler = torch.optim.lr_scheduler
    for name in _module_names(scheduler):
        if inspect.isclass(getattr(scheduler, name)):
            yield f"torch.optim.lr_scheduler.{name}", "class", generated

    yield "torch.utils.data", "module", "data.html#module-$"
    for name in _public(torch.utils.data.__all__):
        role = _role(getattr(torch.utils.data, name, None))
        if role in ("class", "function"):
            yield f"torch.utils.data.{name}", role, "data.html#$"
    yield "torch.func", "module", "func.html#module-$"
    for name in _public(torch.func.__all__ if hasattr(torch.func, "__all__") else []):
        yield f"torch.func.{name}", "function", generated
    yield "torch.cuda", "module", "cuda.html#module-$"
    for name in ("is_available", "device_count", "manual_seed", "synchronize"):
        yield f"torch.cuda.{name}", "function", generated


# -- joblib, SciPy ------------------------------------------------------------------
def _joblib() -> Iterator[Entry]:
    import joblib

    yield "joblib", "module", "index.html"
    for name in _public(joblib.__all__):
        role = _role(getattr(joblib, name))
        if role in ("class", "function"):
            yield f"joblib.{name}", role, "generated/$.html#$"


def _scipy() -> Iterator[Entry]:
    for short in ("sparse", "special", "stats"):
        name = f"scipy.{short}"
        module = importlib.import_module(name)
        yield name, "module", f"reference/{short}.html#module-$"
        for member in _public(module.__all__):
            role = _role(getattr(module, member, None))
            if role in ("class", "function"):
                yield f"{name}.{member}", role, "reference/generated/$.html#$"


# -- listed by hand -------------------------------------------------------------------
def _python() -> Iterator[Entry]:
    for name in ("int", "float", "bool", "object", "type", "slice"):
        yield name, "class", "library/functions.html#$"
    yield "callable", "function", "library/functions.html#$"
    for name in ("str", "dict", "list", "tuple", "set", "frozenset", "range", "bytes"):
        yield name, "class", "library/stdtypes.html#$"
    for name in ("None", "True", "False", "NotImplemented", "Ellipsis"):
        yield name, "data", "library/constants.html#$"
    for exc in (
        "Exception",
        "ImportError",
        "KeyboardInterrupt",
        "KeyError",
        "MemoryError",
        "NotImplementedError",
        "RuntimeError",
        "TypeError",
        "ValueError",
        "Warning",
        "UserWarning",
        "RuntimeWarning",
        "FutureWarning",
        "DeprecationWarning",
    ):
        yield exc, "exception", "library/exceptions.html#$"
    for term in ("iterable", "sequence", "generator"):
        yield term, "std:term", "glossary.html#term-$"
    yield "contextlib.contextmanager", "function", "library/contextlib.html#$"
    yield "collections.namedtuple", "function", "library/collections.html#$"
    yield "os.PathLike", "class", "library/os.html#$"
    yield "pathlib.Path", "class", "library/pathlib.html#$"
    yield "collections.abc.Mapping", "class", "library/collections.abc.html#$"
    yield "collections.abc.Sequence", "class", "library/collections.abc.html#$"
    yield "collections.abc.Callable", "class", "library/collections.abc.html#$"


def _pandas() -> Iterator[Entry]:
    for name in ("DataFrame", "Series", "Categorical", "Index"):
        yield f"pandas.{name}", "class", "reference/api/$.html#$"


def _matplotlib() -> Iterator[Entry]:
    generated = "api/_as_gen/$.html#$"
    yield "matplotlib.axes.Axes", "class", generated
    yield "matplotlib.figure.Figure", "class", generated
    yield "matplotlib.colors.Colormap", "class", generated
    yield "matplotlib.lines.Line2D", "class", generated
    yield "matplotlib.pyplot.subplots", "function", generated
    yield "matplotlib.text.Text", "class", "api/text_api.html#$"
    yield "matplotlib.image.AxesImage", "class", "api/image_api.html#$"
    yield "matplotlib.colorbar.Colorbar", "class", "api/colorbar_api.html#$"
    yield "matplotlib.container.BarContainer", "class", "api/container_api.html#$"


# name: (base address of the online documentation, version module, entries)
_LIBRARIES: dict[str, tuple[str, str | None, Callable[[], Iterator[Entry]]]] = {
    "python": ("https://docs.python.org/3/", None, _python),
    "numpy": ("https://numpy.org/doc/stable/", "numpy", _numpy),
    "scipy": ("https://docs.scipy.org/doc/scipy/", "scipy", _scipy),
    "sklearn": ("https://scikit-learn.org/stable/", "sklearn", _sklearn),
    "joblib": ("https://joblib.readthedocs.io/en/stable/", "joblib", _joblib),
    "torch": ("https://docs.pytorch.org/docs/stable/", "torch", _torch),
    "skorch": ("https://skorch.readthedocs.io/en/stable/", "skorch", _skorch),
    "pandas": ("https://pandas.pydata.org/docs/", None, _pandas),
    "matplotlib": ("https://matplotlib.org/stable/", None, _matplotlib),
}


def _aliases(entries: dict[str, Entry], public: dict[str, object]) -> Iterator[Entry]:
    """Entries for names that re-export a documented object (``skorch.NeuralNet``
    for ``skorch.net.NeuralNet``): the same address, with the members."""
    documented = {}
    for name, role, uri in entries.values():
        if role in ("class", "function", "exception"):
            obj = _resolve(name)
            if obj is not None:
                documented.setdefault(id(obj), (name, role, uri))
    for alias, obj in public.items():
        if alias in entries or id(obj) not in documented:
            continue
        name, role, uri = documented[id(obj)]
        yield alias, role, _expand(uri, name)
        for member, (_, m_role, m_uri) in entries.items():
            if member.startswith(name + "."):
                yield alias + member[len(name) :], m_role, _expand(m_uri, member)


def _resolve(name):
    parts = name.split(".")
    for i in range(len(parts) - 1, 0, -1):
        module = sys.modules.get(".".join(parts[:i]))
        if module is not None:
            obj = module
            try:
                for part in parts[i:]:
                    obj = getattr(obj, part)
            except AttributeError:
                return None
            return obj
    return None


def _expand(uri, name):
    return uri.replace("$", name)


# Re-exports documented under another name, found by identity.
_ALIAS_NAMESPACES = {"skorch": ["skorch"], "sklearn": ["sklearn"]}


def inventory(library: str) -> tuple[str, list[Entry]]:
    """The version and the entries of one library (``_LIBRARIES`` keys)."""
    _, version_module, make = _LIBRARIES[library]
    entries = {}
    for name, role, uri in make():
        entries.setdefault(name, (name, role, uri))
    for namespace in _ALIAS_NAMESPACES.get(library, []):
        module = importlib.import_module(namespace)
        public = {f"{namespace}.{n}": getattr(module, n) for n in _module_names(module)}
        for entry in list(_aliases(entries, public)):
            entries.setdefault(entry[0], entry)
    if version_module is None:
        version = "" if library != "python" else "{}.{}".format(*sys.version_info)
    else:
        version = getattr(importlib.import_module(version_module), "__version__", "")
    return version, sorted(entries.values())


def _dump(project: str, version: str, entries: list[Entry]) -> bytes:
    """The bytes of an ``objects.inv`` (Sphinx's inventory format, version 2)."""
    header = (
        "# Sphinx inventory version 2\n"
        f"# Project: {project}\n"
        f"# Version: {version}\n"
        "# The remainder of this file is compressed using zlib.\n"
    ).encode()
    lines = []
    for name, role, uri in entries:
        priority = 0 if role == "module" else 1
        role = role if ":" in role else f"py:{role}"
        lines.append(f"{name} {role} {priority} {_expand(uri, name)} -\n")
    return header + zlib.compress("".join(lines).encode(), 9)


def write_inventories(directory: pathlib.Path) -> dict[str, tuple[str, str]]:
    """Write ``LIBRARY.inv`` for each library that is installed.

    Returns ``intersphinx_mapping``: ``{library: (base address, inventory path)}``.
    A file is rewritten only when its content changes, so that Sphinx's cache of
    the inventories stays valid between builds.
    """
    directory.mkdir(parents=True, exist_ok=True)
    mapping = {}
    for library, (base, version_module, _) in _LIBRARIES.items():
        if version_module is not None and _import(version_module) is None:
            continue
        version, entries = inventory(library)
        data = _dump(library, version, entries)
        path = directory / f"{library}.inv"
        if not path.exists() or path.read_bytes() != data:
            path.write_bytes(data)
        mapping[library] = (base, str(path))
    return mapping


if __name__ == "__main__":
    target = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "intersphinx")
    for library, (base, path) in write_inventories(target).items():
        print(f"{library:12s} {len(inventory(library)[1]):6d} names  {path}  {base}")
