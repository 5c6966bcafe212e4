"""`qms quiz …` and `qms training …`: thin typer commands over `Trainer` (mounted by assistant/cli.py)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import typer

from assistant.cli_errors import cli_errors
from assistant.errors import InputError
from assistant.training.check import format_report
from assistant.training.cli_records import training_app
from assistant.training.models import TYPE_NAMES, Question, Quiz, QuizResult
from assistant.training.scoring import parse_choice
from assistant.training.service import Trainer

__all__ = ["quiz_app", "training_app"]

quiz_app = typer.Typer(help="员工培训测验：出题、答题、模拟考试、错题重练、批改、题库核对。", no_args_is_help=True)

TopicOpt = typer.Option(None, "--topic", "-t", help="培训主题，如 内部审核（不填则综合出题）")
RoleOpt = typer.Option(
    None,
    "--role",
    "-r",
    help="岗位：一线员工 / 检验员 / 仓管 / 采购 / 销售/客服 / 班组长 / 内审员 / 管理者（可用 质检、库管 等别名）",
)
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


def _sit(trainer: Trainer, quiz: Quiz, name: str, role: str | None, department: str) -> None:
    """Ask every question (a mock exam stops asking when its time is up), grade, report and record."""
    limit = f"，限时 {quiz.time_limit_min} 分钟" if quiz.time_limit_min else ""
    typer.echo(f"{name}，你好！本次{_MODES[quiz.mode]}：{quiz.topic or '综合'}，共 {len(quiz.questions)} 题{limit}。")
    started = time.monotonic()
    answers: list = []
    for i, q in enumerate(quiz.questions, 1):
        if quiz.time_limit_min and time.monotonic() - started > 60 * quiz.time_limit_min:
            typer.secho("时间到，未答的题按未作答计分。", fg=typer.colors.YELLOW)
            break
        _show(i, q)
        answers.append(_ask(q))
    duration = time.monotonic() - started
    result = _report(quiz, trainer, answers)
    record = trainer.record(name, quiz.role or role or "", department, quiz, result, duration_s=duration)
    typer.echo(f"已保存培训记录（第 {record.id} 条，{record.taken_at}）：{trainer.settings.training_db}")
    if result.pending:
        typer.echo(f"有 {result.pending} 道简答题待复核：培训负责人确认后才计入能力证据（qms training review）。")


_MODES = {"quiz": "测验", "mock": "模拟考试", "drill": "错题重练"}
NameOpt = typer.Option(..., "--name", prompt="员工姓名", help="员工姓名")
DeptOpt = typer.Option("", "--department", "-d", help="部门")


@quiz_app.command("take")
@cli_errors
def take(
    name: str = NameOpt,
    role: str | None = RoleOpt,
    department: str = DeptOpt,
    topic: str | None = TopicOpt,
    n: int = CountOpt,
    seed: int | None = SeedOpt,
    pass_mark: float = typer.Option(80.0, "--pass-mark", help="合格分数线"),
) -> None:
    """在终端答题：逐题作答、评分、讲解出处，并保存培训记录。"""
    trainer = Trainer()
    _sit(trainer, trainer.new_quiz(topic, role, n, seed, pass_mark=pass_mark), name, role, department)


@quiz_app.command("mock")
@cli_errors
def mock(
    name: str = NameOpt,
    role: str | None = RoleOpt,
    department: str = DeptOpt,
    topic: str | None = TopicOpt,
    n: int = typer.Option(20, "--n", "-n", help="题目数量，如 20 / 30 / 50"),
    minutes: int = typer.Option(30, "--minutes", "-m", help="考试时间（分钟）"),
    pass_mark: float = typer.Option(80.0, "--pass-mark", help="合格分数线"),
    seed: int | None = SeedOpt,
) -> None:
    """模拟考试：固定题量、限时、合格线，交卷后逐题讲解。"""
    trainer = Trainer()
    _sit(trainer, trainer.mock_exam(topic, role, n, minutes, pass_mark, seed), name, role, department)


@quiz_app.command("drill")
@cli_errors
def drill(name: str = NameOpt, n: int = CountOpt, seed: int | None = SeedOpt) -> None:
    """错题重练：从本人的错题本抽题，连续答对两次的题目移出错题本。"""
    trainer = Trainer()
    quiz = trainer.drill_quiz(name, n, seed)
    _sit(trainer, quiz, name, None, "")
    left = len(trainer.wrong_book(name))
    typer.echo(f"错题本还剩 {left} 题。" if left else "错题本已清空。")


@quiz_app.command("grade")
@cli_errors
def grade_files(
    quiz_file: Path = typer.Option(..., "--quiz", help="`qms quiz new --json` 输出的题目文件"),
    answers_file: Path = typer.Option(..., "--answers", help='答案文件：按题目顺序的列表，或 {"题目编号": 答案}'),
    as_json: bool = typer.Option(False, "--json", help="以 JSON 输出成绩"),
) -> None:
    """按网页同样的评分方式批改答案（供脚本和测试使用，不保存记录）。"""
    trainer = Trainer()
    quiz = trainer.quiz_from_json(_read_json(quiz_file))
    answers = _read_json(answers_file)
    if not isinstance(answers, list | dict):
        raise InputError("答案文件应为 JSON 列表（按题目顺序）或以题目编号为键的对象。")
    result = trainer.grade(quiz, answers)
    if as_json:
        payload = result.model_dump(mode="json")
        payload["pending"] = result.pending
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    for i, graded in enumerate(result.answers, 1):
        status = "待复核" if graded.review == "pending" else ("✓" if graded.correct else "✗")
        typer.echo(f"{i}. {status} {graded.feedback.splitlines()[0]}")
    typer.echo(
        f"得分：{result.score:g} / 100（合格线 {result.pass_mark:g}），{'合格' if result.passed else '不合格'}。"
    )


def _read_json(path: Path) -> object:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise InputError(f"找不到文件：{path}") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{path} 不是有效的 UTF-8 JSON 文件：{exc}") from exc


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
