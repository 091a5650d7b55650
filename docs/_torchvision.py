"""Import torchvision beside a torch of another build: the one fix, for the docs
build and the tests.

Why: this project develops and tests on the CPU build of torch 2.13.0, a wheel
that is not on PyPI, while the torchvision 0.28.0 wheel on PyPI (the release made
for torch 2.13) is built against PyPI's CUDA torch. Beside the CPU torch its
compiled operators (``torchvision._C``) fail to load, silently, and then
``import torchvision`` fails with ``RuntimeError: operator torchvision::nms does
not exist``: ``torchvision/_meta_registrations.py`` registers fake kernels for
the ``nms`` and ``qnms`` operators without checking that they were defined
(its other registrations are guarded by ``torchvision.extension._has_ops()``).
``transformers`` imports torchvision whenever it is installed, so the same
error stops ``from transformers import BertForSequenceClassification``.

The fix, applied only when the import fails with exactly that error and
torchvision's compiled operators did not load: define the two operators'
schemas (as torchvision's C++ code defines them, with no kernel), forget the
half-imported torchvision modules and import torchvision again. Its models
(``torchvision.models.resnet18``), transforms and datasets then work, in pure
PyTorch, and so does ``transformers``. What stays unavailable is what needs
the compiled operators: ``torchvision.ops.nms`` and ``batched_nms`` (and so
the detection models' post-processing), ``deform_conv2d``, ``roi_pool``,
``ps_roi_*`` and the quantized variants raise torchvision's own "Couldn't load
custom C++ ops" error; ``roi_align`` falls back to its Python implementation.

A matching pair of wheels (torch and torchvision from the same index, e.g.
both CPU builds) needs no fix, and then this module does nothing but import
torchvision. Users never need it: ``docs/install.rst`` tells them to install
matching builds. ``docs/conf.py`` calls :func:`import_torchvision` before the
gallery runs, and the tests call it before importing torchvision or
transformers (``tests/test_recipes.py``), so that the examples show plain
``from torchvision.models import resnet18``.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys

# The error of ``import torchvision`` that the fix is for, word for word.
MISSING_NMS = "operator torchvision::nms does not exist"
# The operators that torchvision/_meta_registrations.py registers unguarded,
# with the schemas of torchvision/csrc/ops/nms.cpp and quantized/cpu/qnms.
SCHEMAS = {
    "nms": "(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
    "qnms": "(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
}


def is_installed():
    """Whether torchvision is installed (without importing it)."""
    return importlib.util.find_spec("torchvision") is not None


def _forget_torchvision():
    for name in list(sys.modules):
        if name == "torchvision" or name.startswith("torchvision."):
            del sys.modules[name]


def _compiled_ops_loaded():
    extension = sys.modules.get("torchvision.extension")
    return extension is not None and extension._has_ops()


def _define_missing_ops():
    import torch

    for name, schema in SCHEMAS.items():
        if not hasattr(torch.ops.torchvision, name):
            torch.library.define(f"torchvision::{name}", schema)


def import_torchvision():
    """``import torchvision``, with the fix above where this machine needs it.

    Returns the torchvision module. Raises ``ImportError`` when torchvision is
    not installed, and any other error of its import unchanged.
    """
    try:
        return importlib.import_module("torchvision")
    except RuntimeError as exc:
        if str(exc) != MISSING_NMS or _compiled_ops_loaded():
            raise
    _forget_torchvision()
    _define_missing_ops()
    return importlib.import_module("torchvision")


def prepare():
    """Import torchvision (fixed) if it is installed, so that ``transformers``,
    which imports it whenever it is installed, can be imported too. Returns
    whether torchvision is installed."""
    if not is_installed():
        return False
    import_torchvision()
    return True


if __name__ == "__main__":  # python docs/_torchvision.py [script.py]: run a script
    import runpy

    prepare()
    if len(sys.argv) > 1:
        sys.argv = sys.argv[1:]
        runpy.run_path(sys.argv[0], run_name="__main__")
