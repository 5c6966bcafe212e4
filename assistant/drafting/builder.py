"""`Drafter`: a company profile → the QMS documents it needs; templates by default, an LLM optionally."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from langchain_core.documents import Document
from langchain_core.language_models import BaseChatModel

from assistant.config import Settings, load_settings
from assistant.drafting import cards, documents, llm_fill, sources
from assistant.drafting.models import Body, DocControl, DocKind, DraftDocument, ProcessCard, SourceRef
from assistant.drafting.org import Org, context, resolve_org
from assistant.drafting.processes import PlannedProcess, build_map, find_process, plan_processes
from assistant.drafting.profile import CompanyProfile
from assistant.drafting.templates import Catalogue, load_catalogue
from assistant.errors import InputError

if TYPE_CHECKING:
    from assistant.service import Assistant

CARD_SECTION = "三、小微企业质量管理体系建设方法步骤 > （六）生产过程控制 > 2. 过程设计"
MAP_SECTIONS = [CARD_SECTION, "三、小微企业质量管理体系建设方法步骤 > （三）核心过程梳理"]
OBJECTIVE_SECTIONS = [
    "二、小微企业质量管理的核心理念 > （四）联系实际用好理论",
    "三、小微企业质量管理体系建设方法步骤 > （四）管理制度建设 > 1. 管理制度层次结构 > a) 顶层制度",
]
AUDIT_SECTION = "三、小微企业质量管理体系建设方法步骤 > （七）跟踪检查评价 > 2. 内部审核"


@dataclass
class _Company:
    """Everything derived from one profile that every draft needs."""

    profile: CompanyProfile
    org: Org
    ctx: dict[str, str]
    planned: list[PlannedProcess]


class Drafter:
    """Drafts from `corpus/templates/`; with an `Assistant` it also cites the best-matching guide sections.

    `Drafter(assistant)`, `Drafter(settings)` or `Drafter()`; `chat_model` overrides the configured LLM.
    """

    def __init__(self, source: Assistant | Settings | None = None, *, chat_model: BaseChatModel | None = None):
        if isinstance(source, Settings) or source is None:
            self.assistant, self.settings = None, source or load_settings()
        else:
            self.assistant, self.settings = source, source.settings
        self.catalogue: Catalogue = load_catalogue(self.settings.corpus_dir)
        self._chat_model = chat_model
        self.today = dt.date.today().isoformat()

    # ---- public API ----------------------------------------------------------------------------------
    def available_procedures(self) -> list[str]:
        """Procedure kinds `procedure()` accepts, e.g. 内部审核 (titles, codes and aliases work too)."""
        return [t.kind for t in self.catalogue.procedures]

    def process_map(self, profile: CompanyProfile) -> DraftDocument:
        c = self._company(profile)
        body = build_map(c.planned, c.org, c.ctx)
        clauses = ["4.4", "4.4.1"]
        return self._finish(
            c,
            "process_map",
            "质量管理体系过程清单和相互关系（过程图）",
            "QM-02",
            body,
            c.org.name("质量"),
            MAP_SECTIONS,
            clauses,
            "质量管理体系 过程 识别 相互作用 过程方法",
        )

    def card(self, profile: CompanyProfile, process_name: str) -> DraftDocument:
        """The 《过程识别卡》 of a process named by code (C3), name or a word for it (生产, 外包)."""
        if not process_name.strip():
            raise InputError("请填写过程名称或编号，例如“生产”或“C3”。")
        c = self._company(profile)
        p = find_process(c.planned, process_name)
        notices = []
        if p is None:
            # Not in this company's map: draft it anyway with the general template, and say so.
            notices.append(f"过程清单中没有“{process_name}”，已按通用过程模板起草，编号暂定为 C0。")
            name = process_name if process_name.endswith("过程") else f"{process_name}过程"
            generic = self.catalogue.generic("custom")
            p = PlannedProcess("C0", name, generic, item=name, owner_role=generic.owner)
        return self._card_doc(c, p, notices)

    def procedure(self, profile: CompanyProfile, kind: str) -> DraftDocument:
        t = documents.find_procedure(self.catalogue, kind)
        if t is None:
            raise InputError(f"没有“{kind}”的程序文件模板。可选：" + "、".join(self.available_procedures()) + "。")
        c = self._company(profile)
        body, notices = documents.build_procedure(t, profile, c.org, c.ctx)
        return self._finish(
            c,
            "procedure",
            t.title,
            t.code,
            body,
            c.org.name("质量"),
            t.guide_sections,
            t.clauses,
            f"{t.title} {t.kind}",
            notices,
        )

    def objectives(self, profile: CompanyProfile) -> DraftDocument:
        c = self._company(profile)
        body = documents.build_objectives(profile, c.org, self.catalogue, c.planned, c.ctx)
        ids = documents.objective_ids(profile, c.org, self.catalogue, c.planned)
        clauses = sorted(
            {n for i in ids for n in self.catalogue.objectives[i].clauses} | {"5.2", "6.2"},
            key=sources.clause_key,
        )
        return self._finish(
            c,
            "objectives",
            "质量方针和质量目标",
            "QM-01",
            body,
            c.org.name("质量"),
            OBJECTIVE_SECTIONS,
            clauses,
            "质量方针 质量目标 可测量 目标分解",
        )

    def audit_checklist(self, profile: CompanyProfile) -> DraftDocument:
        c = self._company(profile)
        all_cards = {p.code: self._card_body(c, p) for p in c.planned}
        body = documents.build_checklist(c.planned, all_cards, self.catalogue, c.ctx)
        clauses = sorted({r.clause for r in body.rows}, key=sources.clause_key)
        return self._finish(
            c,
            "checklist",
            "内部审核检查表",
            "QR-IA-01",
            body,
            "内审员",
            [AUDIT_SECTION],
            clauses,
            "内部审核 检查表 审核要点 客观证据",
        )

    def pack(self, profile: CompanyProfile) -> list[DraftDocument]:
        """The starter pack: policy and objectives, process map, every process card, procedures, checklist."""
        c = self._company(profile)
        docs = [self.objectives(profile), self.process_map(profile)]
        docs += [self._card_doc(c, p, []) for p in c.planned]
        docs += [self.procedure(profile, kind) for kind in self.available_procedures()]
        docs.append(self.audit_checklist(profile))
        return docs

    # ---- internals -----------------------------------------------------------------------------------
    def _company(self, profile: CompanyProfile) -> _Company:
        org = resolve_org(profile, self.catalogue)
        return _Company(profile, org, context(profile, org), plan_processes(profile, self.catalogue))

    def _card_body(self, c: _Company, p: PlannedProcess) -> ProcessCard:
        return cards.build_card(p, c.profile, c.org, self.catalogue, c.ctx)

    def _card_doc(self, c: _Company, p: PlannedProcess, notices: list[str]) -> DraftDocument:
        t = p.template
        industry = self.catalogue.industries[c.profile.industry]
        code = t.appendix
        if code is None and t.generic == "outsourced" and industry.appendix_covers_outsourcing:
            code = industry.appendix  # e.g. 附录三 lists 外包过程的质量管理 for machinery makers
        appendix = (code, self.catalogue.appendices.get(code, "")) if code else None
        clauses = ["4.4.1", *t.clauses]
        return self._finish(
            c,
            "process_card",
            f"过程识别卡：{p.code} {p.name}",
            f"QM-PC-{p.code}",
            self._card_body(c, p),
            c.org.name(p.owner_role),
            [CARD_SECTION, *t.guide_sections],
            clauses,
            f"{p.name} 过程识别卡 过程输入 输出 控制 风险",
            notices,
            appendix,
        )

    def _finish(
        self,
        c: _Company,
        kind: DocKind,
        title: str,
        number: str,
        body: Body,
        prepared: str,
        guide_sections: list[str],
        clauses: list[str],
        query: str,
        notices: list[str] | None = None,
        appendix: tuple[str, str] | None = None,
    ) -> DraftDocument:
        refs: list[SourceRef] = sources.template_sources(self.settings.corpus_dir, guide_sections, clauses, appendix)
        chunks: list[Document] = []
        if self.assistant is not None:
            found, chunks = sources.retrieved_sources(self.assistant, query)
            refs = sources.merge_sources(refs, found)
        else:
            refs = sources.merge_sources(refs)
        control = DocControl(
            number=number,
            prepared=prepared,
            reviewed=c.org.name("管理者代表"),
            approved=c.org.name("最高管理者"),
            date=self.today,
        )
        doc = DraftDocument(
            kind=kind,
            title=title,
            company=c.profile.name,
            control=control,
            body=body,
            sources=refs,
            notices=list(notices or []),
        )
        model = self._model()
        if model is not None:
            doc = llm_fill.refine(
                doc, c.profile.summary(), chunks or self._clause_chunks(clauses), model, self.settings
            )
        return doc

    def _model(self) -> BaseChatModel | None:
        if self._chat_model is None and self.settings.llm_backend != "none":
            self._chat_model = llm_fill.drafting_model(self.settings)
        return self._chat_model

    def _clause_chunks(self, clauses: list[str]) -> list[Document]:
        """Without an index, ground the LLM in the clause summaries the draft cites."""
        from ingest.clauses import clause_index

        index = clause_index(self.settings.corpus_dir)
        return [
            Document(
                page_content=index[n]["summary"],
                metadata={"section": f"ISO 9001:2015 {n} {index[n]['title_zh']}"},
            )
            for n in clauses
            if n in index
        ]
