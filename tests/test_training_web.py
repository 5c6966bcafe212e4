"""The training tab's practice and trainer endpoints through gradio_client on the real app (issue 12)."""

from __future__ import annotations

import json

import pytest
from gradio_client import Client

from assistant.web.launcher import RunningApp

PARAPHRASE = (
    "这个件不能再用了。我会把它单独放到不合格品区并做好标记，再通知检验员来判定怎么处理，因为坏件流出去会影响客户。"
)


@pytest.fixture(scope="module")
def client(app: RunningApp) -> Client:
    return Client(app.url, verbose=False)


def test_mock_exam_wrong_book_drill_review_and_analysis(client: Client) -> None:
    quiz = client.predict("不合格", "操作工", 6, 20, 60, api_name="/quiz_mock")[0]
    assert quiz["topic"] == "不合格和纠正措施" and quiz["pass_mark"] == 60 and len(quiz["questions"]) == 6
    answers = [PARAPHRASE if q["type"] == "short" else [] for q in quiz["questions"]]
    result, _, _ = client.predict(
        json.dumps(answers, ensure_ascii=False), "钱七", "不限岗位", "", api_name="/quiz_grade"
    )
    assert "钱七 的成绩" in result and "错题本" in result
    drill = client.predict("钱七", 10, api_name="/quiz_drill")[0]
    assert drill["questions"] and "错题重练" not in json.dumps(drill)  # public part: questions only
    queue = client.predict(api_name="/reviews")["data"]
    mine = [row for row in queue if row[2] == "钱七"]
    if mine:  # the paraphrase of a short answer is one the grader leaves to a trainer
        note, _ = client.predict(mine[0][0], mine[0][1], "确认通过", "孙主管", api_name="/review")
        assert "已记录" in note
    progress, items = client.predict("钱七", api_name="/training_analysis")
    assert progress["data"] and progress["data"][0][0] == "钱七"
    assert items["data"] and "%" in items["data"][0][4]
