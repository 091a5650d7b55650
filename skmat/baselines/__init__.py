"""Baselines that MAT is compared against, in the same API as MATClassifier.

Classifiers that train the same kind of skorch network as
:class:`~skmat.MATClassifier` (``estimator=None`` is the same default MLP, any
``NeuralNetClassifier`` spec can be shared between them), on the same fit
skeleton (:mod:`skmat._base`), and predict the same way, from the network's
logits alone. By mechanism:

- the plain loss and a constant shift: :class:`ERMClassifier` (empirical risk
  minimization) and :class:`LogitAdjustedClassifier` (logit-adjusted loss by
  the class prior, Menon et al., 2021: MAT's loss with the same shift on every
  row);
- a reweighted loss: :class:`GroupReweightingClassifier` (each example
  weighted inversely to the size of its group; needs group labels),
  :class:`GroupDROClassifier` (GroupDRO's online minimax over groups, Sagawa
  et al., 2020; needs group labels) and :class:`JTTClassifier` (Just Train
  Twice, Liu et al., 2021: the errors of a briefly trained identification
  model upweighted in a second training; no group labels);
- a bias model: :class:`LfFClassifier` (Learning from Failure, Nam et al.,
  2020: a debiased copy weighted by relative difficulty beside a GCE-trained
  biased copy) and :class:`LogitCorrectionClassifier` (logit correction, Liu
  et al., 2023, and uLA, Tsirigotis et al., 2023: logits shifted by a bias
  model's per-batch prior);
- the last layer refitted: :class:`DFRClassifier` (Deep Feature Reweighting,
  Kirichenko et al., 2023: on group-balanced held-out rows) and
  :class:`AFRClassifier` (Automatic Feature Reweighting, Qiu et al., 2023: on
  reweighted held-out rows);
- inferred groups: :class:`XRMGroupDROClassifier` (GroupDRO on the groups XRM
  infers).

:ref:`choosing_a_method` says what each needs and costs. All of them take
``fit(X, y, *, groups=None, sample_weight=None)``; DFR and AFR also
``last_layer_rows``, LC/uLA ``bias_proba``. Group labels are an explicit fit
parameter, like ``sample_weight`` in scikit-learn: required by the two group
methods, read by DFR, ignored by the others (which accept them so that one
loop can fit every baseline). Under metadata routing (``sklearn.set_config(
enable_metadata_routing=True)``) a meta-estimator such as
:class:`~sklearn.model_selection.GridSearchCV` passes ``groups`` to
``GroupReweightingClassifier.fit`` and ``GroupDROClassifier.fit`` once they are
requested with ``set_fit_request(groups=True)``; the group-free baselines
declare ``groups`` unused, so they never ask for it. The losses the methods add
to the network are the mixins of :mod:`skmat.losses`, :mod:`skmat.bias` and
:mod:`skmat.lff`.

Seeding: with an int ``random_state`` every baseline seeds its final network with
the same value as :class:`~skmat.MATClassifier` seeds its own final network (and
a two-stage baseline seeds its first model like MAT's held-out network), so with
the same ``random_state`` and data the methods start from identical weights and
batch orders: differences in the results come from the methods alone.
"""

from ._bias_model import LfFClassifier, LogitCorrectionClassifier
from ._erm import ERMClassifier, LogitAdjustedClassifier
from ._last_layer import AFRClassifier, DFRClassifier, afr_weights
from ._reweighting import GroupDROClassifier, GroupReweightingClassifier, JTTClassifier
from ._xrm_group_dro import XRMGroupDROClassifier

__all__ = [
    "ERMClassifier",
    "GroupReweightingClassifier",
    "GroupDROClassifier",
    "JTTClassifier",
    "LogitAdjustedClassifier",
    "LfFClassifier",
    "LogitCorrectionClassifier",
    "DFRClassifier",
    "AFRClassifier",
    "XRMGroupDROClassifier",
    "afr_weights",
]
