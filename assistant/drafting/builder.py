"""`Drafter`: a company profile → the QMS documents it needs; templates by default, an LLM optionally.

Every draft reads the same `Company` (assistant/drafting/company.py), worked out once per profile.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

from langchain_core.documents import Document
from langchain_core.language_models import BaseChatModel

from assistant.config import Settings, load_settings
from assistant.drafting import cards, documents, forms, llm_fill, sources, step_cards
from assistant.drafting.company import Company, pack_notes, work_out
from assistant.drafting.coverage import CoverageRow
from assistant.drafting.coverage import coverage as coverage_rows
from assistant.drafting.existing import read_existing, replacing
from assistant.drafting.models import Body, DocControl, DocKind, DraftDocument, ProcessCard
from assistant.drafting.pack import write_pack
from assistant.drafting.processes import PlannedProcess, build_map, find_process
from assistant.drafting.profile import CompanyProfile
from assistant.drafting.templates import Catalogue, ProcedureTemplate, load_catalogue
from assistant.errors import InputError
from assistant.understanding import ConceptModel

if TYPE_CHECKING:
    from assistant.service import Assistant

CARD_SECTION = "三、小微企业质量管理体系建设方法步骤 > （六）生产过程控制 > 2. 过程设计"
MAP_SECTIONS = [CARD_SECTION, "三、小微企业质量管理体系建设方法步骤 > （三）核心过程梳理"]
SCOPE_SECTIONS = ["三、小微企业质量管理体系建设方法步骤 > （二）内外环境调研 > 2. 评估关键质量问题，提出体系建设方案"]
OBJECTIVE_SECTIONS = [
    "二、小微企业质量管理的核心理念 > （四）联系实际用好理论",
    "三、小微企业质量管理体系建设方法步骤 > （四）管理制度建设 > 1. 管理制度层次结构 > a) 顶层制度",
]
AUDIT_SECTION = "三、小微企业质量管理体系建设方法步骤 > （七）跟踪检查评价 > 2. 内部审核"


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
        self.concepts = ConceptModel.load(self.settings.corpus_dir)
        self._chat_model = chat_model
        self.today = dt.date.today().isoformat()

    # ---- public API ----------------------------------------------------------------------------------
    def company(self, profile: CompanyProfile) -> Company:
        """The business model, own steps, applicability and processes the drafts are built on."""
        return work_out(profile, self.catalogue, self.concepts)

    def available_procedures(self) -> list[str]:
        """Procedure kinds `procedure()` accepts, e.g. 内部审核 (titles, codes and aliases work too)."""
        return [t.kind for t in self.catalogue.procedures]

    def scope(self, profile: CompanyProfile) -> DraftDocument:
        """The 4.3 statement: scope, business model, own lines, each excluded requirement with its reason."""
        return self._scope(self.company(profile))

    def process_map(self, profile: CompanyProfile) -> DraftDocument:
        c = self.company(profile)
        return self._map(c)

    def card(self, profile: CompanyProfile, process_name: str) -> DraftDocument:
        """The 《过程识别卡》 of a process named by code (C3), name or the firm's own word (注塑, 外包)."""
        if not process_name.strip():
            raise InputError("请填写过程名称或编号，例如“注塑”或“C3”。")
        c = self.company(profile)
        p = find_process(c.planned, process_name)
        if p is None:
            names = "、".join(f"{q.code} {q.name}" for q in c.planned)
            raise InputError(f"过程清单中没有“{process_name}”。可选：{names}。新工序请先加入企业概况的主要过程。")
        return self._card_doc(c, p)

    def procedure(self, profile: CompanyProfile, kind: str) -> DraftDocument:
        t = documents.find_procedure(self.catalogue, kind)
        if t is None:
            raise InputError(f"没有“{kind}”的程序文件模板。可选：" + "、".join(self.available_procedures()) + "。")
        return self._procedure(self.company(profile), t)

    def objectives(self, profile: CompanyProfile) -> DraftDocument:
        return self._objectives(self.company(profile))

    def audit_checklist(self, profile: CompanyProfile) -> DraftDocument:
        return self._checklist(self.company(profile))

    def forms(self, profile: CompanyProfile, docs: list[DraftDocument] | None = None) -> list[DraftDocument]:
        """The record forms (.docx), pre-filled from the profile; `docs` feeds the 文件发放记录."""
        c = self.company(profile)
        built = forms.build_forms(c, self.catalogue, docs or [])
        return [
            self._finish(
                c,
                kind="form",
                title=f.title,
                number=f.code,
                body=f.body,
                prepared=c.org.name("质量"),
                guide_sections=f.guide_sections,
                clauses=f.clauses,
                query=f.title,
                search=False,
            )
            for f in built
        ]

    def pack(self, profile: CompanyProfile) -> list[DraftDocument]:
        """Scope, policy and objectives, process map, every process card, procedures, checklist, then the forms."""
        c = self.company(profile)
        docs = [self._scope(c), self._objectives(c), self._map(c)]
        docs += [self._card_doc(c, p) for p in c.planned]
        docs += [self._procedure(c, t) for t in self.catalogue.procedures if not replacing(c.existing, t)]
        docs.append(self._checklist(c))
        return docs + self.forms(profile, docs)

    def coverage(self, profile: CompanyProfile, docs: list[DraftDocument] | None = None) -> list[CoverageRow]:
        """The clause × document matrix of the pack, counting the firm's listed and uploaded documents."""
        c = self.company(profile)
        own = c.existing + read_existing(self.uploaded_titles(), self.concepts, self.catalogue.document_topics)
        return coverage_rows(
            docs if docs is not None else self.pack(profile), c.applicability, own, self.settings.corpus_dir
        )

    def uploaded_titles(self) -> list[str]:
        """Titles of the firm's own documents in the knowledge base (none without an index)."""
        if self.assistant is None:
            return []
        return [str(r["title"] or r["source"]) for r in self.assistant.list_sources() if r.get("kind") == "user"]

    def notes(self, profile: CompanyProfile) -> list[str]:
        """What the pack's 清单 says up front: assumptions, questions, procedures kept from the firm's own files."""
        return pack_notes(self.company(profile), self.catalogue)

    def write_pack(self, profile: CompanyProfile, path: str | Path) -> tuple[Path, list[DraftDocument]]:
        """The whole pack as a ZIP: documents, forms, coverage matrix, 清单 with notes, profile."""
        docs = self.pack(profile)
        written = write_pack(
            docs,
            profile,
            path,
            self.settings.corpus_dir,
            matrix=self.coverage(profile, docs),
            notes=self.notes(profile),
        )
        return written, docs

    # ---- internals -----------------------------------------------------------------------------------
    def _scope(self, c: Company) -> DraftDocument:
        body = documents.build_scope(c.profile, c.business, c.chain, c.applicability)
        clauses = ["4.3", "4.4", "4.2"] + [e.clause for e in c.applicability.exclusions if e.clause[0].isdigit()]
        return self._finish(
            c,
            kind="scope",
            title="质量管理体系范围和适用性说明",
            number="QM-00",
            body=body,
            prepared=c.org.name("质量"),
            guide_sections=SCOPE_SECTIONS,
            clauses=clauses,
            query="体系范围 不适用 删减 理由",
        )

    def _map(self, c: Company) -> DraftDocument:
        body = build_map(c.planned, c.org, c.ctx)
        return self._finish(
            c,
            kind="process_map",
            title="质量管理体系过程清单和相互关系（过程图）",
            number="QM-02",
            body=body,
            prepared=c.org.name("质量"),
            guide_sections=MAP_SECTIONS,
            clauses=["4.4", "4.4.1", "8.1"],  # the process list and cards are the operational planning
            query="质量管理体系 过程 识别 相互作用 过程方法",
        )

    def _procedure(self, c: Company, t: ProcedureTemplate) -> DraftDocument:
        body = documents.build_procedure(t, c.profile, c.org, c.ctx)
        return self._finish(
            c,
            kind="procedure",
            title=t.title,
            number=t.code,
            body=body,
            prepared=c.org.name("质量"),
            guide_sections=t.guide_sections,
            clauses=t.clauses,
            query=f"{t.title} {t.kind}",
        )

    def _objectives(self, c: Company) -> DraftDocument:
        body = documents.build_objectives(c.business, c.applicability, c.org, self.catalogue, c.planned, c.ctx)
        ids = documents.objective_ids(c.business, c.org, c.planned)
        clauses = {n for i in ids for n in self.catalogue.objectives[i].clauses} | {"5.2", "6.2"}
        return self._finish(
            c,
            kind="objectives",
            title="质量方针和质量目标",
            number="QM-01",
            body=body,
            prepared=c.org.name("质量"),
            guide_sections=OBJECTIVE_SECTIONS,
            clauses=sorted(clauses, key=sources.clause_key),
            query="质量方针 质量目标 可测量 目标分解",
        )

    def _checklist(self, c: Company) -> DraftDocument:
        all_cards = {p.code: self._card_body(c, p) for p in c.planned}
        body = documents.build_checklist(c.planned, all_cards, self.catalogue, c.applicability, c.ctx)
        clauses = sorted({r.clause for r in body.rows} | {"9.2", "9.2.1", "9.2.2"}, key=sources.clause_key)
        return self._finish(
            c,
            kind="checklist",
            title="内部审核检查表",
            number="QR-IA-01",
            body=body,
            prepared="内审员",
            guide_sections=[AUDIT_SECTION],
            clauses=clauses,
            query="内部审核 检查表 审核要点 客观证据",
            search=False,
        )

    def _card_body(self, c: Company, p: PlannedProcess) -> ProcessCard:
        if p.step is not None:
            return step_cards.build_step_card(
                p,
                c.org,
                self.catalogue,
                c.ctx,
                c.existing,
                c.applicability.applies("8.5.1f"),
                c.applicability.reminder(),
            )
        extra = [c.applicability.reminder()] if p.template.name == "市场开发过程" else []
        return cards.build_card(
            p, bool(c.profile.outsourced), c.org, self.catalogue, c.ctx, c.existing, c.replaced, extra
        )

    def _card_doc(self, c: Company, p: PlannedProcess) -> DraftDocument:
        clauses = [n for n in ["4.4.1", *p.clauses] if not c.applicability.excludes(n)]
        sections = [CARD_SECTION, *p.template.guide_sections]
        return self._finish(
            c,
            kind="process_card",
            title=f"过程识别卡：{p.code} {p.name}",
            number=f"QM-PC-{p.code}",
            body=self._card_body(c, p),
            prepared=c.org.name(p.owner_role),
            guide_sections=list(dict.fromkeys(sections)),
            clauses=clauses,
            query=f"{p.name} 过程识别卡 过程输入 输出 控制 风险",
        )

    def _finish(
        self,
        c: Company,
        *,
        kind: DocKind,
        title: str,
        number: str,
        body: Body,
        prepared: str,
        guide_sections: list[str],
        clauses: list[str],
        query: str,
        search: bool = True,
    ) -> DraftDocument:
        clauses = list(dict.fromkeys(n for n in clauses if not c.applicability.excludes(n)))
        refs = sources.template_sources(self.settings.corpus_dir, guide_sections, clauses)
        chunks: list[Document] = []
        if self.assistant is not None and search:
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
            kind=kind, title=title, company=c.profile.name, control=control, body=body, clauses=clauses, sources=refs
        )
        model = self._model()
        if model is not None and kind not in ("form", "scope"):  # 4.3 decisions and form layouts stay as decided
            doc = llm_fill.refine(
                doc, c.profile.summary(), chunks or llm_fill.clause_chunks(self.settings, clauses), model, self.settings
            )
        return doc

    def _model(self) -> BaseChatModel | None:
        if self._chat_model is None and self.settings.llm_backend != "none":
            self._chat_model = llm_fill.drafting_model(self.settings)
        return self._chat_model
