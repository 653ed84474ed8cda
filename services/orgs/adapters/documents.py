"""Documents orgs hands out as PDF (OR-18): a plain one-column PDF 1.4 of text lines, written
directly (the standard Helvetica font, WinAnsi encoding), so no rendering library is needed."""
from __future__ import annotations

LINES_PER_PAGE = 50


def _text(line: str) -> bytes:
    raw = line.encode("cp1252", "replace")
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def pdf_of(title: str, lines: list[str]) -> bytes:
    pages = [lines[i:i + LINES_PER_PAGE] for i in range(0, len(lines), LINES_PER_PAGE)] or [[]]
    objects: list[bytes] = []
    font_id, pages_id = 3, 2
    kids = []
    for number, page in enumerate(pages):
        content = [b"BT /F1 11 Tf 56 790 Td 14 TL"]
        if number == 0:
            content.append(b"/F1 16 Tf (" + _text(title) + b") Tj T* T* /F1 11 Tf")
        content += [b"(" + _text(line) + b") Tj T*" for line in page]
        content.append(b"ET")
        stream = b"\n".join(content)
        content_id = 4 + 2 * number
        page_id = content_id + 1
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
        objects.append(b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 %d 0 R >> >> "
                       b"/Contents %d 0 R >>" % (pages_id, font_id, content_id))
        kids.append(page_id)
    head = [b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [" + b" ".join(b"%d 0 R" % k for k in kids) + b"] /Count %d >>" % len(kids),
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"]
    body = head + objects
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for index, obj in enumerate(body, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % index + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(body) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(body) + 1, xref)
    return bytes(out)
