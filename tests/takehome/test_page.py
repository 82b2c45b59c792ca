"""The take-home page (kneeviz.takehome.page) opened as a patient would: a file in a real browser
(Debian's Chromium, driven by Playwright) with the network off. It loads, asks for nothing from the
network, draws the knee in 3D, the healthy / this-setting switch changes the picture (screenshots
compared), the healthy kneecap can be shown, the squat plays, and nothing a note says can break
out of the page. Skips with the reason when Playwright or Chromium is missing
(scripts/system-deps.sh installs Chromium; the `test` extra installs Playwright, which drives the
system Chromium: no browser download).
"""

from __future__ import annotations

import io
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from takehome_fixtures import take_home, withheld_near

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--use-angle=swiftshader", "--enable-unsafe-swiftshader"]
"""Headless Chromium as root on a machine with no GPU and no network: WebGL through SwiftShader."""
NOTE = "Hip exercises daily. </script><script>document.title='broken'</script> <b>not bold</b>"


def test_the_page_is_one_small_file_with_plotly_inside(tmp_path: Path) -> None:
    pytest.importorskip("plotly", reason="plotly (the 'takehome' extra) is missing")
    from kneeviz.takehome.page import MAX_PAGE_BYTES, write_page

    s = write_page(tmp_path / "knee.html", take_home("pfp", note=NOTE))
    text = s.path.read_text(encoding="utf-8")
    assert s.size_bytes < MAX_PAGE_BYTES
    assert "plotly.js v" in text[:200_000 + text.find("<script>")]  # embedded, with its licence
    assert "Licensed under the MIT license" in text
    assert "<script src=" not in text and "<link " not in text  # nothing loaded from elsewhere
    assert text.count("</script>") == 3, "a note closed a script"


@pytest.fixture(scope="module")
def browser_page() -> Iterator[tuple[Any, list[str], Path]]:
    pytest.importorskip("plotly", reason="plotly (the 'takehome' extra) is missing")
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="playwright is not installed (pip install playwright)")
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed (apt-get install chromium; scripts/system-deps.sh)")
    from kneeviz.takehome.page import write_page

    with tempfile.TemporaryDirectory() as tmp:
        # this setting's frames near 40 deg withheld by the model: drawn faded
        c, _ = withheld_near(take_home("pfp", note=NOTE, clinician="Dr A. Example"))
        path = write_page(Path(tmp) / "kneecap-3d.html", c).path
        with sync_api.sync_playwright() as p:
            ctx = p.chromium.launch_persistent_context(
                str(Path(tmp) / "profile"), executable_path=CHROMIUM, headless=True,
                args=CHROMIUM_FLAGS, viewport={"width": 390, "height": 844})
            ctx.set_offline(True)  # the network is off, as on a phone in airplane mode
            requests: list[str] = []
            ctx.on("request", lambda r: requests.append(r.url))
            page = ctx.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(path.as_uri() + "?still")
            page.wait_for_selector("body[data-ready='1']", timeout=90_000)
            assert not errors, errors
            yield page, requests, path
            ctx.close()


def shot(page: Any) -> np.ndarray:
    from PIL import Image

    page.wait_for_timeout(400)  # plotly draws on the next animation frame
    png = page.locator("#knee3d").screenshot()
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.int16)


def drawn_fraction(img: np.ndarray) -> float:
    """Share of the view that is not the background (#1b1e24): the knee drawn."""
    return float((np.abs(img - np.array([27, 30, 36])).sum(axis=2) > 30).mean())


def test_it_loads_offline_and_draws_the_knee(browser_page) -> None:  # type: ignore[no-untyped-def]
    page, requests, path = browser_page
    assert all(u.startswith("file:") or u.startswith("data:") for u in requests), \
        [u for u in requests if not u.startswith(("file:", "data:"))]
    img = shot(page)
    assert drawn_fraction(img) > 0.08, "the 3D view is (nearly) empty"
    kneecap = np.array([245, 199, 133])  # the kneecap's colour, lit
    assert (np.abs(img - kneecap).sum(axis=2) < 90).sum() > 500, "no kneecap on screen"
    assert page.title() == "Your kneecap in a squat"
    assert "</script><script>document.title='broken'</script>" in page.inner_text(".note")


def test_the_switch_changes_the_picture(browser_page) -> None:  # type: ignore[no-untyped-def]
    page, _, _ = browser_page
    frame = take_home("pfp").frame_at(45.0)
    page.evaluate(f"window.kneeviz.setFrame({frame})")
    page.click("#show-this")
    this = shot(page)
    page.click("#show-healthy")
    assert page.get_attribute("#show-healthy", "aria-pressed") == "true"
    healthy = shot(page)
    page.click("#show-this")
    again = shot(page)
    changed = np.abs(healthy - this).sum(axis=2) > 40
    same = np.abs(again - this).sum(axis=2) > 40
    assert changed.mean() > 0.01, f"healthy and this setting look the same ({changed.mean():.4f})"
    assert same.mean() < 0.2 * changed.mean(), "the same setting did not draw the same picture"
    page.check("#ghost")
    ghost = shot(page)
    page.uncheck("#ghost")
    assert green_pixels(ghost) > green_pixels(this) + 60, "the healthy kneecap is not shown"


def green_pixels(img: np.ndarray) -> int:
    """Pixels of the healthy kneecap's green (nothing else on the page is green)."""
    return int(((img[:, :, 1] > img[:, :, 0] + 30) & (img[:, :, 1] > img[:, :, 2] + 20)).sum())


def kneecap_pixels(img: np.ndarray) -> int:
    """Pixels of the kneecap's amber, lit (KNEECAP_RGB); a faded kneecap blends into what is
    behind it."""
    return int((np.abs(img - np.array([245, 199, 133])).sum(axis=2) < 90).sum())


def test_a_frame_that_is_not_a_result_draws_the_kneecap_faded_and_says_so(browser_page) -> None:  # type: ignore[no-untyped-def]
    """At a frame the model withholds the kneecap is drawn see-through and the words beside
    the knee's bend say why; the next frame that is a result draws it as it is again."""
    from kneeviz.takehome.content import FADED_KNEECAP_WORDS

    page, _, _ = browser_page
    _c, withheld = withheld_near(take_home("pfp"))
    page.click("#show-this")
    page.evaluate(f"window.kneeviz.setFrame({withheld[1]})")
    faded = shot(page)
    assert page.evaluate("document.body.dataset.faded") == "1"
    assert FADED_KNEECAP_WORDS in page.inner_text("#angle")
    page.evaluate(f"window.kneeviz.setFrame({withheld[-1] + 1})")
    whole = shot(page)
    assert page.evaluate("document.body.dataset.faded") == "0"
    assert FADED_KNEECAP_WORDS not in page.inner_text("#angle")
    assert kneecap_pixels(faded) < 0.5 * kneecap_pixels(whole), \
        (kneecap_pixels(faded), kneecap_pixels(whole))
    page.click("#show-healthy")  # the healthy squat's frame there is a result
    assert page.evaluate("document.body.dataset.faded") == "0"
    page.click("#show-this")


def test_the_squat_plays(browser_page) -> None:  # type: ignore[no-untyped-def]
    page, _, _ = browser_page
    page.evaluate("window.kneeviz.setFrame(0)")
    page.click("#play")
    assert page.inner_text("#play") == "Pause"
    page.wait_for_function("Number(document.body.dataset.frame) > 5", timeout=20_000)
    page.click("#play")
    assert page.inner_text("#play") == "Play"


def test_it_fits_a_phone_and_a_laptop(browser_page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """At 390x844 and 1366x768 nothing is wider than the screen and the switch is on the first
    screen; the screenshots are kept for a person to look at (the test's folder)."""
    page, _, _ = browser_page
    for w, h in ((390, 844), (1366, 768)):
        page.set_viewport_size({"width": w, "height": h})
        page.wait_for_timeout(500)
        assert page.evaluate("document.documentElement.scrollWidth") <= w
        box = page.locator(".switch").bounding_box()
        view = page.locator("#knee3d").bounding_box()
        assert box is not None and view is not None
        assert box["y"] + box["height"] <= h, "the switch is below the first screen"
        assert view["width"] >= 0.9 * min(w, 560)
        page.screenshot(path=str(tmp_path / f"page-{w}x{h}.png"))
