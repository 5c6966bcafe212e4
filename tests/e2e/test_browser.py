"""The real app in headless Chromium (Debian's /usr/bin/chromium via Playwright): ask, see a cited answer."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.web.launcher import CHROMIUM, CHROMIUM_ARGS, AppProcess, RunningApp, save_index

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def sync_api():
    """Checked before the app starts, so a machine without a browser skips fast."""
    if not Path(CHROMIUM).exists():
        pytest.skip("没有 /usr/bin/chromium：请先 apt-get install -y chromium（浏览器端到端测试需要它）")
    return pytest.importorskip("playwright.sync_api", reason="需要 playwright：pip install playwright")


@pytest.fixture(scope="module")
def browser(sync_api) -> Iterator[object]:
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def page(browser, app: RunningApp) -> Iterator[object]:
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(app.url)
    yield page
    context.close()


def test_all_tabs_are_there_in_chinese(page) -> None:
    for name in ["问答", "文件起草", "培训测验", "知识库", "设置"]:
        page.get_by_role("tab", name=name).wait_for(state="visible")  # raises if it never shows


def test_ask_in_chat_shows_answer_with_expandable_source(page) -> None:
    box = page.locator("#qms-question textarea")
    box.fill("内审怎么做？")
    box.press("Enter")
    chat = page.locator("#qms-chat")
    summary = chat.locator("details summary").first
    summary.wait_for(state="visible", timeout=90_000)
    assert "[1]" in summary.inner_text()
    assert "内部审核" in chat.inner_text()
    passage = chat.locator("details").first
    assert passage.get_attribute("open") is None  # collapsed until clicked
    summary.click()
    assert passage.get_attribute("open") is not None
    assert "章节" in passage.inner_text()

    page.locator("#qms-new-chat").click()
    page.wait_for_function("!document.querySelector('#qms-chat details')")


def test_take_a_quiz_in_the_page_and_see_the_score(page) -> None:
    page.get_by_role("tab", name="培训测验").click()
    page.locator("#qms-quiz-name textarea, #qms-quiz-name input").first.fill("赵六")
    page.locator("#qms-quiz-n input[type=number]").fill("3")
    page.locator("#qms-quiz-n input[type=number]").press("Enter")
    page.locator("#qms-quiz-start").click()
    page.locator("#qms-quiz-submit").wait_for(state="visible")
    for n in range(1, 4):  # answer each objective question with its first option
        first = page.locator(f"#qms-quiz-a{n} input[type=radio], #qms-quiz-a{n} input[type=checkbox]").first
        if first.count():
            first.check()
    page.locator("#qms-quiz-submit").click()
    result = page.locator("#qms-quiz-result")
    result.get_by_text("赵六 的成绩").wait_for(state="visible")
    assert "分" in result.inner_text() and "正确答案" in result.inner_text()
    page.locator("#qms-quiz-submit").wait_for(state="detached")  # the quiz closes: one quiz, one record


def test_toasts_have_chinese_titles(page) -> None:
    page.get_by_role("tab", name="问答").click()
    page.locator("#qms-question textarea").fill("")
    page.locator("#qms-send").click()
    toast = page.locator(".toast-body").filter(has_text="请输入一个问题")
    toast.wait_for(state="visible")
    # Gradio writes its English type word into the header; the app's CSS hides it and draws the Chinese title.
    title = toast.locator(".toast-title")
    drawn = title.evaluate("el => [getComputedStyle(el, '::before').content, getComputedStyle(el).fontSize]")
    assert drawn == ['"提示"', "0px"]
    assert title.evaluate("el => el.getBoundingClientRect().width") > 0  # the Chinese title takes up space


def test_a_failed_preview_does_not_leave_the_old_one_standing(page) -> None:
    page.get_by_role("tab", name="文件起草").click()
    page.locator("#qms-profile-name textarea, #qms-profile-name input").first.fill("")  # the name is required
    page.locator("#qms-draft-preview").click()
    page.locator(".toast-body").filter(has_text="企业概况有误").wait_for(state="visible")
    page.locator("#qms-draft-preview-md").get_by_text("预览未更新").wait_for(state="visible")


def test_users_do_not_see_admin_controls(browser, app: RunningApp, tmp_path_factory: pytest.TempPathFactory) -> None:
    seed = tmp_path_factory.mktemp("roles-index")
    save_index(app.data_dir / "index", seed)
    logins = ["主管:甲-1234", "员工:乙-5678"]
    env = {"QMS_APP_AUTH": json.dumps(logins, ensure_ascii=False), "QMS_APP_ADMINS": json.dumps(["主管"])}
    data_dir = tmp_path_factory.mktemp("roles-data")
    with AppProcess.start(data_dir, env=env, index_cache=seed) as process:
        seen = {}
        for login in logins:
            user, password = login.split(":")
            page = browser.new_context(locale="zh-CN").new_page()
            page.set_default_timeout(60_000)
            page.goto(process.url)
            page.locator("input[type=text]").first.fill(user)
            page.locator("input[type=password]").fill(password)
            page.locator("button[type=submit], button:has-text('登录'), button:has-text('Login')").first.click()
            page.get_by_role("tab", name="知识库").click()
            page.locator("#qms-kb-table").wait_for(state="visible")
            page.wait_for_timeout(1000)  # the page-load events have run
            seen[user] = page.locator("#qms-kb-upload").is_visible(), page.locator("#qms-kb-delete").is_visible()
            page.context.close()
    assert seen == {"主管": (True, True), "员工": (False, False)}
