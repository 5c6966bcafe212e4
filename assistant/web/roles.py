"""Who may do what in the web app: admins manage the knowledge base and everyone's training records.

Checked in the handlers from the login Gradio verified (`gr.Request.username`), so calling an endpoint
directly is refused just like the page's button. Without any login configured the app is a single local user's
tool, and that user may do everything.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import gradio as gr

from assistant.errors import InputError, QMSError

if TYPE_CHECKING:
    from assistant.config import Settings


def account_names(settings: Settings) -> list[str]:
    return [entry.partition(":")[0].strip() for entry in settings.app_auth]


def admin_names(settings: Settings) -> set[str]:
    """`app_admins`, or the first login when none are named (a one-account install keeps full rights)."""
    accounts = account_names(settings)
    if not settings.app_admins:
        return set(accounts[:1])
    unknown = [name for name in settings.app_admins if name not in accounts]
    if unknown:
        raise QMSError(
            f"配置 app_admins 中的账号“{'、'.join(unknown)}”不在 app_auth 中：管理员必须是能登录的账号，请改正后重启。"
        )
    return set(settings.app_admins)


def is_admin(settings: Settings, request: gr.Request | None) -> bool:
    if not settings.app_auth:
        return True
    return getattr(request, "username", None) in admin_names(settings)


def require_admin(settings: Settings, request: gr.Request | None, action: str) -> None:
    """Refuse `action` (e.g. "导入文件") in Chinese unless the logged-in user is an admin."""
    if not is_admin(settings, request):
        user = getattr(request, "username", None) or "未登录"
        raise InputError(
            f"只有管理员可以{action}。当前账号“{user}”是普通用户：请用管理员账号登录，"
            "或请管理员把该账号加入 app_admins。"
        )


def show_to_admins(demo: gr.Blocks, settings: Settings, components: list[Any]) -> None:
    """Hide admin-only controls from users when the page loads; a courtesy, the handlers still check."""
    if not settings.app_auth:
        return

    def visibility(request: gr.Request) -> list[Any]:
        return [gr.update(visible=is_admin(settings, request))] * len(components)

    demo.load(visibility, None, components, api_visibility="private")
