"""CUDA checks that need a real GPU (marked ``gpu``; they skip without one).

``bash benchmarks/gpu.sh`` runs every ``gpu`` test of the suite on a GPU machine.
"""

import os
import pickle
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch
from _estimators import READS_GROUPS, RIVALS, makers

from skmat import MATClassifier
from skmat.datasets import make_spurious_classification
from skmat.mlp import mlp_net

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device"),
]

X, Y, G = make_spurious_classification(200, 8, random_state=0)


def _net():
    return mlp_net((16,), max_epochs=5, batch_size=32)


# The shared table, on the GPU; the fold nets trained together with three folds.
ESTIMATORS = makers(
    ["MAT-cv-net", "MAT-cv-together", "MAT-xrm", "GroupDRO", *RIVALS],
    net=_net,
    params={"device": "cuda"},
    variants={"MAT-cv-together": {"cv": 3}},
)

_LOAD_AND_PREDICT = textwrap.dedent(
    """
    import pickle, sys, warnings
    import numpy as np, torch
    assert not torch.cuda.is_available()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with open(sys.argv[1], "rb") as fh:
            model = pickle.load(fh)
    assert any("DeviceWarning" in type(w.message).__name__ for w in caught)
    X = np.load(sys.argv[2])
    np.save(sys.argv[3], model.predict_proba(X))
    """
)


@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_cuda_fitted_model_predicts_the_same_in_a_cpu_only_process(tmp_path, name):
    # Fitted on the GPU, pickled, loaded where CUDA is hidden: skorch maps the
    # nets to the CPU (with a DeviceWarning) and the probabilities agree up to
    # the float32 rounding of different kernels (tolerance 1e-5).
    model = ESTIMATORS[name]()
    if name in READS_GROUPS:
        model.fit(X, Y, groups=G)
    else:
        model.fit(X, Y)
    assert next(model.estimator_.module_.parameters()).is_cuda
    on_gpu = model.predict_proba(X)
    with open(tmp_path / "model.pkl", "wb") as fh:
        pickle.dump(model, fh)
    np.save(tmp_path / "X.npy", X)
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": ""}
    subprocess.run(
        [
            sys.executable,
            "-c",
            _LOAD_AND_PREDICT,
            str(tmp_path / "model.pkl"),
            str(tmp_path / "X.npy"),
            str(tmp_path / "proba.npy"),
        ],
        env=env,
        check=True,
    )
    on_cpu = np.load(tmp_path / "proba.npy")
    np.testing.assert_allclose(on_cpu, on_gpu, rtol=0, atol=1e-5)


def test_every_network_of_a_fit_trains_on_the_gpu():
    clf = MATClassifier(
        _net(), cv=3, folds_together=True, device="cuda", random_state=0
    )
    clf.fit(X, Y)
    for net in [*clf.holdout_estimators_, clf.estimator_]:
        assert all(p.is_cuda for p in net.module_.parameters())
    xrm = MATClassifier(_net(), holdout="xrm", device="cuda", random_state=0).fit(X, Y)
    assert all(p.is_cuda for p in xrm.xrm_.module_.parameters())
    assert xrm.xrm_.module_.uses_vmap((torch.zeros(2, 8, device="cuda"),), {})
