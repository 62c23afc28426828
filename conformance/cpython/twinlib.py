"""The CPython side of a twin's helpers (conformance/cpython/twin.hpp)."""

import sys


def line(*parts):
    """print() with a flush, so the order survives fork like twin::line."""
    print(*parts, sep="", flush=True)


def describe(fn):
    """'no exception', or the exception as type(e).__name__ + ': ' + str(e)."""
    try:
        fn()
        return "no exception"
    except BaseException as e:  # noqa: B902 - SystemExit is part of transcripts
        return "%s: %s" % (type(e).__name__, e)
