"""The /chat and /staff pages in a real browser (Playwright driving Debian's Chromium, never a
downloaded browser) against the real stack: Rasa's socket.io channel, the action server and
the backend. Screenshots go to var/artifacts/web/."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from crm_backend.models import Complaint
from crm_backend.paths import PROJECT_ROOT

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

# The browser tests need one stack, not one per database kind.
pytestmark = [pytest.mark.e2e, pytest.mark.parametrize("database", ["sqlite"], indirect=True)]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
ARTIFACTS = PROJECT_ROOT / "var" / "artifacts" / "web"
REFERENCE = re.compile(r"CMP-\d{6}")
XSS = "<img src=x onerror=alert(1)>"
WAIT_MS = 60_000


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is missing: run scripts/ensure_chromium.sh (make test-e2e)")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with playwright_api.sync_playwright() as driver:
        chromium = driver.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield chromium
        finally:
            chromium.close()


class Watched:
    """A page and what went wrong on it: script errors, console errors (CSP violations
    among them) and dialogs (an alert() would mean injected script ran)."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        page.on(
            "console",
            lambda msg: self.errors.append(msg.text) if msg.type == "error" else None,
        )
        page.on("dialog", self._dialog)

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def screenshot(self, name: str) -> None:
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

    def assert_clean(self) -> None:
        assert self.dialogs == [], f"a dialog opened: {self.dialogs}"
        assert self.errors == [], f"errors in the page: {self.errors}"


@pytest.fixture
def open_page(browser, running_stack) -> Iterator[Any]:
    contexts: list[Any] = []

    def _open(path: str, *, width: int = 1280, height: int = 860) -> Watched:
        context = browser.new_context(
            base_url=running_stack.config.backend_url,
            viewport={"width": width, "height": height},
        )
        contexts.append(context)
        watched = Watched(context.new_page())
        watched.page.goto(path)
        expect(watched.page.locator("body")).to_have_attribute("data-ready", "true")
        return watched

    yield _open
    for context in contexts:
        context.close()


def bot_says(page: Any, text: str | re.Pattern[str]) -> Any:
    message = page.locator("li.msg.bot", has_text=text).last
    expect(message).to_be_visible(timeout=WAIT_MS)
    return message


def open_chat(page: Any) -> Any:
    page.locator("#chat-launcher").click()
    expect(page.locator("#chat-body")).to_have_attribute("data-status", "online")
    return page.locator("#crm-chat-input")


def type_message(page: Any, text: str, input_id: str = "crm-chat-input") -> None:
    box = page.locator(f"#{input_id}")
    box.fill(text)
    box.press("Enter")
    expect(page.locator("li.msg.user").last).to_contain_text(text[:40])


def click_reply(page: Any, title: str) -> None:
    page.locator(".quick-reply", has_text=title).last.click(timeout=WAIT_MS)


def _reference_in(page: Any) -> str:
    filed = bot_says(page, REFERENCE)
    found = REFERENCE.search(filed.inner_text())
    assert found
    return found.group(0)


@pytest.mark.parametrize("path", ["/chat", "/staff"])
def test_pages_are_served_with_security_headers(running_stack, path):
    response = httpx.get(f"{running_stack.config.backend_url}{path}", timeout=30)
    assert response.status_code == 200
    policy = response.headers["content-security-policy"]
    rasa = running_stack.config.rasa_url
    assert "script-src 'self';" in policy and "'unsafe-inline'" not in policy
    assert f"connect-src 'self' {rasa} {rasa.replace('http://', 'ws://')};" in policy
    assert "img-src 'self' data:" in policy and "frame-ancestors 'none'" in policy
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"


def test_visitor_files_a_complaint_by_typing_and_tapping(open_page, running_stack):
    chat = open_page("/chat")
    page = chat.page
    open_chat(page)
    type_message(page, "I want to make a complaint")
    bot_says(page, "what happened")
    type_message(page, "The rice cooker I bought stopped heating after three days")
    bot_says(page, "mainly about")
    click_reply(page, "Product quality")
    bot_says(page, "particular order")
    click_reply(page, "No order")
    bot_says(page, "reach you")
    type_message(page, "9123 4567")
    bot_says(page, "Shall I file it?")
    chat.screenshot("chat-summary")
    click_reply(page, "Yes, file it")
    reference = _reference_in(page)
    expect(page.locator("li.msg time").first).to_have_attribute("datetime", re.compile(r"^\d{4}-"))
    chat.screenshot("chat-complaint-filed")

    session_id = page.evaluate("sessionStorage.getItem('crm-chat:session')")
    assert re.fullmatch(r"[0-9a-f]{32}", session_id)
    with running_stack.session() as session:
        complaint = session.scalar(select(Complaint).where(Complaint.reference == reference))
        assert complaint.conversation_id == session_id

    # A reload keeps the conversation: the same Rasa session, the messages still there.
    page.reload()
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    assert page.evaluate("sessionStorage.getItem('crm-chat:session')") == session_id
    open_chat(page)
    expect(page.locator("li.msg.bot", has_text=reference)).to_be_visible()
    type_message(page, "no thanks")
    bot_says(page, "Thank you for chatting")
    chat.assert_clean()


def test_bot_text_with_markup_is_shown_as_text(open_page):
    chat = open_page("/chat")
    page = chat.page
    open_chat(page)
    type_message(page, "I want to make a complaint")
    bot_says(page, "what happened")
    description = f"The parcel label said {XSS} and the box was crushed"
    type_message(page, description)
    bot_says(page, "mainly about")
    click_reply(page, "Delivery")
    click_reply(page, "No order")
    bot_says(page, "reach you")
    type_message(page, "someone@example.com")
    summary = bot_says(page, "Shall I file it?")
    expect(summary).to_contain_text(XSS)  # the bot echoes the description: as text
    expect(page.locator("li.msg.user", has_text=XSS)).to_be_visible()
    assert page.locator(".messages img").count() == 0
    assert page.locator(".messages [onerror]").count() == 0
    chat.screenshot("chat-markup-as-text")
    click_reply(page, "Cancel")
    bot_says(page, "nothing was filed")
    chat.assert_clean()


def test_keyboard_only_reaches_the_chat_at_phone_width(open_page):
    chat = open_page("/chat", width=360, height=740)
    page = chat.page
    for _ in range(8):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "chat-launcher":
            break
    assert page.evaluate("document.activeElement.id") == "chat-launcher"
    page.keyboard.press("Enter")
    expect(page.locator("#chat-panel")).to_be_visible()
    expect(page.locator("#crm-chat-input")).to_be_focused()
    expect(page.locator("#chat-body")).to_have_attribute("data-status", "online")
    page.keyboard.type("hello")
    page.keyboard.press("Tab")
    expect(page.locator("#chat-body button.send")).to_be_focused()
    page.keyboard.press("Enter")
    bot_says(page, "virtual assistant")
    assert page.get_attribute(".messages", "aria-live") == "polite"
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    box = page.locator("#chat-panel").bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= 360
    chat.screenshot("chat-360px-keyboard")
    page.keyboard.press("Escape")
    expect(page.locator("#chat-panel")).to_be_hidden()
    expect(page.locator("#chat-launcher")).to_be_focused()
    chat.assert_clean()


def _sign_in_staff(page: Any, database, username: str) -> None:
    _department, password = database.demo_staff[username]
    page.locator("#username").fill(username)
    page.locator("#password").fill(password)
    page.locator("#sign-in-form button[type=submit]").click()
    expect(page.locator("#console")).to_be_visible()
    expect(page.locator("#chat-body")).to_have_attribute("data-status", "online")


def test_staff_signs_in_and_gets_a_report_table(open_page, database):
    staff = open_page("/staff")
    page = staff.page
    _sign_in_staff(page, database, "management.demo")
    expect(page.locator("#identity")).to_contain_text("management")
    assert "token" not in page.url and "management.demo" not in page.url
    type_message(page, "complaints by category this year", input_id="crm-staff-input")
    table = page.locator("table.report-table").last
    expect(table).to_be_visible(timeout=WAIT_MS)
    expect(table.locator("th").first).to_be_visible()
    numbers = [t for t in table.locator("td.num").all_inner_texts() if re.search(r"\d", t)]
    assert numbers, "the report table shows no numbers"
    chart = page.locator("img.chart").last
    expect(chart).to_be_visible(timeout=WAIT_MS)
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=chart.element_handle()
    )
    downloads = bot_says(page, "Full result").locator("a")
    expect(downloads).to_have_count(2)
    assert all(h.startswith("http") for h in downloads.evaluate_all("as => as.map(a => a.href)"))
    staff.screenshot("staff-report")

    page.locator("#queue-select").select_option("open")
    page.locator("#queue-refresh").click()
    expect(page.locator("#queue-list li").first).to_contain_text(REFERENCE)

    page.locator("#sign-out").click()
    expect(page.locator("#sign-in")).to_be_visible()
    assert page.evaluate("sessionStorage.getItem('crm-staff:auth')") is None
    staff.assert_clean()


def test_expired_staff_sign_in_asks_to_sign_in_again(open_page, database):
    staff = open_page("/staff")
    page = staff.page
    _sign_in_staff(page, database, "cs.demo")
    page.evaluate(
        "const a = JSON.parse(sessionStorage.getItem('crm-staff:auth'));"
        "a.expires_at = Date.now() - 1000;"
        "sessionStorage.setItem('crm-staff:auth', JSON.stringify(a));"
    )
    page.locator("#crm-staff-input").fill("my overdue complaints")
    page.locator("#crm-staff-input").press("Enter")
    expect(page.locator("#sign-in")).to_be_visible()
    expect(page.locator("#sign-in-error")).to_contain_text("expired")
    staff.assert_clean()


def test_signed_in_customer_gets_the_pushed_followup_and_answers(
    open_page, running_stack, database
):
    chat = open_page("/chat")
    page = chat.page
    page.locator("#demo-sign-in").click()
    expect(page.locator("#demo-who")).to_contain_text("Signed in as demo customer")
    open_chat(page)
    type_message(page, "I want to make a complaint")
    type_message(page, "The courier threw my parcel over the gate and the vase inside broke")
    click_reply(page, "Delivery")
    click_reply(page, "No order")
    click_reply(page, "Phone on my account")
    bot_says(page, "Shall I file it?")
    click_reply(page, "Yes, file it")
    reference = _reference_in(page)

    _department, password = database.demo_staff["cs.demo"]
    login = httpx.post(
        f"{running_stack.config.backend_url}/api/v1/auth/staff/login",
        json={"username": "cs.demo", "password": password},
        timeout=30,
    )
    staff = running_stack.conversation(token=login.json()["access_token"])
    assert reference in staff.texts(f"resolve {reference}: replacement vase sent by courier")
    with running_stack.session() as session:
        complaint = session.scalar(select(Complaint).where(Complaint.reference == reference))
        assert complaint.customer_id is not None
        due = complaint.followup_due_at
    summary = running_stack.run_followups((due + timedelta(minutes=1)).isoformat())
    assert summary["chat_pushed"] >= 1, summary

    # The question arrives in the open page without the customer typing anything.
    question = bot_says(page, "1 (very unhappy)")
    expect(question).to_contain_text(reference)
    chat.screenshot("chat-followup-pushed")
    click_reply(page, "2")
    bot_says(page, "reopened")
    chat.screenshot("chat-followup-answered")
    with running_stack.session() as session:
        complaint = session.scalar(select(Complaint).where(Complaint.reference == reference))
        assert complaint.csat_score == 2
    chat.assert_clean()
