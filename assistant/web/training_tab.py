"""培训测验 tab: practice quizzes, timed mock exams and wrong-answer drills with score, explanations and sources;
admins list and export records (with the competence matrix), confirm 待复核 short answers and see progress and
item statistics."""

from __future__ import annotations

import json
import time
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

    @user_errors
    def new_mock(
        self, topic: str | None, role: str | None, n: float | None, minutes: float | None, pass_mark: float | None
    ) -> tuple[Quiz, dict, str, str, float]:
        quiz = self.trainer.mock_exam(
            topic=None if topic in (None, "", ALL_TOPICS) else topic,
            role=None if role in (None, "", ANY_ROLE) else role,
            n=int(n or 20),
            minutes=int(minutes or 30),
            pass_mark=float(80 if pass_mark is None else pass_mark),
        )
        return quiz, public_questions(quiz), quiz_intro(quiz), "", time.time()

    @user_errors
    def new_drill(self, name: str, n: float | None) -> tuple[Quiz, dict, str, str, float]:
        if not (name or "").strip():
            raise InputError("请先填写姓名：错题本按人记录。")
        quiz = self.trainer.drill_quiz(name, int(n or 10))
        return quiz, public_questions(quiz), quiz_intro(quiz), "", time.time()

    def grade_and_record(
        self,
        quiz: Quiz | None,
        answers: list[Any],
        name: str,
        role: str | None,
        department: str,
        request: gr.Request | None,
        started: float | None = None,
    ) -> tuple[str, list[list[object]], None, str]:
        """Grade, record, and close the quiz (state → None) so one quiz gives exactly one record.

        The records table that comes back holds everyone's records for an admin, the trainee's own otherwise.
        """
        if quiz is None:
            raise InputError("请先点击“开始测验”。")
        if not (name or "").strip():
            raise InputError("请先填写姓名，成绩会记入培训记录。")
        result = self.trainer.grade(quiz, answers)
        role_name = quiz.role or ("" if role in (None, ANY_ROLE) else role)
        duration = time.time() - started if started else None
        record = self.trainer.record(name, role_name, department or "", quiz, result, duration_s=duration)
        done = "已交卷。可以换个主题或再点“开始测验”重新抽题。"
        mine = None if is_admin(self.settings, request) else name.strip()
        return result_markdown(quiz, result, name.strip(), late=record.late), self.records_rows(mine, None), None, done

    @user_errors
    def grade_widgets(
        self,
        request: gr.Request,
        quiz: Quiz | None,
        started: float | None,
        name: str,
        role: str | None,
        department: str,
        *answers: Any,
    ) -> tuple[str, list[list[object]], None, str]:
        return self.grade_and_record(quiz, list(answers), name, role, department, request, started)

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

    # ---- the trainer's work (admin) ------------------------------------------------------------------
    @user_errors
    def pending(self, request: gr.Request) -> list[list[object]]:
        require_admin(self.settings, request, "复核简答题")
        return [
            [p.attempt_id, p.question_id, p.employee, p.taken_at, p.question, p.given, "、".join(p.unsure)]
            for p in self.trainer.pending_reviews()
        ]

    @user_errors
    def review(
        self, attempt: float | None, question: str, verdict: str, reviewer: str, request: gr.Request
    ) -> tuple[str, list[list[object]]]:
        require_admin(self.settings, request, "复核简答题")
        if attempt is None or not (question or "").strip():
            raise InputError("请从待复核列表中填写记录编号和题目编号。")
        record = self.trainer.review(int(attempt), question.strip(), verdict == "确认通过", reviewer or "")
        note = f"已记录：第 {record.id} 条记录现为 {record.score:g} 分，{'合格' if record.passed else '不合格'}。"
        return note, self.pending(request)

    @user_errors
    def analysis(self, name: str | None, request: gr.Request) -> tuple[list[list[object]], list[list[object]]]:
        require_admin(self.settings, request, "查看培训分析")
        progress = [[p.employee, p.topic, p.answered, p.rate, p.last_at] for p in self.trainer.progress(name or None)]
        items = [[s.difficulty, s.answered, s.topic, s.question, s.rates_text()] for s in self.trainer.item_stats()]
        return progress, items

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
        # Typed names are allowed too: 不合格、内审、质检、库管 resolve through the concept model.
        topic = gr.Dropdown(
            h.topic_choices(), value=ALL_TOPICS, label="培训主题", elem_id="qms-quiz-topic", allow_custom_value=True
        )
        role = gr.Dropdown(
            h.role_choices(), value=ANY_ROLE, label="岗位", elem_id="qms-quiz-role", allow_custom_value=True
        )
        count = gr.Slider(1, 30, value=10, step=1, label="题目数量", elem_id="qms-quiz-n")
    with gr.Row():
        name = gr.Textbox(label="姓名", placeholder="必填，用于培训记录", elem_id="qms-quiz-name")
        department = gr.Textbox(label="部门", placeholder="例如：生产部", elem_id="qms-quiz-dept")
        start = gr.Button("开始测验", variant="primary", elem_id="qms-quiz-start")
    with gr.Row():
        minutes = gr.Number(30, label="模拟考试时间（分钟）", precision=0, minimum=1, maximum=180)
        pass_mark = gr.Number(80, label="合格线", minimum=0, maximum=100)
        mock = gr.Button("开始模拟考试", elem_id="qms-mock-start")
        drill = gr.Button("错题重练（按姓名）", elem_id="qms-drill-start")
    quiz_state = gr.State(None)
    started = gr.State(None)
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
        inputs = [quiz_state, started, name, role, department, *widgets]
        submit.click(h.grade_widgets, inputs, graded, api_visibility="private")

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
        export_file = gr.File(label="导出文件（含能力矩阵）", interactive=False)
    with gr.Accordion("简答题复核与培训分析（管理员）", open=False) as admin_tools:
        gr.Markdown("评分无法确定的简答题标为“待复核”，确认后才计入 ISO 9001 7.2 能力证据。")
        load_pending = gr.Button("刷新待复核列表")
        pending = gr.Dataframe(
            headers=["记录编号", "题目编号", "员工", "日期", "题目", "作答", "待确认要点"], interactive=False, wrap=True
        )
        with gr.Row():
            attempt_no = gr.Number(label="记录编号", precision=0)
            question_no = gr.Textbox(label="题目编号")
            verdict = gr.Radio(["确认通过", "判定未通过"], value="确认通过", label="复核结论")
            reviewer = gr.Textbox(label="复核人")
            confirm = gr.Button("记录复核结论", variant="primary")
        review_note = gr.Markdown()
        with gr.Row():
            who_progress = gr.Textbox(label="按姓名看进度", placeholder="留空显示全部")
            analyse = gr.Button("进度与题目分析")
        progress = gr.Dataframe(headers=["员工", "主题", "答题数", "正确率%", "最近练习"], interactive=False)
        items = gr.Dataframe(
            headers=["答对率", "作答人次", "主题", "题目", "各选项被选比例（*为正确答案）"],
            interactive=False,
            wrap=True,
        )

    graded = [result, records, quiz_state, intro]
    start.click(h.new_quiz, [topic, role, count], [quiz_state, questions_json, intro, result], api_name="quiz_new")
    opened = [quiz_state, questions_json, intro, result, started]
    mock.click(h.new_mock, [topic, role, count, minutes, pass_mark], opened, api_name="quiz_mock")
    drill.click(h.new_drill, [name, count], opened, api_name="quiz_drill")
    load_pending.click(h.pending, None, pending, api_name="reviews")
    confirm.click(h.review, [attempt_no, question_no, verdict, reviewer], [review_note, pending], api_name="review")
    analyse.click(h.analysis, [who_progress], [progress, items], api_name="training_analysis")
    # API-only twin of 交卷: the quiz stays in this session's state, answers come as JSON.
    answers_json = gr.Textbox(visible=False, label="answers_json")
    gr.Button(visible=False).click(
        h.grade_json, [quiz_state, answers_json, name, role, department], graded, api_name="quiz_grade"
    )
    refresh.click(h.list_records, [who, which], records, api_name="records")
    export.click(h.export, [who, which], export_file, api_name="records_export")
    demo.load(h.records_on_load, [who, which], records, api_visibility="private")
    show_to_admins(demo, assistant.settings, [who, which, refresh, export, export_file, admin_tools])
