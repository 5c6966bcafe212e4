"""Save a PNG of each tab of the web app, after doing its main action, under docs/screenshots/.

    python scripts/screenshots.py                 # starts the app on a free port with a temporary data dir
    python scripts/screenshots.py --url http://127.0.0.1:7860

Uses Debian's /usr/bin/chromium through Playwright (never `playwright install`).
"""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

from assistant.config import REPO_ROOT
from assistant.web.launcher import CHROMIUM, CHROMIUM_ARGS, AppProcess

MAX_HEIGHT = 2000  # px: long drafts and quizzes are cut, the top of each tab is what the docs need
PROFILE = {
    "name": "青松精密五金有限公司",
    "industry": "精密冲压件",
    "headcount": "25",
    "products": "冲压件、钣金件",
    "processes": "下料、冲压、检验",
    "outsourced": "电镀",
    "departments": "总经办、生产部、品质部、销售部",
}


def chat(page: Page) -> None:
    box = page.locator("#qms-question textarea")
    box.fill("内审怎么做？")
    box.press("Enter")
    summary = page.locator("#qms-chat details summary").first
    summary.wait_for(state="visible", timeout=120_000)
    summary.click()


def drafting(page: Page) -> None:
    for key, value in PROFILE.items():
        page.locator(f"#qms-profile-{key} input, #qms-profile-{key} textarea").first.fill(value)
    business = page.locator("#qms-profile-business input")
    business.fill("制造")
    business.press("Enter")
    page.locator("#qms-draft-preview").click()
    page.locator("#qms-draft-preview-md h1").first.wait_for(timeout=120_000)


def training(page: Page) -> None:
    page.locator("#qms-quiz-name textarea, #qms-quiz-name input").first.fill("张三")
    page.locator("#qms-quiz-dept textarea, #qms-quiz-dept input").first.fill("生产部")
    page.locator("#qms-quiz-n input[type=number]").fill("5")
    page.locator("#qms-quiz-n input[type=number]").press("Enter")
    page.locator("#qms-quiz-start").click()
    page.locator("#qms-quiz-submit").wait_for(timeout=60_000)


def knowledge_base(page: Page) -> None:
    page.locator("#qms-kb-table").get_by_text("corpus/guide/guide.md").wait_for(timeout=60_000)


def settings(page: Page) -> None:
    page.locator("#qms-test-connection").click()
    page.locator("#qms-connection-result textarea").wait_for()
    page.wait_for_function("document.querySelector('#qms-connection-result textarea').value.length > 0", timeout=60_000)


TABS: list[tuple[str, str, Callable[[Page], None]]] = [
    ("问答", "chat", chat),
    ("文件起草", "drafting", drafting),
    ("培训测验", "training", training),
    ("知识库", "knowledge-base", knowledge_base),
    ("设置", "settings", settings),
]


def capture(url: str, out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    saved = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900}).new_page()
        page.set_default_timeout(30_000)
        page.goto(url)
        for tab, slug, action in TABS:
            page.get_by_role("tab", name=tab).click()
            action(page)
            page.wait_for_timeout(800)  # let Gradio finish its transitions
            path = out_dir / f"{slug}.png"
            height = min(page.evaluate("document.documentElement.scrollHeight"), MAX_HEIGHT)
            clip = {"x": 0, "y": 0, "width": 1280, "height": height}
            page.screenshot(path=str(path), full_page=True, clip=clip)
            saved.append(path)
            print(f"已保存：{path.relative_to(REPO_ROOT) if path.is_relative_to(REPO_ROOT) else path}")
        browser.close()
    return saved


def main() -> None:
    parser = argparse.ArgumentParser(description="为网页版的每个标签页截图。")
    parser.add_argument("--url", help="已运行的应用地址；不填则临时启动一个")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "docs" / "screenshots")
    parser.add_argument("--index-cache", type=Path, help="已建好的索引缓存目录（可选，省去首次建索引）")
    args = parser.parse_args()
    if args.url:
        capture(args.url, args.out)
        return
    with tempfile.TemporaryDirectory(prefix="qms-shots-") as tmp:
        with AppProcess.start(Path(tmp), timeout=300, index_cache=args.index_cache) as app:
            capture(app.url, args.out)


if __name__ == "__main__":
    main()
