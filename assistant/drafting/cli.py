"""`qms draft …`: QMS documents from a company profile (assistant/cli.py mounts `draft_app`)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markdown import Markdown

from assistant.cli_errors import cli_errors
from assistant.config import load_settings
from assistant.drafting.builder import Drafter
from assistant.drafting.export_docx import write_docx
from assistant.drafting.export_markdown import to_markdown, write_markdown
from assistant.drafting.models import DraftDocument
from assistant.drafting.profile import CompanyProfile, load_profile
from assistant.errors import InputError

draft_app = typer.Typer(
    help="文件起草：根据企业概况（YAML）生成过程识别卡、过程图、程序文件、质量目标、内审检查表和整套文件包。",
    no_args_is_help=True,
)

ProfileOpt = Annotated[
    Path,
    typer.Option("--profile", "-p", help="企业概况 YAML（name、industry、business、headcount、products、processes……）"),
]
OutputOpt = Annotated[Path | None, typer.Option("--output", "-o", help="输出文件：.docx 或 .md；不填则在终端显示")]
NoIndexOpt = Annotated[
    bool, typer.Option("--no-index", help="只用模板起草，不打开知识库索引（更快，来源只列模板自带的）")
]
RawOpt = Annotated[bool, typer.Option("--raw", help="在终端输出原始 Markdown 文本（便于复制或重定向）")]


def _console() -> Console:
    return Console(soft_wrap=True)


def _drafter(no_index: bool) -> Drafter:
    settings = load_settings()
    if no_index:
        return Drafter(settings)
    from assistant.service import Assistant

    _console().print("正在打开知识库索引……", style="dim")
    return Drafter(Assistant.from_settings(settings, progress=False))


def _emit(doc: DraftDocument, output: Path | None, raw: bool) -> None:
    console = _console()
    if output is None:
        text = to_markdown(doc)
        if raw:
            typer.echo(text)
        else:
            console.print(Markdown(text))
        return
    suffix = output.suffix.lower()
    if suffix == ".docx":
        path = write_docx(doc, output)
    elif suffix == ".md":
        path = write_markdown(doc, output)
    else:
        raise InputError(f"不支持的输出格式“{output.suffix or '（无扩展名）'}”：请用 .docx 或 .md 结尾的文件名。")
    console.print(f"已生成：{path}")


def _single(
    profile: Path,
    output: Path | None,
    no_index: bool,
    raw: bool,
    make: Callable[[Drafter, CompanyProfile], DraftDocument],
) -> None:
    company = load_profile(profile)
    _emit(make(_drafter(no_index), company), output, raw)


@draft_app.command("card")
@cli_errors
def card(
    profile: ProfileOpt,
    process: Annotated[str, typer.Option("--process", help="过程名称、编号或自己的工序名，如 注塑、C3")],
    output: OutputOpt = None,
    no_index: NoIndexOpt = False,
    raw: RawOpt = False,
) -> None:
    """起草一个过程的《过程识别卡》（指南表 3-1 格式）。"""
    _single(profile, output, no_index, raw, lambda d, p: d.card(p, process))


@draft_app.command("procedure")
@cli_errors
def procedure(
    profile: ProfileOpt,
    kind: Annotated[str, typer.Option("--kind", help="程序类型，如 内部审核、管理评审、文件和记录控制")],
    output: OutputOpt = None,
    no_index: NoIndexOpt = False,
    raw: RawOpt = False,
) -> None:
    """起草一份程序文件（用 `procedures` 命令查看可选类型）。"""
    _single(profile, output, no_index, raw, lambda d, p: d.procedure(p, kind))


@draft_app.command("objectives")
@cli_errors
def objectives(
    profile: ProfileOpt, output: OutputOpt = None, no_index: NoIndexOpt = False, raw: RawOpt = False
) -> None:
    """起草质量方针、体系范围和可测量的质量目标。"""
    _single(profile, output, no_index, raw, lambda d, p: d.objectives(p))


@draft_app.command("checklist")
@cli_errors
def checklist(profile: ProfileOpt, output: OutputOpt = None, no_index: NoIndexOpt = False, raw: RawOpt = False) -> None:
    """起草按过程编排的内部审核检查表。"""
    _single(profile, output, no_index, raw, lambda d, p: d.audit_checklist(p))


@draft_app.command("map")
@cli_errors
def process_map(
    profile: ProfileOpt, output: OutputOpt = None, no_index: NoIndexOpt = False, raw: RawOpt = False
) -> None:
    """起草过程清单和过程之间的联系（M/C/S 编号）。"""
    _single(profile, output, no_index, raw, lambda d, p: d.process_map(p))


@draft_app.command("pack")
@cli_errors
def pack(
    profile: ProfileOpt,
    output: Annotated[Path, typer.Option("--output", "-o", help="文件包路径（.zip）")],
    no_index: NoIndexOpt = False,
) -> None:
    """生成整套起步文件包（ZIP：体系范围和适用性说明、过程识别卡、程序文件、记录表单、条款覆盖矩阵、文件清单）。"""
    if output.suffix.lower() != ".zip":
        raise InputError("文件包请用 .zip 结尾的文件名，例如 -o 文件包.zip。")
    company = load_profile(profile)
    drafter = _drafter(no_index)
    console = _console()
    if notes := drafter.notes(company):
        console.print("起草时的假定和请确认的事项：\n" + "\n".join(f"- {n}" for n in notes), style="yellow")
    path, docs = drafter.write_pack(company, output)
    console.print(f"已生成文件包：{path}（{len(docs)} 份文件和条款覆盖矩阵）")


@draft_app.command("scope")
@cli_errors
def scope(profile: ProfileOpt, output: OutputOpt = None, no_index: NoIndexOpt = False, raw: RawOpt = False) -> None:
    """起草《质量管理体系范围和适用性说明》（4.3：范围、不适用的要求及理由、法规提醒）。"""
    _single(profile, output, no_index, raw, lambda d, p: d.scope(p))


@draft_app.command("procedures")
@cli_errors
def procedures() -> None:
    """列出可以起草的程序文件类型。"""
    typer.echo("\n".join(Drafter(load_settings()).available_procedures()))
