"""torch's intra-op thread count for a block, restored after it (tests that pin
it say why: speed, or the thread count under test)."""

import contextlib

import torch


@contextlib.contextmanager
def torch_threads(n):
    """Run the block with ``torch.set_num_threads(n)``, then restore the count."""
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)
