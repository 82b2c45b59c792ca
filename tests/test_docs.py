"""Every document the code cites is in the repository, and the documents' own links hold.

A maintainer who clones kneeviz must be able to read what a comment points at: a `.md` document
named in src/, tests/, benchmarks/, scripts/ or packaging/ must exist in the repository (a bare
name anywhere in it, `docs/model.md` and other paths from the top), never outside it
(`../shared/...`); a "section N" or a quoted section name after a document's name must be a
heading of it; a `tests/...py` or `benchmarks/...py` file named anywhere, in the code or the
documents, must exist (and a `path::test_name` its test). Test DATA beside the repository
(../shared/meshes, ../shared/motions) is not a document and is not checked here. The links of
README.md and docs/*.md must point at files (and headings) that exist.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CODE_DIRS = ("src", "tests", "benchmarks", "scripts", "packaging")
CODE_FILES = ("Makefile", "pyproject.toml")
TEXT_SUFFIXES = {".py", ".sh", ".spec", ".toml", ".txt", ".cfg", ".desktop", ".ini", ""}

DOC_REF = re.compile(r"(?<![\w/.~-])((?:\.\./|[\w.-]+/)*[\w-][\w.-]*\.md)\b")
SECTION_REF = re.compile(r"([\w./-]*\w\.md),?\s+section\s+(\d+(?:\.\d+)*)")
NAMED_REF = re.compile(r"([\w./-]*\w\.md)[,:]?\s+\(?\"([^\"]+)\"")
FILE_REF = re.compile(r"(?<![\w/.-])((?:tests|benchmarks)/[\w/]+\.py)(?:::(\w+\*?))?")
MD_LINK = re.compile(r"\]\(([^)\s#]*)(?:#([^)\s]*))?\)")


def _tracked_names() -> set[str]:
    """File names anywhere in the repository (git's list where there is one, else the tree)."""
    try:
        out = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout.split()
        if out:
            return {Path(p).name for p in out} | {p.name for p in (ROOT / "docs").glob("*.md")}
    except (OSError, subprocess.CalledProcessError):
        pass
    return {p.name for p in ROOT.rglob("*.md") if ".venv" not in p.parts}


NAMES = _tracked_names()


def doc_problem(ref: str) -> str | None:
    """Why `ref` (a .md name as written in the code) is not a document of this repository."""
    if ref.startswith(("../", "/")) or "shared/" in ref:
        return "lies outside the repository"
    if "/" in ref:
        return None if (ROOT / ref).is_file() else "no such file in the repository"
    return None if ref in NAMES else "no document of that name in the repository"


def _headings(doc: Path) -> set[str]:
    """Section numbers of a markdown document ("## 4. ..." or "### 4.5 ..." -> "4", "4.5")."""
    out = set()
    for line in doc.read_text(encoding="utf-8").splitlines():
        m = re.match(r"#+\s+(\d+(?:\.\d+)*)\.?\s", line)
        if m:
            out.add(m.group(1))
    return out


def anchors(doc: Path) -> set[str]:
    """The anchors a markdown viewer gives a document's headings (GitHub's rule: lower case,
    punctuation dropped, spaces to hyphens)."""
    out = set()
    for line in doc.read_text(encoding="utf-8").splitlines():
        m = re.match(r"#+\s+(.*?)\s*$", line)
        if m:
            words = re.sub(r"[^\w\- ]", "", m.group(1).lower())
            out.add(words.replace(" ", "-"))
    return out


def heading_texts(doc: Path) -> list[str]:
    """Each heading's words, numbering dropped, lower case ("## 4.5 The solver" -> "the solver")."""
    out = []
    for line in doc.read_text(encoding="utf-8").splitlines():
        m = re.match(r"#+\s+(?:\d+(?:\.\d+)*\.?\s+)?(.*?)\s*$", line)
        if m:
            out.append(m.group(1).lower())
    return out


def _doc_path(ref: str) -> Path | None:
    if "/" in ref:
        return ROOT / ref
    for candidate in (ROOT / "docs" / ref, ROOT / ref):
        if candidate.is_file():
            return candidate
    return None


def file_problem(path: str, test: str | None) -> str | None:
    p = ROOT / path
    if not p.is_file():
        return "no such file"
    if test:
        prefix = test.rstrip("*")
        pattern = rf"def {re.escape(prefix)}{'' if test.endswith('*') else '[(]'}"
        if not re.search(pattern, p.read_text(encoding="utf-8")):
            return f"no test {test} in it"
    return None


def problems_in(text: str, check_docs: bool = True) -> list[str]:
    """Every broken reference in `text`, as "reference: why"."""
    out = []
    if check_docs:
        for m in DOC_REF.finditer(text):
            why = doc_problem(m.group(1))
            if why:
                out.append(f"{m.group(1)}: {why}")
        for m in SECTION_REF.finditer(text):
            doc = _doc_path(m.group(1))
            if doc is not None and doc.is_file() and m.group(2) not in _headings(doc):
                out.append(f"{m.group(1)} section {m.group(2)}: no such section")
        for m in NAMED_REF.finditer(text):
            doc = _doc_path(m.group(1))
            name = " ".join(m.group(2).split()).lower()
            if doc is not None and doc.is_file() and not any(
                    h.startswith(name) for h in heading_texts(doc)):
                out.append(f'{m.group(1)} "{m.group(2)}": no such section')
    for m in FILE_REF.finditer(text):
        why = file_problem(m.group(1), m.group(2))
        if why:
            out.append(f"{m.group(0)}: {why}")
    return out


def _code_files() -> list[Path]:
    files = [ROOT / f for f in CODE_FILES]
    for d in CODE_DIRS:
        files += [p for p in (ROOT / d).rglob("*") if p.is_file()
                  and p.suffix in TEXT_SUFFIXES and "__pycache__" not in p.parts]
    return sorted(files)


def _docs() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


@pytest.mark.parametrize("path", _code_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_the_code_cites_only_documents_in_the_repository(path: Path) -> None:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        pytest.skip("not a text file")
    problems = problems_in(text)
    assert not problems, f"{path.relative_to(ROOT)}: " + "; ".join(problems)


@pytest.mark.parametrize("path", _docs(), ids=lambda p: str(p.relative_to(ROOT)))
def test_the_documents_links_and_named_files_exist(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    problems = problems_in(text, check_docs=False)
    for m in MD_LINK.finditer(text):
        target, anchor = m.group(1), m.group(2)
        if re.match(r"[a-z]+:", target):  # https:, mailto:
            continue
        linked = path.parent / target if target else path
        if not linked.exists():
            problems.append(f"link {target}: no such file")
        elif anchor and linked.suffix == ".md" and anchor not in anchors(linked):
            problems.append(f"link {target}#{anchor}: no such heading")
    assert not problems, f"{path.relative_to(ROOT)}: " + "; ".join(problems)


def test_the_checks_can_fail() -> None:
    """The checker itself finds what it is for (so the tests above are not vacuous)."""
    md = "." + "md"
    assert problems_in(f"see ../shared/design/model{md} for the flow")
    assert problems_in(f"(shared/reference/literature{md} section 5)")
    assert problems_in(f"the ecosystem{md} notes")
    assert problems_in(f"docs/model{md} section 99")
    assert problems_in(f'docs/architecture{md}, "Reading tea leaves"')
    assert not problems_in(f'docs/architecture{md}, "Reading meshes"')
    assert problems_in("held by tests/" + "test_nothing_here.py")
    assert problems_in("tests/test_docs.py::" + "test_that_is_not_there")
    assert not problems_in(f"docs/model{md} section 4.5 and docs/literature{md} section 7")
    assert not problems_in("tests/test_docs.py::" + "test_the_checks_can_fail")
    assert "the-knees-model-4-and-a-knee-mri" in anchors_of("## The knee's model: 4 and a knee MRI")


def anchors_of(text: str) -> set[str]:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        doc = Path(tmp) / "doc"
        doc.write_text(text, encoding="utf-8")
        return anchors(doc)
