"""Makers of hostile documents for tests/test_hostile_inputs.py and bench/fuzz_ingest.py.

Every file is generated; nothing here is copied from a real document.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
METACHAR_NAME = "a;$(touch PWNED)`id`|<img src=x onerror=alert(1)>&'\" plan"

_PROBE = """
import json, sys, time
from pathlib import Path
from pipeline.documents import read_document
from pipeline.errors import InputError
start = time.perf_counter()
try:
    doc = read_document(Path(sys.argv[1]))
    out = {"ok": True, "pages": len(doc.pages), "chars": len(doc.text), "chunks": len(doc.chunks),
           "title": doc.title, "warnings": doc.warnings,
           "longest_page": max(len(p.text) for p in doc.pages)}
except InputError as exc:
    out = {"ok": False, "error": str(exc)}
out["seconds"] = round(time.perf_counter() - start, 2)
# VmHWM, not ru_maxrss: Linux keeps ru_maxrss across exec, so it would report the (large)
# parent that forked this interpreter.
status = Path("/proc/self/status").read_text()
out["peak_mb"] = round(int(status.split("VmHWM:")[1].split()[0]) / 1024)
print(json.dumps(out))
"""


def probe(path: Path, timeout: float, root: Path = ROOT) -> dict:
    """Read ``path`` in a fresh interpreter; its outcome, wall time and peak RSS (MB).

    A crash (an uncaught exception, a signal) or a time-out comes back as ``{"crashed": ...}``.
    """
    env = {**os.environ, "PYTHONPATH": str(root)}
    start = time.perf_counter()
    try:
        done = subprocess.run(
            [sys.executable, "-c", _PROBE, str(path)],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
            cwd=str(path.parent),
        )
    except subprocess.TimeoutExpired:
        return {"crashed": f"no result within {timeout:.0f} s", "seconds": timeout}
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or ["?"])[-1]
        return {
            "crashed": f"exit {done.returncode}: {tail[:200]}",
            "seconds": round(time.perf_counter() - start, 2),
        }
    return json.loads(done.stdout.strip().splitlines()[-1])


# ------------------------------------------------------------------ makers


def docx_bomb(path: Path, inflated_mb: int = 1024) -> Path:
    """A DOCX whose document.xml inflates to ``inflated_mb`` MB (about 1 MB on disk)."""
    head = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        b"<w:body><w:p><w:r><w:t>Bomb</w:t></w:r></w:p>"
    )
    block = b" " * (1 << 20)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _RELS)
        with archive.open("word/document.xml", "w", force_zip64=True) as member:
            member.write(head)
            for _ in range(inflated_mb):
                member.write(block)
            member.write(b"</w:body></w:document>")
    return path


def docx_lying_sizes(path: Path, inflated_mb: int = 64) -> Path:
    """A DOCX bomb whose headers declare document.xml as 1,000 bytes."""
    docx_bomb(path, inflated_mb)
    data = bytearray(path.read_bytes())
    # The central directory entry: signature, then sizes at fixed offsets (zip64 extra holds
    # the real ones when the field is 0xFFFFFFFF, so write both places).
    central = data.rfind(b"PK\x01\x02")
    while central != -1:
        name_len = int.from_bytes(data[central + 28 : central + 30], "little")
        name = bytes(data[central + 46 : central + 46 + name_len])
        if name == b"word/document.xml":
            data[central + 24 : central + 28] = (1000).to_bytes(4, "little")
            extra_len = int.from_bytes(data[central + 30 : central + 32], "little")
            extra = central + 46 + name_len
            _shrink_zip64(data, extra, extra_len)
            break
        central = data.rfind(b"PK\x01\x02", 0, central)
    path.write_bytes(bytes(data))
    return path


def _shrink_zip64(data: bytearray, start: int, length: int) -> None:
    pos = start
    while pos + 4 <= start + length:
        tag = int.from_bytes(data[pos : pos + 2], "little")
        size = int.from_bytes(data[pos + 2 : pos + 4], "little")
        if tag == 0x0001 and size >= 8:
            data[pos + 4 : pos + 12] = (1000).to_bytes(8, "little")
            return
        pos += 4 + size


def many_page_pdf(path: Path, pages: int = 10_000) -> Path:
    from reportlab.pdfgen import canvas

    page = canvas.Canvas(str(path), pageCompression=1)
    for _ in range(pages):
        page.setFont("Helvetica", 12)
        page.drawString(72, 720, "Strategy")
        page.showPage()
    page.save()
    return path


def one_line_pdf(path: Path, megabytes: int = 5) -> Path:
    """One page whose text is a single line of ``megabytes`` MB (words, no line breaks)."""
    from reportlab.pdfgen import canvas

    words = "digital services for residents by 2027 "
    line = (words * (megabytes * (1 << 20) // len(words) + 1))[: megabytes << 20]
    page = canvas.Canvas(str(path), pageCompression=1)
    page.setFont("Helvetica", 10)
    page.drawString(20, 400, line)
    page.showPage()
    page.save()
    return path


def scripted_pdf(path: Path) -> Path:
    """A PDF with document JavaScript, an open action, a link action and an attachment."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import ArrayObject, DictionaryObject, NameObject, TextStringObject
    from reportlab.pdfgen import canvas

    plain = path.with_suffix(".plain.pdf")
    page = canvas.Canvas(str(plain))
    page.setFont("Helvetica", 12)
    page.drawString(72, 720, "We will publish our service standard by March 2026.")
    page.showPage()
    page.save()
    writer = PdfWriter(clone_from=PdfReader(plain))
    writer.add_attachment("payload.exe", b"MZ" + b"\x00" * 64)
    script = _js_action("this.exportDataObject({cName: 'payload.exe', nLaunch: 2});")
    names = writer._root_object["/Names"].get_object()
    names[NameObject("/JavaScript")] = DictionaryObject(
        {NameObject("/Names"): ArrayObject([TextStringObject("run"), writer._add_object(script)])}
    )
    writer._root_object[NameObject("/OpenAction")] = _js_action("app.alert('pwned');")
    with path.open("wb") as handle:
        writer.write(handle)
    plain.unlink()
    return path


def _js_action(code: str) -> object:
    from pypdf.generic import DictionaryObject, NameObject, TextStringObject

    return DictionaryObject(
        {NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject(code)}
    )


def nested_html(path: Path, depth: int = 100_000) -> Path:
    path.write_text(
        "<html><head><title>Deep plan</title></head><body>"
        + "<div>" * depth
        + "<p>We will fix the basics first.</p>"
        + "</div>" * depth
        + "<p>Residents come first.</p></body></html>",
        encoding="utf-8",
    )
    return path


def big_table_markdown(path: Path, megabytes: int = 1) -> Path:
    rows = ["# Budget\n", "| Year | Service | Cost | Owner |", "|---|---|---|---|"]
    size = sum(len(r) for r in rows)
    n = 0
    while size < megabytes << 20:
        row = f"| {2025 + n % 5} | Service {n} | £{n * 13 % 9000} | Team {n % 40} |"
        rows.append(row)
        size += len(row) + 1
        n += 1
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def symlink_loop(directory: Path) -> Path:
    first, second = directory / "loop-a.pdf", directory / "loop-b.pdf"
    first.symlink_to(second)
    second.symlink_to(first)
    return first


_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/'
    'vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="word/document.xml"/></Relationships>'
)
