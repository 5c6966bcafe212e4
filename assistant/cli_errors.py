"""One error translator for every `qms` command, as `web/common.py` `user_errors` is for the web app.

A user who mistypes a path or a setting, or whose index build fails, gets one Chinese line and exit code 1;
only a real bug (anything else) keeps its traceback, so it can be reported.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import typer
from pydantic import ValidationError

from assistant.errors import QMSError

F = TypeVar("F", bound=Callable[..., Any])


def _settings_message(exc: ValidationError) -> str:
    fields = "、".join(".".join(str(p) for p in e["loc"]) or "?" for e in exc.errors())
    return f"配置有误（qms.toml 或 QMS_* 环境变量）：{fields}。请按 README 的配置表改正后重试。"


def _os_message(exc: OSError) -> str:
    where = f"“{exc.filename}”" if exc.filename else ""
    if isinstance(exc, FileNotFoundError):
        return f"找不到文件或文件夹{where}：请检查路径是否正确。"
    if isinstance(exc, PermissionError):
        return f"没有权限访问{where}：请检查文件权限。"
    if isinstance(exc, IsADirectoryError):
        return f"{where}是文件夹，不是文件：请指定其中的文件。"
    return f"无法读写文件{where}（{exc.strerror or exc}）。请检查路径和磁盘空间。"


def message_for(exc: BaseException) -> str | None:
    """The Chinese line for an error the user can fix; None for anything else (a bug)."""
    if isinstance(exc, QMSError):
        return str(exc)
    if isinstance(exc, ValidationError) and exc.title == "Settings":
        return _settings_message(exc)
    if isinstance(exc, OSError):
        return _os_message(exc)
    return None


def cli_errors(fn: F) -> F:
    """Decorate a typer command: user-fixable errors print `错误：…` to stderr and exit 1, without a traceback."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (typer.Exit, typer.Abort, KeyboardInterrupt):
            raise
        except Exception as exc:
            message = message_for(exc)
            if message is None:
                raise
            typer.secho(f"错误：{message}", fg=typer.colors.RED, err=True)
            raise typer.Exit(1) from exc

    return wrapper  # type: ignore[return-value]
