"""`qms training …`: training records, the trainer's review queue (待复核), progress, item statistics, exports."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import typer

from assistant.cli_errors import cli_errors
from assistant.training.export import EVIDENCE_NAMES
from assistant.training.service import Trainer

training_app = typer.Typer(
    help="培训记录：查看、复核、进度、题目分析与导出（ISO 9001 7.2 能力证据）。", no_args_is_help=True
)
TopicOpt = typer.Option(None, "--topic", "-t", help="培训主题，如 内部审核")


@training_app.command("list")
@cli_errors
def list_records(
    name: str | None = typer.Option(None, "--name", help="只看某位员工"), topic: str | None = TopicOpt
) -> None:
    """列出培训测验记录。"""
    records = Trainer().records(name, topic)
    if not records:
        typer.echo("还没有培训记录。可用 `qms quiz take` 参加测验。")
        return
    typer.echo("日期                 员工    岗位        部门      主题          得分   结果")
    for r in records:
        typer.echo(
            f"{r.taken_at}  {r.employee:<6}  {r.role or '-':<8}  {r.department or '-':<6}  "
            f"{r.topic or '综合':<10}  {r.score:>5g}  {'合格' if r.passed else '不合格'}  "
            f"{EVIDENCE_NAMES.get(r.review_status, '')}"
        )
    typer.echo(f"共 {len(records)} 条，合格 {sum(r.passed for r in records)} 条。")


@training_app.command("export")
@cli_errors
def export(
    output: Path = typer.Option(..., "--output", "-o", help="导出文件，如 培训记录.xlsx"),
    fmt: Literal["xlsx", "csv"] | None = typer.Option(None, "--format", "-f", help="xlsx 或 csv（默认按文件名）"),
    name: str | None = typer.Option(None, "--name", help="只导出某位员工"),
    topic: str | None = TopicOpt,
) -> None:
    """导出培训记录（Excel 含“培训记录”和“答题明细”两张表；CSV 为 UTF-8 带 BOM，Excel 可直接打开）。"""
    fmt = fmt or ("csv" if output.suffix.lower() == ".csv" else "xlsx")
    trainer = Trainer()
    path = trainer.export_csv(output, name, topic) if fmt == "csv" else trainer.export_xlsx(output, name, topic)
    typer.echo(f"已导出 {len(trainer.records(name, topic))} 条培训记录：{path}")


@training_app.command("review")
@cli_errors
def review(
    attempt: int | None = typer.Option(None, "--attempt", help="记录编号（见列表）"),
    question: str | None = typer.Option(None, "--question", help="题目编号（见列表）"),
    accept: bool | None = typer.Option(None, "--accept/--reject", help="确认通过 / 判定未通过"),
    reviewer: str = typer.Option("", "--reviewer", help="复核人姓名"),
) -> None:
    """列出待复核的简答题；给出 --attempt --question --accept/--reject --reviewer 时记录复核结论。"""
    trainer = Trainer()
    if attempt is None:
        queue = trainer.pending_reviews()
        if not queue:
            typer.echo("没有待复核的简答题。")
        for p in queue:
            typer.echo(f"\n[记录 {p.attempt_id} / 题目 {p.question_id}] {p.employee} {p.taken_at}\n题目：{p.question}")
            typer.echo(f"作答：{p.given}\n已答到：{'、'.join(p.covered) or '无'}；待确认：{'、'.join(p.unsure)}")
            typer.echo(f"参考答案：{p.reference}")
        return
    if question is None or accept is None:
        raise typer.BadParameter("请同时给出 --question 和 --accept 或 --reject。")
    record = trainer.review(attempt, question, accept, reviewer)
    typer.echo(f"已记录复核结论。记录 {record.id}：{record.score:g} 分，{EVIDENCE_NAMES.get(record.review_status)}。")


@training_app.command("progress")
@cli_errors
def show_progress(name: str | None = typer.Option(None, "--name", help="只看某位员工")) -> None:
    """每人每个主题的答题数和正确率（低的在前），以及错题本里还剩的题。"""
    trainer = Trainer()
    rows = trainer.progress(name)
    if not rows:
        typer.echo("还没有可统计的答题记录。")
    for p in rows:
        typer.echo(f"{p.employee:<6} {p.topic:<14} 答题 {p.answered:>3}  正确率 {p.rate:>5g}%  最近 {p.last_at}")
    if name:
        typer.echo(f"错题本：{len(trainer.wrong_book(name))} 题待重练（qms quiz drill --name {name}）。")


@training_app.command("stats")
@cli_errors
def stats(topic: str | None = TopicOpt, top: int = typer.Option(20, "--top", help="显示的题目数")) -> None:
    """题目分析：每题答对率（难度）和各选项被选比例（干扰项是否起作用）。"""
    items = Trainer().item_stats(topic)
    if not items:
        typer.echo("还没有答题记录。")
    for item in items[:top]:
        rates = item.rates_text()
        typer.echo(f"答对率 {item.difficulty:.0%}（{item.answered} 人次） {item.question[:40]}\n    {rates}")
