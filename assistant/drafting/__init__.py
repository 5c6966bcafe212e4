"""Document drafting (issue #4): a company profile → the QMS documents it needs, as Word, Markdown or a ZIP.

profile = load_profile("企业概况.yaml")
drafter = Drafter(assistant_or_settings)     # Drafter() uses the configured settings, templates only
doc = drafter.card(profile, "生产")          # also process_map / procedure / objectives / audit_checklist
write_pack(drafter.pack(profile), profile, "文件包.zip")
"""

from assistant.drafting.builder import Drafter
from assistant.drafting.export_docx import write_docx
from assistant.drafting.export_markdown import to_markdown, write_markdown
from assistant.drafting.models import DraftDocument
from assistant.drafting.pack import write_pack
from assistant.drafting.profile import CompanyProfile, load_profile, profile_from_dict, save_profile

__all__ = [
    "CompanyProfile",
    "DraftDocument",
    "Drafter",
    "load_profile",
    "profile_from_dict",
    "save_profile",
    "to_markdown",
    "write_docx",
    "write_markdown",
    "write_pack",
]
