"""`qms quiz …` and `qms training …`: thin typer commands over `Trainer` (mounted by assistant/cli.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

import typer

from assistant.cli_errors import cli_errors
from assistant.training.check import format_report
from assistant.training.models import TYPE_NAMES, Question, Quiz, QuizResult
from assistant.training.scoring import parse_choice
from assistant.training.service import Trainer

quiz_app = typer.Typer(help="员工培训测验：出题、答题、题库核对。", no_args_is_help=True)
training_app = typer.Typer(help="培训记录：查看与导出（ISO 9001 7.2 能力证据）。", no_args_is_help=True)

TopicOpt = typer.Option(None, "--topic", "-t", help="培训主题，如 内部审核（不填则综合出题）")
RoleOpt = typer.Option(None, "--role", "-r", help="岗位：高层领导 / 部门负责人 / 文件编写人员 / 一线员工")
CountOpt = typer.Option(10, "--n", "-n", help="题目数量")
SeedOpt = typer.Option(None, "--seed", help="随机种子：相同种子出同一套题")


def _show(n: int, q: Question) -> None:
    typer.echo(f"\n{n}.【{TYPE_NAMES[q.type]}】{q.question}")
    for letter, option in zip("ABCDEFGH", q.options, strict=False):
        typer.echo(f"   {letter}. {option}")


@quiz_app.command("new")
@cli_errors
def new(
    topic: str | None = TopicOpt,
    role: str | None = RoleOpt,
    n: int = CountOpt,
    seed: int | None = SeedOpt,
    as_json: bool = typer.Option(False, "--json", help="以 JSON 输出（含答案、解析和出处）"),
) -> None:
    """出一套测验题（不需要知识库索引）。"""
    quiz = Trainer().new_quiz(topic, role, n, seed)
    if as_json:
        typer.echo(json.dumps([q.public() for q in quiz.questions], ensure_ascii=False, indent=2))
        return
    typer.echo(f"测验 {quiz.id}：{quiz.topic or '综合'}，共 {len(quiz.questions)} 题，{quiz.pass_mark:g} 分合格。")
    for i, q in enumerate(quiz.questions, 1):
        _show(i, q)
    typer.echo("\n—— 参考答案 ——")
    for i, q in enumerate(quiz.questions, 1):
        answer = "；".join(q.answer) if q.type == "short" else "".join(q.answer)
        typer.echo(f"{i}. {answer}    出处：{q.citation.section}")


def _ask(q: Question) -> str | list[str]:
    if q.type == "short":
        return typer.prompt("   你的回答", default="", show_default=False)
    hint = "正确/错误（或 A/B）" if q.type == "true_false" else ("可多选，如 AC" if q.type == "multiple" else "如 A")
    for _ in range(3):
        raw = typer.prompt(f"   你的答案（{hint}）", default="", show_default=False)
        letters = parse_choice(q, raw)
        if letters and all(ord(x) - 65 < len(q.options) for x in letters):
            return letters
        typer.echo("   没有看懂这个答案，请重新输入。")
    return []


def _report(quiz: Quiz, trainer: Trainer, answers: list) -> QuizResult:
    result = trainer.grade(quiz, answers)
    typer.echo("\n======== 成绩 ========")
    for i, graded in enumerate(result.answers, 1):
        mark = "✓" if graded.correct else ("△" if graded.score > 0 else "✗")
        typer.echo(f"\n{i}. {mark} {graded.feedback}")
    verdict = "合格" if result.passed else "不合格"
    typer.secho(
        f"\n得分：{result.score:g} / 100（合格线 {quiz.pass_mark:g}），{verdict}。",
        fg=typer.colors.GREEN if result.passed else typer.colors.RED,
        bold=True,
    )
    return result


@quiz_app.command("take")
@cli_errors
def take(
    name: str = typer.Option(..., "--name", prompt="员工姓名", help="员工姓名"),
    role: str | None = RoleOpt,
    department: str = typer.Option("", "--department", "-d", help="部门"),
    topic: str | None = TopicOpt,
    n: int = CountOpt,
    seed: int | None = SeedOpt,
    pass_mark: float = typer.Option(80.0, "--pass-mark", help="合格分数线"),
) -> None:
    """在终端答题：逐题作答、评分、讲解出处，并保存培训记录。"""
    trainer = Trainer()
    quiz = trainer.new_quiz(topic, role, n, seed, pass_mark=pass_mark)
    typer.echo(f"{name}，你好！本次测验：{quiz.topic or '综合'}，共 {len(quiz.questions)} 题。")
    answers = []
    for i, q in enumerate(quiz.questions, 1):
        _show(i, q)
        answers.append(_ask(q))
    result = _report(quiz, trainer, answers)
    record = trainer.record(name, role or "", department, quiz, result)
    typer.echo(f"已保存培训记录（第 {record.id} 条，{record.taken_at}）：{trainer.settings.training_db}")


@quiz_app.command("bank")
@cli_errors
def bank(topic: str | None = TopicOpt) -> None:
    """显示各主题题量，并核对每道题的答案是否有原文依据。"""
    trainer = Trainer()
    report = trainer.check()
    if topic:
        typer.echo(f"主题“{topic}”：{len(trainer.bank.select(topic))} 题。")
    typer.echo(format_report(report, trainer.bank.catalogue.topic_names()))
    if not report.ok:
        raise typer.Exit(1)


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
            f"{r.topic or '综合':<10}  {r.score:>5g}  {'合格' if r.passed else '不合格'}"
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
