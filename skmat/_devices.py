"""Which torch device a network trains on: checked against this machine."""

from __future__ import annotations

import torch

__all__ = ["check_device", "is_accelerator", "torch_device"]

#: Device types that run a network faster than the CPU for skmat's purposes.
ACCELERATOR_TYPES = ("cuda", "mps")


def is_accelerator(device) -> bool:
    """Whether ``device`` (``None`` is the CPU) is a CUDA or MPS device.

    Examples
    --------
    >>> from skmat._devices import is_accelerator
    >>> is_accelerator(None), is_accelerator("cpu"), is_accelerator("cuda:1")
    (False, False, True)
    """
    return device is not None and torch.device(device).type in ACCELERATOR_TYPES


def torch_device(device) -> torch.device:
    """The ``torch.device`` where a net with this ``device`` keeps its tensors.

    ``None`` (a net that leaves its module where it is) is the CPU, skorch's
    default.

    Examples
    --------
    >>> from skmat._devices import torch_device
    >>> torch_device(None), torch_device("cpu")
    (device(type='cpu'), device(type='cpu'))
    """
    return torch.device("cpu" if device is None else device)


def check_device(device, name: str = "device"):
    """Validate a torch device and that it exists on this machine.

    Parameters
    ----------
    device : str, torch.device or None
        ``"cpu"``, ``"cuda"``, ``"cuda:1"``, ``"mps"``...; ``None`` passes.
    name : str, default="device"
        Parameter name used in error messages.

    Returns
    -------
    device : str or None
        The device as a string (``None`` unchanged).

    Raises
    ------
    ValueError
        If the string is not a torch device, the device is absent, or it holds
        no data (``"meta"``).

    Examples
    --------
    >>> from skmat._devices import check_device
    >>> check_device("cpu")
    'cpu'
    """
    if device is None:
        return None
    try:
        parsed = torch.device(device)
    except (RuntimeError, TypeError, ValueError) as exc:
        raise ValueError(
            f"{name} must be a torch device such as 'cpu', 'cuda' or 'cuda:0'; "
            f"got {device!r}."
        ) from exc
    if parsed.type == "meta":
        raise ValueError(
            f"{name}={device!r} is torch's data-less device: a network cannot train "
            "or predict there; use device='cpu' or an accelerator such as 'cuda'."
        )
    if parsed.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(
                f"{name}={device!r} was requested but CUDA is not available on this "
                "machine (torch.cuda.is_available() is False); use device='cpu'."
            )
        if parsed.index is not None and parsed.index >= torch.cuda.device_count():
            raise ValueError(
                f"{name}={device!r} was requested but this machine has "
                f"{torch.cuda.device_count()} CUDA device(s)."
            )
    elif parsed.type == "mps" and not (
        hasattr(torch.backends, "mps") and torch.backends.mps.is_available()
    ):
        raise ValueError(f"{name}={device!r} was requested but MPS is not available.")
    return str(device) if not isinstance(device, str) else device
