"""The `qms` command line: thin wrappers over the Python API."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.markdown import Markdown
from rich.table import Table

from assistant.cli_errors import cli_errors
from assistant.config import offline_environment

offline_environment()  # before any command can load onnxruntime (see config.offline_environment)

app = typer.Typer(help="质量助手：小微企业 ISO 9001 质量管理体系助手（离线）", no_args_is_help=True)
kb_app = typer.Typer(help="知识库管理：查看、删除、重建", no_args_is_help=True)
app.add_typer(kb_app, name="kb")
console = Console()


def _mount_optional() -> None:
    # Drafting and training live in their own packages and bring their own sub-commands.
    try:
        from assistant.drafting.cli import draft_app

        app.add_typer(draft_app, name="draft")
    except ImportError:  # pragma: no cover - only while a package is being built
        pass
    try:
        from assistant.training.cli import quiz_app, training_app

        app.add_typer(quiz_app, name="quiz")
        app.add_typer(training_app, name="training")
    except ImportError:  # pragma: no cover
        pass


def _assistant():
    from assistant.service import Assistant

    return Assistant.from_settings()


@app.command()
@cli_errors
def ask(question: str = typer.Argument(..., help="用中文提问，例如：内审怎么做？")) -> None:
    """提一个问题，打印带出处的回答。"""
    answer = _assistant().ask(question)
    console.print(Markdown(answer.markdown()))


@app.command()
@cli_errors
def chat() -> None:
    """交互式多轮问答（输入空行或 Ctrl-D 退出，输入 /new 开始新对话）。"""
    a = _assistant()
    history: list[tuple[str, str]] = []
    console.print("[bold]质量助手[/bold]：请提问（/new 新对话，空行退出）")
    while True:
        try:
            question = console.input("[cyan]你：[/cyan]").strip()
        except (EOFError, KeyboardInterrupt):
            break
        if not question:
            break
        if question == "/new":
            history.clear()
            console.print("[dim]已开始新对话。[/dim]")
            continue
        final = None
        streamed: list[str] = []
        for event in a.ask_stream(question, history):
            if isinstance(event, str):
                streamed.append(event)
                console.print(event, end="")
            else:
                final = event
        console.print()
        if final is not None:
            if final.text.strip() != "".join(streamed).strip():
                # Citations were checked after streaming (or the model failed part-way): show the final answer.
                console.rule("核实后的回答")
                console.print(Markdown(final.text))
            if final.notice:
                console.print(f"[yellow]{final.notice}[/yellow]")
            if final.citations:
                console.print(Markdown("**来源**\n\n" + final.sources_markdown()))
            history.append((question, final.text))


@app.command()
@cli_errors
def search(
    question: str = typer.Argument(..., help="检索的问题"),
    k: int = typer.Option(5, "--k", "-k", help="返回的片段数"),
    mode: str = typer.Option("hybrid", help="hybrid | bm25 | dense"),
) -> None:
    """检索知识库，打印排序后的片段、章节路径和分数。"""
    a = _assistant()
    docs, signals = a.search(question, k=k, mode=mode)  # type: ignore[arg-type]
    table = Table(title=f"检索：{question}", show_lines=True)
    for col in ("#", "章节", "条款", "分数", "BM25", "向量", "片段"):
        table.add_column(col)
    for i, d in enumerate(docs, 1):
        m = d.metadata
        table.add_row(
            str(i),
            str(m["section"]),
            str(m["clauses"]),
            f"{m['score']:.3f}",
            f"{m['bm25']:.2f}",
            f"{m['dense']:.3f}",
            d.page_content[:120],
        )
    console.print(table)
    console.print(f"[dim]最佳向量相似度 {signals.best_dense:.3f}，最佳 BM25 {signals.best_bm25:.2f}[/dim]")


def _intent_name(intent: str, a) -> str:
    from assistant.understanding import ConceptModel

    model = ConceptModel.load(a.settings.corpus_dir)
    return f"{model.get('intent.' + intent).name}（{intent}）" if f"intent.{intent}" in model else intent


@app.command()
@cli_errors
def explain(question: str = typer.Argument(..., help="要分析的问题，例如：内审时发现卡尺过期还在用")) -> None:
    """显示助手如何理解一个问题：主题概念、意图、背景、范围判断，以及回答所依据的条款。"""
    a = _assistant()
    analysis = a.analyse(question)
    _, signals = a.search(question, k=5, analysis=analysis)
    table = Table(title=f"问题分析：{question}", show_header=False)
    table.add_column("项目", style="bold")
    table.add_column("结果", overflow="fold")
    names = lambda concepts: "、".join(f"{c.name}（{c.id}）" for c in concepts) or "—"  # noqa: E731
    scope = {"in": "知识库内", "out": "知识库外", "unknown": "未识别主题，按检索匹配度判断"}[analysis.scope]
    rows = [
        ("意图", _intent_name(analysis.intent, a)),
        ("主题（主语在前）", names(analysis.concepts)),
        ("情景框架（不作主语）", names(analysis.framing)),
        ("按情形判定条款", "是" if analysis.judges_a_finding else "否"),
        # The words judged (less follow-on asks, reported outcomes and an exam stem's closing ask).
        ("检索所用文字", analysis.search_text if analysis.search_text != analysis.standalone else "原问题"),
        ("点名的条款", "、".join(analysis.clauses) or "—"),
        ("主题条款", "、".join(analysis.topic_clauses) or "—"),
        ("背景", "；".join(f"{k}：{'、'.join(v)}" for k, v in analysis.context.items()) or "—"),
        ("范围", scope + (f"（{analysis.out_of_scope.name}）" if analysis.out_of_scope else "")),
        ("触及的知识库缺口", names(analysis.gaps)),
        ("知识库不认识的词", "、".join(analysis.unknown_terms) or "—"),
        ("检索扩展词", "、".join(analysis.expansions) or "—"),
        ("最接近的条款要点", "、".join(signals.clause_ranking[:5]) or "—"),
    ]
    for label, value in rows:
        table.add_row(label, value)
    console.print(table)


@app.command()
@cli_errors
def ingest(paths: list[Path] = typer.Argument(..., help="要加入知识库的 PDF / DOCX / MD / TXT 文件")) -> None:
    """把公司文件加入知识库（未变化的文件自动跳过，变化的文件替换旧内容）。"""
    a = _assistant()
    try:
        report = a.ingest_files(paths)
    except KeyboardInterrupt:
        # Ctrl-C: the half-built generation was dropped and the writer lock released on the way out.
        console.print("[yellow]已取消导入：知识库保持原样，可稍后重新导入。[/yellow]")
        raise typer.Exit(130) from None
    for s in report.added:
        console.print(f"[green]新增[/green] {s}")
    for s in report.updated:
        console.print(f"[green]更新[/green] {s}（替换了同名的旧文件）")
    # What a person should check by eye, e.g. scanned pages recognised with low confidence.
    notes = {str(r["source"]): str(r["warnings"]) for r in a.list_sources() if r["warnings"]}
    for s in report.added + report.updated:
        if s in notes:
            console.print(f"  [yellow]提示[/yellow] {notes[s]}")
    for s in report.unchanged:
        console.print(f"[dim]未变化，跳过[/dim] {s}")
    for name, msg in report.failed.items():
        console.print(f"[red]失败[/red] {name}：{msg}")
    console.print(f"共 {report.chunks} 个片段，用时 {report.seconds:.1f} 秒")
    if report.failed:
        raise typer.Exit(1)


@app.command("eval")
@cli_errors
def evaluate(
    questions: Path = typer.Option(None, help="评测题集 YAML（默认 tests/eval/questions.yaml）"),
    answers: bool = typer.Option(True, help="同时评测问答（引用命中、拒答）"),
) -> None:
    """检索与问答评测：hit@1/3/5、MRR@10、上下文字数、每题毫秒；混合 / BM25 / 向量对比。"""
    from assistant.eval import DEFAULT_QUESTIONS, run

    run(questions or DEFAULT_QUESTIONS, answers=answers, assistant=_assistant())


@kb_app.command("list")
@cli_errors
def kb_list() -> None:
    """列出知识库中的文档及片段数。"""
    a = _assistant()
    table = Table(title="知识库文档")
    for col in ("来源", "标题", "类型", "片段数", "加入时间", "提示"):
        table.add_column(col)
    kinds = {"guide": "指南", "clause": "条款要点", "user": "用户上传"}
    for row in a.list_sources():
        table.add_row(
            str(row["source"]),
            str(row["title"]),
            kinds.get(str(row["kind"]), str(row["kind"])),
            str(row["chunks"]),
            str(row["added_at"]),
            str(row["warnings"]),
        )
    console.print(table)


@kb_app.command("remove")
@cli_errors
def kb_remove(
    source: str = typer.Argument(..., help="kb list 中显示的来源，例如 uploads/采购程序.pdf"),
) -> None:
    """从知识库删除一个用户上传的文档。"""
    _assistant().remove_source(source)
    console.print(f"已删除 {source}")


@kb_app.command("rebuild")
@cli_errors
def kb_rebuild() -> None:
    """重新切分并重建全部索引（更换嵌入模型或切分参数后使用）。"""
    a = _assistant()
    report = a.rebuild()
    console.print(f"已重建：{len(report.updated)} 个文档，{report.chunks} 个片段，用时 {report.seconds:.1f} 秒")


_mount_optional()

if __name__ == "__main__":
    app()
