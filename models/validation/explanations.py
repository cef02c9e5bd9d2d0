"""The explanations of the validation's findings, read from ``explanations.md`` beside this
module (shipped as package data), so that a regenerated ``docs/validation.md`` keeps them.

The file's format (its own introduction says it too): one section per finding,

.. code-block:: markdown

    ## experiment / output

    checked on 0.4.0

    also explains: other_experiment / output; ...

    The finding, one paragraph (its lines are joined with spaces).

``experiment`` ``*`` applies to every experiment without its own note for that output;
``checked on`` is the model version (``models/version.py``) on which the finding was last
checked; the ``also explains`` line is optional.
"""
from __future__ import annotations

import dataclasses
import re
from pathlib import Path

__all__ = ["EXPLANATIONS_PATH", "Explanation", "load_explanations", "explanation_for"]

EXPLANATIONS_PATH = Path(__file__).resolve().parent / "explanations.md"

_HEADING = re.compile(r"^## (\S+) / (\S+)$")
_CHECKED = re.compile(r"^checked on (\d+\.\d+\.\d+)$")
_ALSO = "also explains:"


@dataclasses.dataclass(frozen=True)
class Explanation:
    """One finding: its text, the model version it was checked on and the ``(experiment,
    output)`` pairs it explains (its heading's first)."""

    text: str
    checked_on: str
    keys: tuple[tuple[str, str], ...]


def _pair(text: str, where: str) -> tuple[str, str]:
    exp, sep, key = (p.strip() for p in text.partition("/"))
    if not sep or not exp or not key:
        raise ValueError(f"{where}: {text!r} is not 'experiment / output'")
    return exp, key


def _parse_section(heading: str, lines: list[str], where: str) -> Explanation:
    m = _HEADING.match(heading)
    if m is None:
        raise ValueError(f"{where}: heading {heading!r} is not '## experiment / output'")
    body = [ln.strip() for ln in lines]
    first = [ln for ln in body if ln]
    checked = _CHECKED.match(first[0]) if first else None
    if checked is None:
        raise ValueError(f"{where}: the section {heading[3:]!r} does not start with 'checked on X.Y.Z'")
    rest = first[1:]
    keys = [(m.group(1), m.group(2))]
    if rest and rest[0].startswith(_ALSO):
        keys += [_pair(p, where) for p in rest[0][len(_ALSO):].split(";") if p.strip()]
        rest = rest[1:]
    if not rest:
        raise ValueError(f"{where}: the section {heading[3:]!r} has no text")
    return Explanation(" ".join(rest), checked.group(1), tuple(keys))


def load_explanations(path: str | Path = EXPLANATIONS_PATH) -> dict[tuple[str, str], Explanation]:
    """``{(experiment, output): Explanation}`` from the Markdown file (every pair a section's
    heading or ``also explains`` line names)."""
    path = Path(path)
    sections: list[tuple[str, list[str]]] = []
    for line in path.read_text().splitlines():
        if line.startswith("## "):
            sections.append((line.strip(), []))
        elif sections:
            sections[-1][1].append(line)
    out: dict[tuple[str, str], Explanation] = {}
    for heading, lines in sections:
        ex = _parse_section(heading, lines, str(path))
        for key in ex.keys:
            if key in out:
                raise ValueError(f"{path}: {key[0]} / {key[1]} is explained twice")
            out[key] = ex
    return out


def explanation_for(explanations: dict, experiment: str, output: str) -> str | None:
    """The text explaining ``output`` in ``experiment`` (its own note, else the ``*`` note for
    the output), or None."""
    ex = explanations.get((experiment, output), explanations.get(("*", output)))
    return None if ex is None else ex.text
