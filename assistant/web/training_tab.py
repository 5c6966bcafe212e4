"""培训测验 tab: pick topic/role/count, take a quiz, see score and explanations; admins list/export."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import gradio as gr

from assistant.errors import InputError
from assistant.training.export import HEADERS, summary_row
from assistant.training.models import Quiz
from assistant.training.service import Trainer
from assistant.web.common import download_dir, user_errors
from assistant.web.quiz_render import (
    option_choices,
    public_questions,
    question_title,
    quiz_intro,
    result_markdown,
)
from assistant.web.roles import is_admin, require_admin, show_to_admins

if TYPE_CHECKING:
    from assistant.service import Assistant

ALL_TOPICS, ANY_ROLE = "综合（全部主题）", "不限岗位"


class TrainingHandlers:
    def __init__(self, assistant: Assistant) -> None:
        self.settings = assistant.settings
        self.trainer = Trainer(assistant.settings, assistant)

    def topic_choices(self) -> list[str]:
        return [ALL_TOPICS, *self.trainer.topics()]

    def role_choices(self) -> list[str]:
        return [ANY_ROLE, *self.trainer.roles()]

    @user_errors
    def new_quiz(self, topic: str | None, role: str | None, n: float | None) -> tuple[Quiz, dict, str, str]:
        quiz = self.trainer.new_quiz(
            topic=None if topic in (None, "", ALL_TOPICS) else topic,
            role=None if role in (None, "", ANY_ROLE) else role,
            n=int(n or 10),
        )
        # The full quiz (with answers) stays in server-side session state; the page gets the public part.
        return quiz, public_questions(quiz), quiz_intro(quiz), ""

    def grade_and_record(
        self,
        quiz: Quiz | None,
        answers: list[Any],
        name: str,
        role: str | None,
        department: str,
        request: gr.Request | None,
    ) -> tuple[str, list[list[object]], None, str]:
        """Grade, record, and close the quiz (state → None) so one quiz gives exactly one record.

        The records table that comes back holds everyone's records for an admin, the trainee's own otherwise.
        """
        if quiz is None:
            raise InputError("请先点击“开始测验”。")
        if not (name or "").strip():
            raise InputError("请先填写姓名，成绩会记入培训记录。")
        result = self.trainer.grade(quiz, answers)
        role_name = "" if role in (None, ANY_ROLE) else role
        self.trainer.record(name, role_name, department or "", quiz, result)
        done = "已交卷。可以换个主题或再点“开始测验”重新抽题。"
        mine = None if is_admin(self.settings, request) else name.strip()
        return result_markdown(quiz, result, name.strip()), self.records_rows(mine, None), None, done

    @user_errors
    def grade_widgets(
        self, request: gr.Request, quiz: Quiz | None, name: str, role: str | None, department: str, *answers: Any
    ) -> tuple[str, list[list[object]], None, str]:
        return self.grade_and_record(quiz, list(answers), name, role, department, request)

    @user_errors
    def grade_json(
        self,
        quiz: Quiz | None,
        answers_json: str,
        name: str,
        role: str | None,
        department: str,
        request: gr.Request,
    ) -> tuple[str, list[list[object]], None, str]:
        """API form: answers as a JSON list in question order, e.g. ["A", ["A","C"], "正确", "简答……"]."""
        try:
            answers = json.loads(answers_json or "[]")
        except json.JSONDecodeError as exc:
            raise InputError('答案应为 JSON 列表，例如 ["A", ["A", "C"], "正确"]。') from exc
        if not isinstance(answers, list):
            raise InputError("答案应为 JSON 列表，按题目顺序排列。")
        return self.grade_and_record(quiz, answers, name, role, department, request)

    # ---- records (admin view) ------------------------------------------------------------------------
    def records_rows(self, name: str | None, topic: str | None) -> list[list[object]]:
        records = self.trainer.records(
            name=(name or "").strip() or None, topic=None if topic in (None, "", ALL_TOPICS) else topic
        )
        return [summary_row(r) for r in reversed(records)]  # newest first

    @user_errors
    def list_records(self, name: str | None, topic: str | None, request: gr.Request) -> list[list[object]]:
        require_admin(self.settings, request, "查看全部培训记录")
        return self.records_rows(name, topic)

    def records_on_load(self, name: str | None, topic: str | None, request: gr.Request) -> list[list[object]]:
        """The page's first table: filled for admins, empty (not an error) for everyone else."""
        return self.records_rows(name, topic) if is_admin(self.settings, request) else []

    @user_errors
    def export(self, name: str | None, topic: str | None, request: gr.Request) -> str:
        require_admin(self.settings, request, "导出培训记录")
        if not self.records_rows(name, topic):
            raise InputError("没有符合条件的培训记录可导出。")
        path = download_dir() / "员工培训记录.xlsx"
        return str(
            self.trainer.export_xlsx(
                path, (name or "").strip() or None, None if topic in (None, "", ALL_TOPICS) else topic
            )
        )


def _answer_widget(n: int, q: Any) -> gr.components.Component:
    label = f"第 {n} 题作答"
    if q.type == "short":
        return gr.Textbox(label=label, lines=3, placeholder="用自己的话写出要点", elem_id=f"qms-quiz-a{n}")
    if q.type == "multiple":
        return gr.CheckboxGroup(option_choices(q), label=label + "（多选）", elem_id=f"qms-quiz-a{n}")
    return gr.Radio(option_choices(q), label=label, elem_id=f"qms-quiz-a{n}")


def build_training_tab(assistant: Assistant, demo: gr.Blocks) -> None:
    h = TrainingHandlers(assistant)
    gr.Markdown(
        "按主题或岗位抽题测验，交卷后立即给出得分、解析和出处（指南章节 / ISO 9001 条款），成绩自动记入培训记录。"
    )
    with gr.Row():
        topic = gr.Dropdown(h.topic_choices(), value=ALL_TOPICS, label="培训主题", elem_id="qms-quiz-topic")
        role = gr.Dropdown(h.role_choices(), value=ANY_ROLE, label="岗位", elem_id="qms-quiz-role")
        count = gr.Slider(1, 30, value=10, step=1, label="题目数量", elem_id="qms-quiz-n")
    with gr.Row():
        name = gr.Textbox(label="姓名", placeholder="必填，用于培训记录", elem_id="qms-quiz-name")
        department = gr.Textbox(label="部门", placeholder="例如：生产部", elem_id="qms-quiz-dept")
        start = gr.Button("开始测验", variant="primary", elem_id="qms-quiz-start")
    quiz_state = gr.State(None)
    questions_json = gr.JSON(visible=False, label="题目")
    intro = gr.Markdown(label="测验说明", elem_id="qms-quiz-intro")

    @gr.render(inputs=quiz_state)
    def show_quiz(quiz: Quiz | None) -> None:
        if quiz is None:
            return
        widgets = []
        for n, q in enumerate(quiz.questions, 1):
            gr.Markdown(question_title(n, q))
            widgets.append(_answer_widget(n, q))
        submit = gr.Button("交卷", variant="primary", elem_id="qms-quiz-submit")
        submit.click(h.grade_widgets, [quiz_state, name, role, department, *widgets], graded, api_visibility="private")

    result = gr.Markdown(label="成绩", elem_id="qms-quiz-result")
    with gr.Accordion("培训记录（管理员）", open=False):
        with gr.Row():
            who = gr.Textbox(label="按姓名筛选", placeholder="留空显示全部")
            which = gr.Dropdown(h.topic_choices(), value=ALL_TOPICS, label="按主题筛选")
            refresh = gr.Button("刷新")
            export = gr.Button("导出 Excel", elem_id="qms-records-export")
        records = gr.Dataframe(
            headers=HEADERS, label="培训记录（最新在前）", interactive=False, wrap=True, elem_id="qms-records"
        )
        export_file = gr.File(label="导出文件", interactive=False)

    graded = [result, records, quiz_state, intro]
    start.click(h.new_quiz, [topic, role, count], [quiz_state, questions_json, intro, result], api_name="quiz_new")
    # API-only twin of 交卷: the quiz stays in this session's state, answers come as JSON.
    answers_json = gr.Textbox(visible=False, label="answers_json")
    gr.Button(visible=False).click(
        h.grade_json, [quiz_state, answers_json, name, role, department], graded, api_name="quiz_grade"
    )
    refresh.click(h.list_records, [who, which], records, api_name="records")
    export.click(h.export, [who, which], export_file, api_name="records_export")
    demo.load(h.records_on_load, [who, which], records, api_visibility="private")
    show_to_admins(demo, assistant.settings, [who, which, refresh, export, export_file])
