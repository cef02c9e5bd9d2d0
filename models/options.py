"""Command-line building blocks shared by ``aicredit run`` (:mod:`models.cli`) and the sweep
commands (:mod:`models.sweep`, :mod:`models.sensitivity`): the usage error, whole-number option
types, the one reader of option values written as TOML and the figure formats.

A bottom module: it imports nothing from the project, so every command-line module can use it
without an import cycle.
"""
from __future__ import annotations

import argparse
import difflib
import tomllib
from collections.abc import Iterable

__all__ = ["UsageError", "FIGURE_FORMATS", "did_you_mean", "int_arg", "positive_int", "toml_value"]

#: The file formats of every figure the commands write (``aicredit run --format``, ``aicredit
#: compare --format``, :func:`aicredit.models.report.plot_run`): the one list.
FIGURE_FORMATS = ("png", "pdf", "svg")


class UsageError(Exception):
    """A mistake in the command line: reported in one line, exit code 2."""


def did_you_mean(word, choices: Iterable) -> str:
    """``"; did you mean 'a'?"`` (or ``'a' or 'b'``) naming the ``choices`` closest to a
    misspelt ``word``, else ``""``: appended to the one-line message of an unknown command,
    scenario or parameter key. The closest by :func:`difflib.get_close_matches`, with up to two
    more only if about as close (similarity within 0.1), so that ``demand_shok_size`` names
    ``demand_shock_size`` alone while ``ltv_max`` may name several."""
    def similarity(choice):
        return difflib.SequenceMatcher(None, str(word), choice).ratio()

    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=3, cutoff=0.6)
    if not close:
        return ""
    close = [c for c in close if similarity(c) >= similarity(close[0]) - 0.1]
    quoted = [f"'{c}'" for c in close]
    names = quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"
    return f"; did you mean {names}?"


def toml_value(text: str):
    """An option's value read as a TOML value (``0.5``, ``3``, ``true``, ``[1, 2]``), else the
    text itself as a string. The text is read as given (callers strip it if they mean to)."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def int_arg(name: str, minimum: int):
    """An argparse type: a whole number >= ``minimum``, or a one-line error naming ``name``."""
    def conv(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{name} must be >= {minimum}, got {value}")
        return value
    return conv


def positive_int(name: str):
    """An argparse type for counts (>= 1): ``--steps``, ``--workers``."""
    return int_arg(name, 1)
