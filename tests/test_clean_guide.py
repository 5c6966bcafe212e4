"""Tests for ingest.clean_guide against the raw seed and the committed corpus file."""

from __future__ import annotations

import re

import pytest

from ingest.clean_guide import DEFAULT_OUT, DEFAULT_RAW, clean_guide, heading_line

EXPECTED_HEADINGS = [
    "# 小微企业应用 ISO 9001 提升质量管理的实施指南",
    "## 前言",
    "## 一、质量管理体系概述",
    "### （一）ISO 9001 质量管理体系标准",
    "### （二）ISO 9001 质量管理体系认证",
    "## 二、小微企业质量管理的核心理念",
    "### （一）树立质量管理理念",
    "### （二）强化企业领导作用",
    "### （三）激发企业内生动力",
    "### （四）联系实际用好理论",
    "### （五）明确目标突出重点",
    "### （六）持续改进注重长效",
    "## 三、小微企业质量管理体系建设方法步骤",
    "### （一）管理知识学习",
    "### （二）内外环境调研",
    "#### 1. 企业基本情况摸底",
    "#### 2. 评估关键质量问题，提出体系建设方案",
    "### （三）核心过程梳理",
    "#### 1. 营销和市场调研",
    "#### 2. 产品设计和开发",
    "#### 3. 过程策划和开发",
    "#### 4. 采购",
    "#### 5. 生产制造",
    "#### 6. 验证",
    "#### 7. 包装和贮存",
    "#### 8. 销售和交付",
    "#### 9. 安装和投入运行",
    "#### 10. 技术支持和服务",
    "#### 11. 售后",
    "#### 12. 用后处置",
    "### （四）管理制度建设",
    "#### 1. 管理制度层次结构",
    "##### a) 顶层制度",
    "##### b) 次级制度",
    "##### c) 具体产品和服务的工艺技术规程",
    "#### 2. 管理制度建设原则",
    "#### 3. 管理制度表现形式",
    "### （五）支持资源配置",
    "### （六）生产过程控制",
    "#### 1. 明确要求",
    "#### 2. 过程设计",
    "#### 3. 过程实施",
    "#### 4. 过程的评价和改进",
    "### （七）跟踪检查评价",
    "#### 1. 日常检查",
    "#### 2. 内部审核",
    "#### 3. 管理评审",
    "### （八）持续改进绩效",
]


@pytest.fixture(scope="module")
def cleaned() -> str:
    assert DEFAULT_RAW.is_file(), f"the raw seed is committed at {DEFAULT_RAW}"
    return clean_guide(DEFAULT_RAW.read_text(encoding="utf-8"))


def test_front_matter(cleaned: str) -> None:
    assert cleaned.splitlines()[:3] == [
        "# 小微企业应用 ISO 9001 提升质量管理的实施指南",
        "",
        "<!-- source: guide-2020-sme-iso9001.md; 2020 年 8 月 -->",
    ]


def test_headings_exact(cleaned: str) -> None:
    headings = [ln for ln in cleaned.splitlines() if ln.startswith("#")]
    assert headings == EXPECTED_HEADINGS


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("# 一、质量管理体系概述", "## 一、质量管理体系概述"),
        ("### 三、 小微企业质量管理体系建设方法步骤", "## 三、小微企业质量管理体系建设方法步骤"),
        ("## **（二） ISO 9001 质量管理体系认证**", "### （二）ISO 9001 质量管理体系认证"),
        ("#### **（四）联系实际用好理论**", "### （四）联系实际用好理论"),
        ("### **(五) 明确目标突出重点**", "### （五）明确目标突出重点"),
        ("## 1. 管理制度层次结构", "#### 1. 管理制度层次结构"),
        ("### a) 顶层制度", "##### a) 顶层制度"),
        ("<b>二、小微企业质量管理的核心理念</b>", "## 二、小微企业质量管理的核心理念"),
        ("# 正文", None),
    ],
)
def test_heading_line_uses_numbering_not_raw_level(raw: str, expected: str | None) -> None:
    assert heading_line(raw) == expected


def test_toc_removed(cleaned: str) -> None:
    assert "....." not in cleaned
    assert "目 录" not in cleaned
    assert "附录一：" not in cleaned
    assert "配方管理" not in cleaned
    assert not re.search(r"^#+ .*附录", cleaned, flags=re.M)


@pytest.mark.parametrize(
    "joined",
    [
        "提升质量管理水平，促进产品和服务质量提升",
        "是“值得”或“非常值得”的。ISO 9001 认证为我国广大企业",
        "子过程的名称根据产品",
        "目标和战略时，必须从环境的研究与分析开始",
        "包括人力、财务、物资、设备等等",
        "被企业激励的员工等等。也只有",
    ],
)
def test_page_break_joins(cleaned: str, joined: str) -> None:
    assert joined in cleaned


def test_no_join_into_list_or_heading(cleaned: str) -> None:
    # A cut sentence is kept as-is, never glued to the list or heading that follows.
    assert "规范的标准化管\n\n- 源于顾客要求终于顾客满意" in cleaned
    assert "推动改进与创新\n\n### （二）内外环境调研" in cleaned


def test_normalisation(cleaned: str) -> None:
    assert "技术委员会（ISO/TC176）发布" in cleaned
    assert "策划（Plan）、实施（Do）、检查（Check）和处置（Act）四个阶段，" in cleaned
    assert "标准，是在总结" in cleaned
    assert not re.search(r"[\u4e00-\u9fff],[\u4e00-\u9fff]", cleaned)
    assert "\n\n\n" not in cleaned
    assert not any(ln != ln.rstrip() for ln in cleaned.splitlines())
    assert "&nbsp;" not in cleaned
    assert "**" not in "".join(ln for ln in cleaned.splitlines() if ln.startswith("#"))


def test_figure_captions_kept(cleaned: str) -> None:
    assert "\n*图 1-1 PDCA 示意图*\n" in cleaned
    assert "\n*图 3-1 质量管理体系层级示例*\n" in cleaned


def test_table(cleaned: str) -> None:
    assert "**表 3-1 C3 产品生产过程的《过程识别卡》**\n\n| 栏目 |" in cleaned
    rows = [ln for ln in cleaned.splitlines() if ln.startswith("| ")]
    assert len(rows) == 2 + 21  # header + separator + every raw table row
    assert len({ln.count(" | ") for ln in rows}) == 1  # rectangular
    table = "\n".join(rows)
    for cell in [
        "| 过程名称 | 产品生产过程 | 过程编号 | C3 |",
        "| 过程输入 | 项目 | 输入源 | 内容 | 输入形式、时间 |",
        "|  | 物资 | 采购部 | 原材料、电气元件、静电喷涂粉末、辅助材料等 | 汽运、按计划； |",
        "|  | 要求 | 市场部 甲方 | 合同订单、产品图纸、技术文件等 |",
        "|  | 部门 | 生产车间 | 负责产品生产过程的策划和实施 |",
        "| 过程目标（绩效评价） | 目标 | 计算公式 | 频率 |",
        "产品检验一次合格率 ≥96%",
        "合格数量÷一次检验总数量×100%",
        "合格数量÷出厂总数量×100%",
        "按期完成数量÷任务总数量×100%",
        "| 基础设施 运行环境 | 建筑物、设备、运输、通讯资源 —— |",
        "机遇：新技术、新工艺等生产技术水平不断提升",
        "更改控制；",
    ]:
        assert cell in table, cell
    assert "$" not in cleaned and "\\text" not in cleaned


def test_committed_output_is_reproducible(cleaned: str) -> None:
    assert DEFAULT_OUT.is_file(), "run `python -m ingest.clean_guide` and commit the output"
    assert DEFAULT_OUT.read_text(encoding="utf-8") == cleaned
