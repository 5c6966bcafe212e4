"""质量助手 web app: `python app.py [--host H] [--port N]` or the `qms-app` console script.

Thin on purpose: parse arguments, open the Assistant, build the Gradio app, queue and launch it.
"""

from __future__ import annotations

import argparse
import logging
import sys

from pydantic import ValidationError

from assistant.config import load_settings, offline_environment
from assistant.errors import QMSError

offline_environment()  # before anything can load onnxruntime (see config.offline_environment)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="qms-app", description="启动质量助手网页版（离线，中文界面）。")
    parser.add_argument("--host", help="监听地址，默认取配置 app_host（127.0.0.1）")
    parser.add_argument("--port", type=int, help="端口，默认取配置 app_port（7860）")
    return parser.parse_args(argv)


def log_to_stderr() -> None:
    """The server log: our `qms.*` loggers at INFO (one line per refused input, tracebacks for real failures)."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger = logging.getLogger("qms")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    log_to_stderr()
    try:
        settings = load_settings()
    except ValidationError as exc:  # a typo in qms.toml or a QMS_* variable: say which, no traceback
        print(f"启动失败：配置有误（qms.toml 或 QMS_* 环境变量）：\n{exc}", file=sys.stderr)
        raise SystemExit(2) from exc
    try:
        from assistant.service import Assistant
        from assistant.web.ui import auth_pairs, build_app, launch_options

        auth_pairs(settings.app_auth)  # check the login config before the (possibly long) index build
        # Only a data dir without an index gets the first-run note (with a Chroma server it may live elsewhere).
        first_run = not settings.chroma_url and not (settings.index_dir / "CURRENT.json").exists()
        print("正在建立知识库索引（首次运行）……" if first_run else "正在打开知识库……", flush=True)
        assistant = Assistant.from_settings(settings)
        demo = build_app(assistant)
        options = launch_options(assistant)
    except QMSError as exc:
        print(f"启动失败：{exc}", file=sys.stderr)
        raise SystemExit(2) from exc
    host = args.host or settings.app_host
    if host not in {"127.0.0.1", "localhost", "::1"} and not settings.app_auth:
        print(f"注意：正在监听 {host} 且未设置登录（app_auth），局域网内任何人都能访问。", file=sys.stderr)
    demo.queue(default_concurrency_limit=settings.app_concurrency)
    demo.launch(
        server_name=host,
        server_port=args.port or settings.app_port,
        **options,
    )


if __name__ == "__main__":
    main()
