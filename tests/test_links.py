"""The repository is self-contained: every citation, link and documentation path resolves in it.

- every ``[F#]`` / ``[R#]`` cited anywhere (code, docs, scenarios, notebooks) is explained in
  ``docs/sources.md``, which has an anchor per entry (``docs/sources.md#f13``);
- every relative Markdown link (``[text](path#anchor)``, in ``.md`` files and notebooks'
  Markdown cells) points at a file inside the repository and, for a Markdown target, at an
  explicit ``id`` or a heading of it;
- every ``docs/...`` path cited in a docstring, comment or text resolves from the root;
- nothing points at the design inputs outside the repository or at a machine's paths.
"""
from __future__ import annotations

import json
import re
import subprocess
from functools import cache, lru_cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "docs" / "sources.md"

#: Files whose text is checked, by suffix.
TEXT_SUFFIXES = {".py", ".pyx", ".md", ".toml", ".ipynb", ".sh", ".yaml", ".yml", ".cfg", ".txt"}
#: Files where ``[F#]`` / ``[R#]`` citations are collected.
CITING_SUFFIXES = {".py", ".pyx", ".md", ".toml", ".ipynb"}
_SKIP_DIRS = {".git", "build", "results", "test-artifacts", ".venv", "__pycache__",
              ".pytest_cache", ".hypothesis"}

# built from parts so that this file does not match itself
_FORBIDDEN = ["../" + "shared", "shared/" + "seeds", "shared/" + "spec", "shared/" + "notes",
              "/" + "work/", "/" + "check/"]


@lru_cache(maxsize=1)
def repo_files() -> tuple[Path, ...]:
    """Tracked and untracked-but-not-ignored text files (the filesystem if git is missing)."""
    try:
        out = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT,
                             capture_output=True, check=True, text=True).stdout
        paths = [ROOT / p for p in out.split("\0") if p]
    except (OSError, subprocess.CalledProcessError):
        paths = [p for p in ROOT.rglob("*")
                 if not _SKIP_DIRS.intersection(p.relative_to(ROOT).parts)
                 and not any(part.endswith(".egg-info") for part in p.parts)]
    return tuple(sorted(p for p in paths if p.suffix in TEXT_SUFFIXES and p.is_file()))


@cache
def text_of(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace")


def rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


# --------------------------------------------------------------------------- citations

_CITATION = re.compile(r"\[((?:[FR]\d+)(?:\s*(?:,|-|–|\.\.)\s*[FR]?\d+)*)\]")
_ITEM = re.compile(r"([FR])(\d+)(?:\s*(?:-|–|\.\.)\s*([FR])?(\d+))?")


def cited_ids(text: str) -> set[str]:
    """``{"F13", "R5", ...}`` from ``[F13]``, ``[F10, F13]``, ``[F1-F10]``, ``[F24, R5]``."""
    ids = set()
    for group in _CITATION.finditer(text):
        for item in _ITEM.finditer(group.group(1)):
            kind, first, kind2, last = item.groups()
            if last is None:
                ids.add(f"{kind}{first}")
            elif (kind2 or kind) == kind:
                ids.update(f"{kind}{k}" for k in range(int(first), int(last) + 1))
            else:
                ids.update({f"{kind}{first}", f"{kind2}{last}"})
    return ids


def explicit_ids(markdown: str) -> set[str]:
    return set(re.findall(r"""<a\s+(?:id|name)=["']([^"']+)["']""", markdown))


def test_citation_parser():
    assert cited_ids("x [F10, F13] y [F1-F3] z [F1–F2, R5] [R#] [F#] a[0]") == {
        "F10", "F13", "F1", "F2", "F3", "R5"}
    assert cited_ids("[F1]..[F34]") == {"F1", "F34"}


def test_sources_page_explains_every_fact():
    anchors = explicit_ids(text_of(SOURCES))
    missing = [f"F{k}" for k in range(1, 35) if f"f{k}" not in anchors]
    assert not missing, f"docs/sources.md has no entry (anchor) for {missing}"


def test_every_cited_fact_and_reference_is_in_sources():
    anchors = explicit_ids(text_of(SOURCES))
    missing: dict[str, list[str]] = {}
    for path in repo_files():
        if path.suffix not in CITING_SUFFIXES:
            continue
        for cid in sorted(cited_ids(text_of(path))):
            if cid.lower() not in anchors:
                missing.setdefault(cid, []).append(rel(path))
    assert not missing, f"cited but not explained in docs/sources.md: {missing}"


# --------------------------------------------------------------------------- Markdown links

_FENCE = re.compile(r"^(```|~~~).*?^\1", re.S | re.M)
_INLINE_CODE = re.compile(r"`[^`\n]*`")
_LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_HEADING = re.compile(r"^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$", re.M)


def _strip_code(markdown: str) -> str:
    return _INLINE_CODE.sub("", _FENCE.sub("", markdown))


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: rendered text, lower case, punctuation dropped, '-' for spaces."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)      # links: their text
    text = re.sub(r"<[^>]+>", "", text)                            # inline HTML
    text = text.replace("`", "").replace("*", "").lower().strip()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


@cache
def anchors_of(path: Path) -> frozenset[str]:
    markdown = text_of(path)
    found = set(explicit_ids(markdown))
    seen: dict[str, int] = {}
    for match in _HEADING.finditer(_FENCE.sub("", markdown)):
        base = slug(match.group(1))
        n = seen.get(base, 0)
        seen[base] = n + 1
        found.add(base if n == 0 else f"{base}-{n}")
    return frozenset(found)


def markdown_sources() -> list[tuple[Path, str]]:
    """(file, Markdown text): ``.md`` files and the Markdown cells of notebooks."""
    out = []
    for path in repo_files():
        if path.suffix == ".md":
            out.append((path, text_of(path)))
        elif path.suffix == ".ipynb":
            cells = json.loads(text_of(path)).get("cells", [])
            out += [(path, "".join(c.get("source", []))) for c in cells
                    if c.get("cell_type") == "markdown"]
    return out


def check_target(base_dir: Path, target: str, origin: Path) -> str | None:
    """None if ``target`` (``path``, ``path#anchor`` or ``#anchor``) resolves, else why not."""
    path_part, _, anchor = target.partition("#")
    dest = origin if not path_part else (base_dir / path_part).resolve()
    try:
        dest.relative_to(ROOT)
    except ValueError:
        return f"{target}: outside the repository"
    if not dest.exists():
        return f"{target}: no such file"
    if anchor and dest.is_file() and dest.suffix == ".md" and anchor not in anchors_of(dest):
        return f"{target}: no heading or id '{anchor}' in {rel(dest)}"
    return None


def test_relative_markdown_links_resolve():
    broken = []
    for path, markdown in markdown_sources():
        for match in _LINK.finditer(_strip_code(markdown)):
            target = match.group(1)
            if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I):      # http:, https:, mailto:
                continue
            why = check_target(path.parent, target, path)
            if why:
                broken.append(f"{rel(path)}: {why}")
    assert not broken, "broken links:\n" + "\n".join(broken)


# --------------------------------------------------------------------------- docs paths in text

_DOCS_PATH = re.compile(r"(?<![\w./-])docs/[\w./-]*\.(?:md|png|ipynb)(?:#[\w-]+)?")


def test_docs_paths_cited_in_text_resolve():
    broken = []
    for path in repo_files():
        for match in _DOCS_PATH.finditer(text_of(path)):
            why = check_target(ROOT, match.group(0), path)
            if why:
                broken.append(f"{rel(path)}: {why}")
    assert not broken, "docs paths that do not resolve:\n" + "\n".join(sorted(set(broken)))


# --------------------------------------------------------------------------- nothing outside

@pytest.mark.parametrize("needle", _FORBIDDEN)
def test_nothing_points_outside_the_repository(needle):
    hits = [rel(p) for p in repo_files() if needle in text_of(p)]
    assert not hits, f"{needle!r} is mentioned in {hits}; cite the repository's own docs/ instead"
