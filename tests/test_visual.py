"""What a person sees, measured in Chromium: every page in the three languages at a
phone's and a desktop's width (no sideways scrolling, nothing overlapping in the header
or the progress bar, no text spilling out of its box), and, from the rendered pixels,
the focus rings, the captcha's glyphs, the disabled button and the delivery states."""

from __future__ import annotations

import io
import statistics
from collections import Counter

import pytest
from PIL import Image
from sqlalchemy import select, update

from portal.extensions import db
from portal.models import Draft, OutboxMessage
from portal.models.types import utcnow
from tests.browser import LiveServer, accessibility_violations, open_html
from tests.journey import Person, start
from tests.pages import every_page

pytestmark = pytest.mark.browser

WIDTHS = (375, 1280)

# Runs in the page: each problem a person would see, as a sentence.
LAYOUT = """
() => {
  const problems = [];
  const shown = (element) => element.getClientRects().length > 0
    && getComputedStyle(element).visibility !== "hidden" && !element.closest(".visually-hidden");
  const all = (selector) => [...document.querySelectorAll(selector)].filter(shown);
  const name = (element) => {
    const text = (element.value || element.textContent || "").trim();
    return `<${element.tagName.toLowerCase()} class="${element.className}"> "${text.slice(0, 30)}"`;
  };
  const width = document.documentElement.scrollWidth;
  if (width > window.innerWidth) {
    problems.push(`the page is ${width}px wide in a ${window.innerWidth}px window`);
  }
  for (const selector of [
    ".site-header__inner > *, .languages li, .account-nav > *",
    ".progress li, .step-count",
  ]) {
    const elements = all(selector);
    elements.forEach((a, i) => elements.slice(i + 1).forEach((b) => {
      if (a.contains(b) || b.contains(a)) return;
      const r = a.getBoundingClientRect(), s = b.getBoundingClientRect();
      if (r.left < s.right - 0.5 && s.left < r.right - 0.5
          && r.top < s.bottom - 0.5 && s.top < r.bottom - 0.5) {
        problems.push(`${name(a)} overlaps ${name(b)}`);
      }
    }));
  }
  for (const element of all(".progress li, .site-header a, .site-header button, .button, button")) {
    if (element.scrollWidth > element.clientWidth + 1) {
      problems.push(`${name(element)} spills out of its box`);
    }
  }
  if (window.innerWidth >= 1000) {
    // Selects hold whole sentences (security questions in French): each option must
    // fit the closed select, arrow aside.
    const canvas = document.createElement("canvas").getContext("2d");
    for (const select of all("select")) {
      const style = getComputedStyle(select);
      canvas.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
      const room = select.clientWidth - parseFloat(style.paddingLeft)
        - parseFloat(style.paddingRight) - 20;
      for (const option of select.options) {
        if (canvas.measureText(option.text).width > room) {
          problems.push(`option "${option.text.slice(0, 40)}" does not fit #${select.id}`);
        }
      }
    }
  }
  return problems;
}
"""


@pytest.mark.parametrize("language", ["en", "ru", "fr"])
def test_every_page_fits_a_phone_and_a_desktop(chromium, sqlite_app, language):
    """And passes axe-core: the journeys check the pages they meet, this every state."""
    pages = every_page(sqlite_app, language)
    problems = []
    with LiveServer(sqlite_app) as live:
        for width in WIDTHS:
            context = chromium.new_context(viewport={"width": width, "height": 900})
            tab = context.new_page()
            for visited in pages:
                open_html(tab, live.url, visited.html)
                found = tab.evaluate(LAYOUT)
                if width == WIDTHS[0]:  # axe-core on every page and state, once
                    found += accessibility_violations(tab)
                problems += [f"{width}px, {visited.label}: {p}" for p in found]
            context.close()
    assert len(pages) > 40
    assert not problems, "\n".join(problems)


def test_the_layout_check_sees_what_it_should(chromium):
    """The check above is not blind: it reports what it is written to find."""
    tab = chromium.new_page(viewport={"width": 375, "height": 600})
    tab.set_content(
        """<div class="site-header__inner" style="position:relative">
        <a style="position:absolute;left:0;width:100px">one</a>
        <a style="position:absolute;left:50px;width:100px">two</a></div>
        <button style="width:40px;white-space:nowrap;overflow:hidden">a long label here</button>
        <div style="width:900px">wide</div>"""
    )
    found = " | ".join(tab.evaluate(LAYOUT))
    tab.close()
    assert "overlaps" in found
    assert "spills out of its box" in found
    assert "px wide in a 375px window" in found


def luminance(rgb) -> float:
    def linear(value: int) -> float:
        value /= 255
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = (linear(value) for value in rgb[:3])
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast(first, second) -> float:
    lighter, darker = sorted((luminance(first), luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def pixels(png: bytes) -> list[tuple[int, int, int]]:
    image = Image.open(io.BytesIO(png)).convert("RGB")
    return list(image.get_flattened_data())


@pytest.fixture
def tab(chromium, sqlite_app):
    with LiveServer(sqlite_app) as live:
        # bypass_csp: wait_for_function evaluates its predicate, which the CSP forbids.
        context = chromium.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
        page = context.new_page()
        page.base = live.url
        yield page
        context.close()


def focus_by_keyboard(page, selector: str) -> None:
    target = page.locator(selector).first.element_handle()
    for _ in range(80):
        page.keyboard.press("Tab")
        if page.evaluate("element => document.activeElement === element", target):
            return
    raise AssertionError(f"Tab never reached {selector}")


@pytest.mark.parametrize(
    "selector",
    [
        "#email",  # a text input
        "#submit",  # a blue button
        "#new_captcha",  # a white button
        ".languages a[hreflang=fr]",  # a header link
        "a[href='/login']",  # a link in the text
    ],
)
def test_focus_rings_pass_wcag_22_focus_appearance(tab, selector):
    """2.4.13: the indicator's area is at least a 2 px perimeter of the control, and its
    pixels change by 3:1 or more between the unfocused and the focused state."""
    tab.goto(tab.base + "/register")
    element = tab.locator(selector).first
    element.scroll_into_view_if_needed()
    box = element.bounding_box()
    margin = 12
    clip = {
        "x": box["x"] - margin,
        "y": box["y"] - margin,
        "width": box["width"] + 2 * margin,
        "height": box["height"] + 2 * margin,
    }
    tab.mouse.move(0, 0)
    before = pixels(tab.screenshot(clip=clip, caret="initial"))
    focus_by_keyboard(tab, selector)
    after = pixels(tab.screenshot(clip=clip, caret="initial"))
    changed = sum(1 for old, new in zip(before, after, strict=True) if contrast(old, new) >= 3)
    perimeter_area = 2 * 2 * (box["width"] + box["height"])
    assert changed >= perimeter_area, (selector, changed, perimeter_area)


def glyph_contrast(png: bytes) -> float:
    """The paper is most of the image (its median); the glyphs' cores are its darkest
    twentieth."""
    lightness = sorted(luminance(pixel) for pixel in pixels(png))
    paper = statistics.median(lightness)
    ink = lightness[len(lightness) // 20]
    return (paper + 0.05) / (ink + 0.05)


@pytest.mark.parametrize("width", WIDTHS)
def test_captcha_glyphs_reach_4_5_to_1_and_the_refresh_sits_beside(tab, width):
    tab.set_viewport_size({"width": width, "height": 900})
    tab.goto(tab.base + "/register")
    image, refresh = tab.locator("#captcha-image"), tab.locator("#new_captcha")
    ratios = []
    for _ in range(6):
        tab.wait_for_function("document.getElementById('captcha-image').complete")
        ratios.append(glyph_contrast(image.screenshot()))
        source = image.get_attribute("src")
        refresh.click()  # a new image without reload (the script)
        tab.wait_for_function(
            "old => document.getElementById('captcha-image').getAttribute('src') !== old",
            arg=source,
        )
    assert min(ratios) >= 4.5, ratios
    picture, button = image.bounding_box(), refresh.bounding_box()
    assert button["x"] >= picture["x"] + picture["width"]  # to its right
    middle = button["y"] + button["height"] / 2
    assert picture["y"] <= middle <= picture["y"] + picture["height"]  # on its row
    assert picture["width"] >= 160  # still big enough to read on a phone


def test_the_glyph_measure_fails_the_librarys_own_colours():
    """The measure above is not lenient: the captcha library's default colours (glyphs
    up to 200 of 255 on 238-255) fall below 4.5:1 in most images."""
    from captcha.image import ImageCaptcha

    images = ImageCaptcha(width=240, height=80)
    ratios = [glyph_contrast(images.generate("AC3FG").read()) for _ in range(10)]
    assert statistics.median(ratios) < 4.5, ratios


def status_box(page) -> Image.Image:
    return Image.open(io.BytesIO(page.locator("#delivery-status").screenshot())).convert("RGB")


def paper_and_bar(box: Image.Image) -> tuple[tuple[int, int, int], int]:
    """The box's background (near its right edge, mid-height, where no text is) and how
    many columns from its left edge, along that row, are the coloured bar."""
    middle = box.height // 2
    paper = box.getpixel((box.width - 4, middle))
    row = [box.getpixel((x, middle)) for x in range(box.width)]
    return paper, next(x for x, pixel in enumerate(row) if contrast(pixel, paper) < 1.5)


def test_disabled_and_trouble_look_different_from_ready_and_waiting(tab, sqlite_app):
    person = Person(email="looks@example.com")
    browser = sqlite_app.test_client()
    start(browser, person)
    tab.context.add_cookies(
        [{"name": "session", "value": browser.get_cookie("session").value, "url": tab.base}]
    )
    tab.goto(tab.base + "/register/sent")
    resend = tab.locator("form.resend [type=submit]")
    assert resend.is_disabled()  # the cooldown runs
    disabled = pixels(resend.screenshot())
    resend.evaluate("button => { button.disabled = false; }")
    tab.mouse.move(0, 0)
    enabled = pixels(resend.screenshot())

    def brand_coloured(box) -> int:
        return sum(1 for red, green, blue in box if blue - red > 80)

    assert brand_coloured(enabled) > 50  # blue text and border
    assert brand_coloured(disabled) == 0  # grey only
    # The backgrounds (each box's commonest colour) differ too: grey against white.
    backgrounds = [Counter(box).most_common(1)[0][0] for box in (disabled, enabled)]
    assert contrast(*backgrounds) > 1.15, backgrounds

    boxes = [status_box(tab)]  # waiting
    with sqlite_app.app_context():
        draft_id = db.session.scalar(select(Draft.id).where(Draft.email == person.email))
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.draft_id == draft_id)
            .values(attempts=1, last_error="451 try again later", next_attempt_at=utcnow())
        )
        db.session.commit()
    tab.goto(tab.base + "/register/sent")
    assert "trouble" in tab.locator("#delivery-status").get_attribute("class")
    boxes.append(status_box(tab))

    (waiting_paper, waiting_bar), (trouble_paper, trouble_bar) = map(paper_and_bar, boxes)
    assert waiting_paper[2] > waiting_paper[0]  # cool: waiting
    assert trouble_paper[0] > trouble_paper[2] + 20  # warm: trouble
    assert trouble_bar >= 2 * waiting_bar > 0


def test_error_bars_do_not_move_the_inputs(chromium, sqlite_app):
    pages = {page.label: page for page in every_page(sqlite_app, "fr")}
    with LiveServer(sqlite_app) as live:
        for width in WIDTHS:
            tab = chromium.new_page(viewport={"width": width, "height": 900})
            lefts = {}
            for label in ("step 1", "step 1, empty", "step 2", "step 2, errors"):
                open_html(tab, live.url, pages[label].html)
                lefts[label] = tab.locator("#email, #first_name").first.bounding_box()["x"]
            tab.close()
            assert lefts["step 1, empty"] == lefts["step 1"], (width, lefts)
            assert lefts["step 2, errors"] == lefts["step 2"], (width, lefts)
