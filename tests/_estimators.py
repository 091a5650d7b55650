"""The one table of estimators that the cross-cutting test modules run through
(bad input, input kinds, reliability, GPU).

Each row names an estimator class and its parameters besides the network and
``random_state``; :func:`makers` turns rows into makers of fresh, seeded
estimators around a module's own small net. A module that needs a variant (more
folds, a device) derives it with ``params`` or ``variants``, never by copying the
table.
"""

import copy

from sklearn.linear_model import LogisticRegression

from skmat import (
    AFRClassifier,
    DFRClassifier,
    ERMClassifier,
    GroupDROClassifier,
    GroupReweightingClassifier,
    JTTClassifier,
    LfFClassifier,
    LogitAdjustedClassifier,
    LogitCorrectionClassifier,
    MATClassifier,
    XRMGroupDROClassifier,
)
from skmat.mlp import mlp_net


def tiny_net(**params):
    """The small, quick net of the cross-cutting modules: one hidden layer of 8,
    3 epochs (``params`` on top)."""
    return mlp_net((8,), **{"max_epochs": 3, **params})


#: name -> (estimator class, parameters besides ``estimator`` and ``random_state``)
TABLE = {
    # held-out probabilities from a cheap scikit-learn model
    "MAT-cv": (MATClassifier, {"holdout_estimator": LogisticRegression(), "cv": 2}),
    # held-out copies of the net (holdout_estimator=None), fitted one by one
    "MAT-cv-net": (MATClassifier, {"cv": 2}),
    # held-out fold nets trained together (skmat.together)
    "MAT-cv-together": (MATClassifier, {"cv": 2, "folds_together": True}),
    "MAT-xrm": (MATClassifier, {"holdout": "xrm"}),
    # fitted with fit(..., holdout_proba=...): no held-out phase
    "MAT-holdout_proba": (MATClassifier, {}),
    "ERM": (ERMClassifier, {}),
    "GroupReweighting": (GroupReweightingClassifier, {}),
    "GroupDRO": (GroupDROClassifier, {}),
    "JTT": (JTTClassifier, {"first_epochs": 1}),
    "LogitAdjusted": (LogitAdjustedClassifier, {}),
    # the rivals of the paper's Table 1, at small settings
    "LfF": (LfFClassifier, {}),
    "LC": (LogitCorrectionClassifier, {"bias_epochs": 1}),
    "uLA": (LogitCorrectionClassifier, {"prior": "conditional", "bias_epochs": 1}),
    "DFR": (DFRClassifier, {"n_refits": 2}),
    "AFR": (AFRClassifier, {"last_layer_epochs": 10}),
    "XRM-GroupDRO": (XRMGroupDROClassifier, {}),
}

#: Estimators whose ``fit`` needs ``groups``.
NEEDS_GROUPS = frozenset({"GroupReweighting", "GroupDRO"})
#: Estimators fitted with ``groups`` (DFR reads them when given).
READS_GROUPS = NEEDS_GROUPS | {"DFR"}
#: The rivals of the paper's Table 1 added to the table.
RIVALS = ("LfF", "LC", "uLA", "DFR", "AFR", "XRM-GroupDRO")


def make(name, net=None, **params):
    """A fresh estimator of row ``name``: seeded (``random_state=0``) around
    ``net`` (or ``params["estimator"]``); ``params`` override the row's."""
    cls, defaults = TABLE[name]
    if net is not None:
        params.setdefault("estimator", net)
    return cls(**{"random_state": 0, **copy.deepcopy(defaults), **params})


def makers(names, net=None, params=None, variants=None):
    """``{name: maker}`` for the rows ``names``, in that order.

    ``maker(**kwargs)`` is :func:`make` around a fresh ``net()`` (when ``net``
    is given), with ``params`` (for every row), then ``variants[name]``, then
    ``kwargs`` on top of the row's parameters.
    """
    variants = variants or {}
    unknown = set(variants) - set(names)
    if unknown:
        raise KeyError(f"variants of rows not selected: {sorted(unknown)}")

    def maker_of(name):
        def maker(**kwargs):
            chosen = {**(params or {}), **variants.get(name, {}), **kwargs}
            if net is not None and "estimator" not in chosen:
                chosen["estimator"] = net()
            return make(name, **chosen)

        return maker

    return {name: maker_of(name) for name in names}

