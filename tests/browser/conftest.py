"""Playwright against Debian's Chromium (never ``playwright install``), driving the real pages of a real hub.

These tests run as their own pytest invocation (``make test`` does it: ``pytest -m browser tests/browser``):
Playwright's sync API runs an event loop of its own, which must not share a process with the other suites' servers.
Screenshots of each main page go to ``test-output/screenshots/`` to be looked at.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect, sync_playwright

from cannasync.web.shop import gate
from tests.conftest import MERCHANT_EMAIL, MERCHANT_PASSWORD, Hub

CHROMIUM = os.environ.get("CANNASYNC_CHROMIUM", "/usr/bin/chromium")
SHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"

HERE = Path(__file__).resolve().parent
# axe-core, vendored (MPL-2.0; see vendor/README.md): the browser tests run it on every main page they open.
AXE = HERE / "vendor" / "axe.min.js"
AXE_REPORTED = ("serious", "critical")

# An assertion waits as long as an action does (15 s; Playwright's own default for expect is 5 s). Two runs of the
# suite side by side with two more (load 35 on 2 cores) each failed one test on its 5 s: the page that saves the
# loyalty program's dates, which enrols the personas the dates make eligible, answered later than that. A person
# waits for the page; the test waits as they do, and a page that never comes still fails.
expect.set_options(timeout=15_000)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test in this folder is a browser test (the main run deselects them with ``-m "not browser"``)."""
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package")
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(
        executable_path=CHROMIUM,
        headless=True,
        args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage"],
    )
    yield browser
    browser.close()


@pytest.fixture
def context(browser: Browser, hub: Hub) -> Iterator[BrowserContext]:
    context = browser.new_context(base_url=hub.server.url, viewport={"width": 1280, "height": 860})
    context.set_default_timeout(15_000)
    past_age_gate(context, hub)
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


@pytest.fixture
def phone(browser: Browser, hub: Hub) -> Iterator[Page]:
    """A phone-sized screen (the store must work on one)."""
    context = browser.new_context(
        base_url=hub.server.url, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    context.set_default_timeout(15_000)
    past_age_gate(context, hub)
    yield context.new_page()
    context.close()


def past_age_gate(context: BrowserContext, hub: Hub) -> None:
    """A returning adult shopper's browser: the shop's age gate has its own test (test_shop_menu.py)."""
    context.add_cookies([{"name": gate.COOKIE, "value": gate.ADULT, "url": hub.server.url}])


PHONE = {"width": 390, "height": 844}
#: Names shot in this run: each test runs on SQLite and PostgreSQL, and the second page is the first one again, so it
#: is neither checked nor resized twice (axe and the extra shot cost about a second a page).
_SHOT: set[str] = set()


def screenshot(page: Page, name: str, *, accessible: bool = True) -> Path:
    """Save the page as it stands, on its own screen and on the other size (desktop <-> phone), and check it on both.

    The other size is the same page resized, not a second load, so every main page is seen on both screens for the
    cost of a resize; the checks (axe, and the text on a gradient hero, which axe cannot measure) run on each size,
    since the phone's media queries change layout and colours. ``accessible=False`` only where a page is caught
    mid-change (the checks would read a half state).
    """
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    again = name in _SHOT  # the same page on the other database: checked and shot on both sizes already
    _SHOT.add(name)
    if accessible and not again:
        assert_accessible(page, name)
        assert_hero_contrast(page, name)
    page.screenshot(path=str(path), full_page=True)
    if again:
        return path
    size = page.viewport_size or {"width": 1280, "height": 860}
    on_phone = size["width"] < 600
    other = {"width": 1280, "height": 860} if on_phone else PHONE
    page.set_viewport_size(other)
    page.evaluate("() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")  # laid out
    other_name = name.removesuffix("-phone") + ("-desktop" if on_phone else "-phone")
    if accessible:
        assert_accessible(page, other_name)
        assert_hero_contrast(page, other_name)
    page.screenshot(path=str(SHOTS / f"{other_name}.png"), full_page=True)
    page.set_viewport_size(size)
    return path


def assert_accessible(page: Page, where: str = "") -> None:
    """Run axe-core on the page as it stands and fail on any serious or critical violation, naming each one.

    Called where a test already has a main page open, so the check costs one script run, not a page load.
    """
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        """async () => {
            const r = await axe.run(document, {resultTypes: ['violations']});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ') + ' :: ' + n.failureSummary)}));
        }"""
    )
    bad = [v for v in result if v["impact"] in AXE_REPORTED]
    assert not bad, f"accessibility violations on {where or page.url}:\n" + json.dumps(bad, indent=1)


#: The heroes whose background is a gradient: the order page's (green, amber, red) and the menu's.
HEROES = ".status-hero, .menu-hero"
#: WCAG AA for text, the bar every hero text is held to (the headings too, though large text needs only 3:1).
CONTRAST = 4.5

# In the page: every visible text inside a gradient hero, against every colour its gradient passes through (each
# stop, translucent stops laid over each opaque one, and any translucent box between the hero and the text laid over
# those), worst case first. Colours are the computed ones, so the phone's media queries count.
_HERO_CONTRAST = """(selector) => {
    const parse = (c) => { const m = c.match(/rgba?\\(([^)]*)\\)/); if (!m) return null;
        const p = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number);
        return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1}; };
    const over = (top, under) => ({r: top.r * top.a + under.r * (1 - top.a), g: top.g * top.a + under.g * (1 - top.a),
        b: top.b * top.a + under.b * (1 - top.a), a: 1});
    const lum = (c) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
        return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b); };
    const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
    const hex = (c) => '#' + [c.r, c.g, c.b].map((v) => Math.round(v).toString(16).padStart(2, '0')).join('');
    const found = [];
    for (const hero of document.querySelectorAll(selector)) {
        const style = getComputedStyle(hero);
        if (!style.backgroundImage.includes('gradient') || !hero.getClientRects().length) continue;
        const stops = (style.backgroundImage.match(/rgba?\\([^)]*\\)/g) || []).map(parse);
        const base = parse(style.backgroundColor);
        const opaque = stops.filter((c) => c.a === 1).concat(base && base.a === 1 ? [base] : []);
        let backs = opaque.slice();
        for (const c of stops) if (c.a > 0 && c.a < 1) backs = backs.concat(opaque.map((o) => over(c, o)));
        const walker = document.createTreeWalker(hero, NodeFilter.SHOW_TEXT);
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            const el = node.parentElement;
            if (!node.textContent.trim() || !el.getClientRects().length) continue;
            const seen = getComputedStyle(el);
            if (seen.visibility !== 'visible' || seen.display === 'none') continue;
            let under = backs.slice();
            const boxes = [];
            for (let up = el; up && up !== hero; up = up.parentElement) boxes.unshift(up);
            for (const box of boxes) {
                const bg = parse(getComputedStyle(box).backgroundColor);
                if (bg && bg.a === 1) under = [bg];
                else if (bg && bg.a > 0) under = under.map((u) => over(bg, u));
            }
            const text = parse(seen.color);
            for (const u of under) {
                const shown = text.a < 1 ? over(text, u) : text;
                found.push({text: node.textContent.trim().slice(0, 40), color: hex(shown), background: hex(u),
                    ratio: Math.round(ratio(shown, u) * 100) / 100});
            }
        }
    }
    return found.sort((a, b) => a.ratio - b.ratio);
}"""


def assert_hero_contrast(page: Page, where: str = "") -> list[dict[str, object]]:
    """Fail when any text on a gradient hero (axe leaves those "incomplete") is under 4.5:1 against any colour of its
    gradient, naming the worst ones. Returns what it measured, worst first (empty where the page has no hero)."""
    measured: list[dict[str, object]] = page.evaluate(_HERO_CONTRAST, HEROES)
    bad = [m for m in measured if float(str(m["ratio"])) < CONTRAST]
    assert not bad, f"hero text under {CONTRAST}:1 on {where or page.url}:\n" + json.dumps(bad[:6], indent=1)
    return measured


def sign_in(page: Page, hub: Hub) -> None:
    """Through the sign-in form, as a merchant would."""
    with hub.db.uow() as uow:
        uow.users.set_user(hub.organization_id, MERCHANT_EMAIL, MERCHANT_PASSWORD)
    page.goto("/console")
    page.get_by_label("E-mail").fill(MERCHANT_EMAIL)
    page.get_by_label("Password").fill(MERCHANT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
