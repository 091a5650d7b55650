"""Test-session settings shared by tests/ and the doctests in skmat/.

The suite runs with torch's default number of threads, as users do: nothing
here pins it. A few test modules of tiny networks pin one thread for their own
tests, for speed only (torch's thread hand-offs cost more than they gain on
such nets), and say so.
"""

import importlib.util

if importlib.util.find_spec("matplotlib") is None:
    # The plot module's doctests need the optional `plot` extra.
    collect_ignore = ["skmat/plot"]
else:
    import matplotlib

    matplotlib.use("Agg")
