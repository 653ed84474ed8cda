"""Documents orgs hands out as PDF (OR-18): a title and paragraphs of text on A4, wrapped to the
page, numbered, with fpdf2 as billing's documents. The standard Helvetica font holds every letter of
German, French and Italian (Latin-1); anything beyond is written as '?' rather than lost silently."""
from __future__ import annotations

from fpdf import FPDF


def _latin(text: str) -> str:
    return text.encode("latin-1", "replace").decode("latin-1")


class _Pdf(FPDF):
    def footer(self):
        self.set_y(-15)
        self.set_font("helvetica", size=8)
        self.cell(0, 8, f"{self.page_no()} / {{nb}}", align="C")


def pdf_of(title: str, lines: list[str]) -> bytes:
    pdf = _Pdf(format="A4")
    pdf.set_title(_latin(title))
    pdf.set_margins(20, 20, 20)
    pdf.set_auto_page_break(True, margin=20)
    pdf.add_page()
    pdf.set_font("helvetica", style="B", size=16)
    pdf.multi_cell(0, 8, _latin(title), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("helvetica", size=10.5)
    for line in lines:
        if line.strip():
            pdf.multi_cell(0, 5.2, _latin(line), new_x="LMARGIN", new_y="NEXT")
        else:
            pdf.ln(3)
    return bytes(pdf.output())
