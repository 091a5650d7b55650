"""Test-session settings shared by tests/ and the doctests in skmat/."""

import importlib.util

import pytest

if importlib.util.find_spec("matplotlib") is None:
    # The plot module's doctests need the optional `plot` extra.
    collect_ignore = ["skmat/plot.py"]
else:
    import matplotlib

    matplotlib.use("Agg")


@pytest.fixture(autouse=True, scope="session")
def _one_torch_thread():
    # The suite trains many tiny networks: on a 2-core machine, torch's thread
    # hand-offs cost more than they gain for them (measured 5-10x slower).
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)
