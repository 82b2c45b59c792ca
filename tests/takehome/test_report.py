"""The take-home report (kneeviz.takehome.report) read back as a reader would: poppler's pdftotext
finds the readouts' values, the story's sentences, the note, the date and the version; the fonts
are embedded; the underside maps are embedded at print resolution without JPEG; it is one page
unless a long note needs a second; every picture names its outer and inner sides.

Needs poppler-utils (pdftotext, pdfinfo, pdffonts, pdfimages: scripts/system-deps.sh installs
them); each test skips with the reason when they are absent.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from takehome_fixtures import take_home

POPPLER = ("pdftotext", "pdfinfo", "pdffonts", "pdfimages")
pytestmark = pytest.mark.skipif(
    any(shutil.which(t) is None for t in POPPLER),
    reason="poppler-utils (pdftotext, pdfinfo, pdffonts, pdfimages) is not installed: "
           "apt-get install poppler-utils (scripts/system-deps.sh)",
)


def run(*argv: str | Path) -> str:
    return subprocess.run([str(a) for a in argv], capture_output=True, text=True, check=True,
                          timeout=60).stdout


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory, qapp):  # type: ignore[no-untyped-def]
    from kneeviz.takehome.report import write_report

    c = take_home("pfp", note="Side-lying hip exercises twice a day.",
                  clinician="Dr A. Example")
    path = tmp_path_factory.mktemp("report") / "report.pdf"
    written, pages = write_report(path, c)
    assert written == path
    return c, path, pages


def words(path: Path) -> str:
    """pdftotext's text with runs of white space as one space (the table's layout aside)."""
    return re.sub(r"\s+", " ", run("pdftotext", path, "-"))


def test_pdftotext_finds_the_readouts_values(report) -> None:  # type: ignore[no-untyped-def]
    c, path, _ = report
    text = run("pdftotext", "-layout", path, "-")
    lines = text.splitlines()
    table = lines[next(k for k, ln in enumerate(lines) if "The numbers" in ln):]
    for m, cells in c.numbers():
        label = f"{m.label}, {m.unit}" if m.unit else m.label
        row = next((ln for ln in table if label in ln), None)
        assert row is not None, f"no row for {label!r}"
        numbers = row.split(label, 1)[1].split()
        expect = [v for pair in cells for v in pair]
        assert numbers == expect, (m.label, numbers, expect)


def test_the_page_says_who_when_what_and_its_limits(report) -> None:  # type: ignore[no-untyped-def]
    from kneeviz import __version__
    from kneeviz.takehome.content import LIMITS_LINE

    c, path, pages = report
    text = words(path)
    for sentence in c.sentences():
        assert sentence in text
    assert "Side-lying hip exercises twice a day." in text
    assert "Dr A. Example" in text
    assert c.made_on.isoformat() in text and f"kneeviz {__version__}" in text
    assert LIMITS_LINE[:60] in text
    assert "Typical PFP" in text and "femoral internal rotation 8 deg" in text
    assert pages == 1 and "Pages: 1" in run("pdfinfo", path).replace("  ", "")


def test_every_picture_names_its_outer_and_inner_sides(report) -> None:  # type: ignore[no-untyped-def]
    _c, path, _ = report
    text = words(path)
    # the four slices are vector text: each says both sides
    assert text.count("outer (lateral)") == 4 and text.count("inner (medial)") == 4
    # the underside maps are a picture: their labels are pixels, so the legend says how each is
    # seen, and the curves say which way is outward
    assert "outer side is on the left" in text  # this right knee's slices, seen from the feet
    assert text.count("(+ outward)") >= 2


def test_fonts_are_embedded_and_pictures_are_lossless_at_print_resolution(report) -> None:  # type: ignore[no-untyped-def]
    from kneeviz.takehome.report import PRINT_DPI

    _c, path, _ = report
    fonts = run("pdffonts", path).splitlines()[2:]
    assert fonts, "no fonts: the text is not text"
    for line in fonts:
        assert re.search(r"\byes\b", line.split("Identity-H")[-1] if "Identity-H" in line
                         else line), f"a font is not embedded: {line}"
    images = run("pdfimages", "-list", path).splitlines()[2:]
    assert len(images) == 1, images  # the underside maps; the slices and curves are vectors
    cols = images[0].split()
    assert cols[8] != "jpeg", "the maps were JPEG-compressed (text and flat colours blur)"
    assert int(cols[12]) >= PRINT_DPI - 1 and int(cols[13]) >= PRINT_DPI - 1


def test_letter_paper_and_a_long_note_on_a_second_page(tmp_path: Path, qapp) -> None:  # type: ignore[no-untyped-def]
    from kneeviz.takehome.report import write_report

    note = " ".join(["Squat only as deep as is comfortable, and stop if the pain grows."] * 20)
    c = take_home("pfp", note=note)
    path, pages = write_report(tmp_path / "letter.pdf", c, "letter")
    info = run("pdfinfo", path)
    assert re.search(r"Page size:\s+612 x 792 pts", info), info
    assert pages == 2 and re.search(r"Pages:\s+2", info)
    text = words(path)
    assert "page 2 of 2" in text and note[:200] in text


def test_a_wrong_name_is_refused_before_anything_is_drawn(tmp_path: Path) -> None:
    from kneeviz.errors import KneevizError
    from kneeviz.takehome.report import write_report

    with pytest.raises(KneevizError, match=r"\.pdf"):
        write_report(tmp_path / "report.docx", take_home("pfp"))
    with pytest.raises(KneevizError, match="a4 or letter"):
        write_report(tmp_path / "report.pdf", take_home("pfp"), "a5")
    assert not list(tmp_path.iterdir())
