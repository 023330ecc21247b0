"""The member pages in a real browser (Debian chromium, Playwright): accessibility (axe-core,
WCAG 2.1 AA and the 7:1 body contrast), layout at 360 px, keyboard-only use, security, and the
in-browser proof check. Screenshots go to ``docs/member-pages/screenshots``."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.api.member_pages.browser.conftest import SCREENSHOTS, Site
from tests.api.member_pages.factories import SAMPLES, make_link

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
ENGLISH_STATUS = re.compile(
    r"\b(approve|partial|deny|pend|refer|met|breached|not_started|running|due_soon|paused|"
    r"awaiting_\w+|appealed|decided|paid|closed)\b"
)


@pytest.fixture
def page(site: Site, browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 360, "height": 800}, locale="zh-CN")
    try:
        yield context.new_page()
    finally:
        context.close()


def _sign_in(page: Any, site: Site) -> None:
    page.goto(site.base + make_link(site.service))
    page.click("button.primary")
    page.wait_for_url(site.base + "/m/")


def _axe(page: Any) -> list[dict[str, Any]]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(
        page,
        options={
            "runOnly": {"type": "tag", "values": AXE_TAGS},
            "rules": {"color-contrast-enhanced": {"enabled": True}},
            "resultTypes": ["violations"],
        },
    )
    violations: list[dict[str, Any]] = results.response["violations"]
    return violations


def _set_language(page: Any, site: Site, lang: str) -> None:
    current = page.evaluate("document.documentElement.lang")
    if (lang == "en") != (current == "en"):
        with page.expect_navigation():
            page.click('form[action="/m/language"] button')


def _layout_checks(page: Any, name: str) -> None:
    for width in (360, 1280):
        page.set_viewport_size({"width": width, "height": 800})
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"))
    page.set_viewport_size({"width": 360, "height": 800})
    scroll = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll[0] <= scroll[1], f"{name}: horizontal scroll at 360 px ({scroll})"
    size = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert size >= 18, f"{name}: body text {size}px"
    small = page.evaluate(
        """[...document.querySelectorAll('button, a.button, .score')]
             .filter(e => e.offsetParent !== null)
             .map(e => e.getBoundingClientRect())
             .filter(r => r.height < 44 || r.width < 44).length"""
    )
    assert small == 0, f"{name}: {small} targets smaller than 44 px"
    # 200 % zoom of a 1280 x 800 window is a 640 x 400 viewport at twice the pixel density
    page.set_viewport_size({"width": 640, "height": 400})
    zoomed = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert zoomed[0] <= zoomed[1], f"{name}: horizontal scroll at 200 % zoom ({zoomed})"
    page.set_viewport_size({"width": 360, "height": 800})


def test_every_page_every_state_both_languages_in_the_browser(page: Any, site: Site) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.goto(site.base + "/m/")
    assert _axe(page) == []
    _sign_in(page, site)
    for lang in ("zh", "en"):
        _set_language(page, site, lang)
        page.goto(site.base + "/m/")
        assert _axe(page) == [], f"home {lang}"
        for state in SAMPLES:
            claim_id = site.claims[state]
            page.goto(f"{site.base}/m/claims/{claim_id}")
            html_lang = page.evaluate("document.documentElement.lang")
            assert html_lang == ("zh-CN" if lang == "zh" else "en")
            violations = _axe(page)
            assert violations == [], f"{state} {lang}: {[v['id'] for v in violations]}"
            _layout_checks(page, f"{state}-{lang}")
            if lang == "zh":
                shown = page.inner_text("main").replace(claim_id, "")
                assert not ENGLISH_STATUS.search(shown), (state, ENGLISH_STATUS.search(shown))
    page.goto(site.base + "/m/claims/NOPE")
    assert _axe(page) == []


def test_keyboard_only_sign_in_read_switch_language_feedback_verify(page: Any, site: Site) -> None:
    page.goto(site.base + make_link(site.service))
    _tab_to(page, "button.primary")
    _enter(page)
    assert page.url == site.base + "/m/"
    claim_id = site.claims["deny"]
    _tab_to(page, f'a[href="/m/claims/{claim_id}"]')
    _enter(page)
    assert page.url == f"{site.base}/m/claims/{claim_id}"
    assert "这次我们决定不赔" in page.inner_text(".headline")
    _tab_to(page, 'form[action="/m/language"] button')
    _enter(page)
    assert page.evaluate("document.documentElement.lang") == "en"
    for name in ("clear", "treated_well"):
        _tab_to(page, f'input[name="{name}"]')
        page.keyboard.press("Space")
        for _ in range(3):
            page.keyboard.press("ArrowRight")
    _tab_to(page, "#comment")
    page.keyboard.type("clear enough")
    _tab_to(page, 'form[action$="/feedback"] button')
    _enter(page)
    assert "Thank you: we have your rating." in page.inner_text("#main")
    feedback = site.service.client.get(
        f"/claims/{claim_id}/member-feedback", headers=site.service.auth("adjuster")
    ).json()["feedback"]
    assert (feedback[-1]["clear"], feedback[-1]["treated_well"]) == (4, 4)
    _tab_to(page, "#verify-button")
    page.keyboard.press("Enter")
    page.wait_for_selector("#verify-result.ok, #verify-result.fail")
    assert page.inner_text("#verify-result").startswith("Checked: your decision is on record")


def _enter(page: Any) -> None:
    with page.expect_navigation():
        page.keyboard.press("Enter")


def _tab_to(page: Any, selector: str, limit: int = 80) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def test_the_proof_is_verified_in_the_browser_and_one_changed_byte_fails(
    page: Any, site: Site
) -> None:
    _sign_in(page, site)
    claim_id = site.claims["approve"]
    page.goto(f"{site.base}/m/claims/{claim_id}")
    page.click("#verify-button")
    page.wait_for_selector("#verify-result.ok, #verify-result.fail")
    assert page.inner_text("#verify-result").startswith("核对通过")
    speaks = page.evaluate("'speechSynthesis' in window")
    assert page.is_visible("#read-aloud") == speaks

    def one_byte_changed(route: Any) -> None:
        response = route.fetch()
        body = response.body()
        at = body.index(b'"payable": "') + len(b'"payable": "')
        changed = body[:at] + bytes([body[at] ^ 1]) + body[at + 1 :]
        route.fulfill(response=response, body=changed)

    page.route("**/proof.json", one_byte_changed)
    page.reload()
    page.click("#verify-button")
    page.wait_for_selector("#verify-result.ok, #verify-result.fail")
    assert page.inner_text("#verify-result").startswith("核对没有通过")


def test_security_in_the_browser(page: Any, site: Site) -> None:
    link = make_link(site.service)
    page.goto(site.base + link)
    page.click("button.primary")
    page.wait_for_url(site.base + "/m/")
    used = page.goto(site.base + link)
    assert used is not None and used.status == 410
    other = page.goto(f"{site.base}/m/claims/{site.other_claim}")
    assert other is not None and other.status == 404
    html = page.content()
    assert "李四" not in html
    page.goto(f"{site.base}/m/claims/{site.claims['approve']}")
    html = page.content()
    for secret in ("11010519491231002X", "13812345678", "6222021234567890128", "张三"):
        assert secret not in html
    sent = page.evaluate(
        """async (url) => (await fetch(url, {method: 'POST',
             headers: {'Content-Type': 'application/x-www-form-urlencoded'},
             body: 'clear=1&treated_well=1'})).status""",
        f"/m/claims/{site.claims['approve']}/feedback",
    )
    assert sent == 403


def test_works_with_javascript_off_and_weighs_little(site: Site, browser: Any) -> None:
    context = browser.new_context(java_script_enabled=False, viewport={"width": 360, "height": 800})
    try:
        page = context.new_page()
        sizes: list[int] = []
        page.on("response", lambda r: sizes.append(len(r.body())) if r.ok else None)
        _sign_in(page, site)
        sizes.clear()
        page.goto(f"{site.base}/m/claims/{site.claims['pend']}")
        assert "还差1份材料" in page.inner_text(".headline")
        assert page.is_visible("#verify-no-js") and not page.is_visible("#verify-button")
        with page.expect_navigation():
            page.click('form[action="/m/print"] button')
        size = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
        assert size >= 28
    finally:
        context.close()
    assert sum(sizes) <= 150 * 1024, f"page weight {sum(sizes)} bytes"


def test_the_idle_sign_out_is_announced_before_it_happens(page: Any, site: Site) -> None:
    pages = site.service.client.app.state.member_pages  # type: ignore[attr-defined]
    _sign_in(page, site)
    before = pages.idle
    pages.idle = dt.timedelta(seconds=121)  # the warning is due 120 s before the end: now
    try:
        page.goto(site.base + "/m/")
        page.wait_for_selector("#idle-warning", state="visible", timeout=5000)
        assert "2分钟后自动退出" in page.inner_text("#idle-warning")
        assert page.get_attribute("#idle-warning", "role") == "alert"
    finally:
        pages.idle = before
