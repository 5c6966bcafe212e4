"""What every tab shares: turning errors into Chinese messages, theme, temporary download folders."""

from __future__ import annotations

import functools
import inspect
import logging
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import gradio as gr

from assistant.errors import InputError, QMSError

log = logging.getLogger("qms.web")

F = TypeVar("F", bound=Callable[..., Any])

INTERNAL_ERROR = "出现内部错误，操作未完成。请稍后重试；如果问题反复出现，请把服务器日志发给管理员。"


# Toast titles: Gradio's defaults are "Error"/"Warning"/"Info".
TITLE_ERROR, TITLE_NOTICE = "错误", "提示"


def warn(message: str) -> None:
    """A yellow toast with a Chinese title."""
    gr.Warning(message, title=TITLE_NOTICE)


def _as_gradio_error(exc: Exception, where: str) -> gr.Error:
    if isinstance(exc, gr.Error):
        return exc
    if isinstance(exc, QMSError):
        # An ordinary input error: the user sees the message; the log gets one line, not a traceback.
        log.info("%s refused: %s", where, exc)
        return gr.Error(str(exc), title=TITLE_NOTICE, print_exception=False)
    # Never show a stack trace to the user: log it (once) for the administrator instead.
    log.exception("web handler %s failed", where)
    return gr.Error(INTERNAL_ERROR, title=TITLE_ERROR, print_exception=False)


def user_errors(fn: F) -> F:
    """Wrap a handler (plain or generator) so any failure reaches the user as a Chinese message."""
    where = getattr(fn, "__qualname__", "handler")
    if inspect.isgeneratorfunction(fn):

        @functools.wraps(fn)
        def gen_wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                yield from fn(*args, **kwargs)
            except Exception as exc:
                raise _as_gradio_error(exc, where) from exc

        return gen_wrapper  # type: ignore[return-value]

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except Exception as exc:
            raise _as_gradio_error(exc, where) from exc

    return wrapper  # type: ignore[return-value]


def upload_folder() -> Path:
    """Where Gradio stores what browsers upload (GRADIO_TEMP_DIR or <tmp>/gradio), symlinks resolved."""
    from gradio.utils import get_upload_folder

    return Path(get_upload_folder()).resolve()


def uploaded_files(paths: list[str]) -> list[Path]:
    """The paths a client sent, kept only if they are files Gradio received as uploads.

    A client names the path in its FileData payload, so without this check any file the server can read
    could be ingested and then quoted in answers. Gradio refuses such paths itself in current versions; this
    keeps the guarantee in our own code, whatever the Gradio version or route. Symlinks are resolved first.
    """
    root = upload_folder()
    out = []
    for raw in paths:
        path = Path(raw)
        resolved = path.resolve()
        if path.is_symlink() or not resolved.is_relative_to(root) or not resolved.is_file():
            log.warning("refused an upload path outside the upload folder: %s", raw)
            raise InputError("只能导入通过本页面上传的文件：请用“选择文件”重新上传。")
        out.append(resolved)
    return out


def download_dir() -> Path:
    """A fresh folder under the system temp dir: Gradio serves returned files from there, never data_dir."""
    return Path(tempfile.mkdtemp(prefix="qms-download-"))


# System fonts only: the default theme would fetch Google Fonts, and the app must work offline.
CJK_FONTS = [
    "PingFang SC",
    "Microsoft YaHei",
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "WenQuanYi Micro Hei",
    "system-ui",
    "sans-serif",
]


def theme() -> gr.themes.Base:
    return gr.themes.Soft(
        primary_hue="blue",
        font=CJK_FONTS,
        font_mono=["Consolas", "DejaVu Sans Mono", "monospace"],
    )


# Gradio 6 heads every toast with its English type ("Warning", "Error") and ignores the `title` we pass;
# the header span carries the type as a class, so the English word is hidden and a Chinese one drawn instead.
TOAST_TITLES = {"error": TITLE_ERROR, "warning": TITLE_NOTICE, "info": "信息", "success": "完成"}
TOAST_CSS = "\n".join(
    f".toast-title.{kind} {{ font-size: 0 !important; }}\n"
    f'.toast-title.{kind}::before {{ content: "{title}"; font-size: var(--text-md, 14px); }}'
    for kind, title in TOAST_TITLES.items()
)

CSS = (
    """
.qms-sources details { margin: 0.25em 0; }
.qms-sources summary { cursor: pointer; }
"""
    + TOAST_CSS
)
