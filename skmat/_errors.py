"""How skmat's error messages name the parameter they are about."""

from __future__ import annotations

import re

__all__ = ["naming"]


def naming(exc, name, hint=""):
    """``exc`` again (ValueError or TypeError), its message naming ``name``.

    scikit-learn's validation messages do not always say which input they are
    about ("Found array with dim 3", "Unknown label type: continuous"); they are
    kept whole, after the parameter's name.
    """
    message = str(exc)
    if not re.search(rf"\b{re.escape(name)}\b", message):
        message = f"Invalid {name}: {message}"
    cls = TypeError if isinstance(exc, TypeError) else ValueError
    return cls(message + hint)
