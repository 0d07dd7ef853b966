"""Coverage-guided fuzzing of document reading (PDF, DOCX, HTML, Markdown) with atheris.

    python bench/fuzz_ingest.py --seconds 60 [--timeout 10] [--rss-limit-mb 2048] [--workdir DIR]

Each input is one byte that picks the format, then the file's bytes:
  0 PDF, 1 DOCX (the bytes are the zip), 2 DOCX (the bytes are word/document.xml, zipped
  here so the XML reader is reached past the zip's CRC checks), 3 HTML, 4 Markdown.
The fuzzer starts from small generated samples of each and calls ``read_document`` (parse,
normalise, chunk; not the embedder). The project's typed errors (``StrategyReviewError``) are
expected; any other exception is a crash, saved with its traceback under WORKDIR/crashes.
libFuzzer's ``-timeout`` is the per-input time limit: an input that runs longer is a hang
(saved as WORKDIR/artifacts/timeout-*), and fuzzing restarts for the time left.

Prints inputs tried, uncaught exceptions (distinct) and hangs; exits 0 only when both are 0.
Needs atheris (Linux; in the test extra).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import logging
import os
import re
import subprocess
import sys
import tempfile
import time
import traceback
import warnings
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FORMATS = [(".pdf", "raw"), (".docx", "raw"), (".docx", "xml"), (".html", "raw"), (".md", "raw")]
MAX_LEN = 24_000


# ------------------------------------------------------------------ parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=60, help="total fuzzing time")
    parser.add_argument("--timeout", type=int, default=10, help="per-input limit (s): a hang")
    parser.add_argument("--rss-limit-mb", type=int, default=2048)
    parser.add_argument("--workdir", type=Path, default=None, help="keep corpus and crashes")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args, rest = parser.parse_known_args()
    if args.child:
        return child(args.workdir, rest)
    try:
        import atheris  # noqa: F401
    except ImportError:
        print("error: atheris is not installed (pip install atheris; Linux)", file=sys.stderr)
        return 2
    if args.workdir is None:
        with tempfile.TemporaryDirectory(prefix="fuzz-ingest-") as tmp:
            return fuzz(Path(tmp), args)
    args.workdir.mkdir(parents=True, exist_ok=True)
    return fuzz(args.workdir, args)


def fuzz(work: Path, args: argparse.Namespace) -> int:
    corpus, artifacts, crashes = (work / name for name in ("corpus", "artifacts", "crashes"))
    for folder in (corpus, artifacts, crashes):
        folder.mkdir(exist_ok=True)
    for old in [*crashes.glob("*.bin"), *artifacts.glob("*-*")]:  # a re-run retries them first
        old.replace(corpus / f"retry-{old.name}")
    for old in crashes.iterdir():
        old.unlink()
    for name, data in seeds().items():
        (corpus / f"seed-{name}").write_bytes(data)
    deadline = time.monotonic() + args.seconds
    inputs = runs = 0
    native: list[str] = []
    while (left := int(deadline - time.monotonic())) >= 2:
        runs += 1
        command = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--child",
            "--workdir",
            str(work),
            str(corpus),
            f"-max_total_time={left}",
            f"-timeout={args.timeout}",
            f"-rss_limit_mb={args.rss_limit_mb}",
            f"-max_len={MAX_LEN}",
            f"-artifact_prefix={artifacts}/",
            "-print_final_stats=1",
        ]
        env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONWARNINGS": "ignore"}
        done = subprocess.run(command, capture_output=True, text=True, env=env)
        inputs += _inputs_tried(done.stderr)
        if done.returncode != 0:
            native.append(_last_error(done.stderr, done.returncode))
    hangs = sorted(p.name for p in artifacts.glob("timeout-*"))
    ooms = sorted(p.name for p in artifacts.glob("oom-*"))
    dead = sorted(p.name for p in artifacts.glob("crash-*"))
    found = sorted(p.stem for p in crashes.glob("*.txt"))
    report = {
        "seconds": args.seconds,
        "per_input_timeout_s": args.timeout,
        "fuzzer_runs": runs,
        "inputs_tried": inputs,
        "uncaught_exceptions": len(found),
        "hangs": len(hangs),
        "out_of_memory": len(ooms),
        "native_crashes": len(dead),
        "corpus_size": len(list(corpus.iterdir())),
    }
    print(json.dumps(report, indent=2))
    for name in found:
        print(f"uncaught: {(crashes / f'{name}.txt').read_text().splitlines()[-1]}  [{name}]")
    for name in hangs + ooms + dead:
        print(f"artifact: {artifacts / name}")
    for line in native:
        print(f"fuzzer stopped: {line}")
    return 0 if not (found or hangs or ooms or dead) else 1


def _inputs_tried(log: str) -> int:
    done = re.findall(r"Done (\d+) runs", log)
    if done:
        return int(done[-1])
    counts = re.findall(r"^#(\d+)\s", log, re.M)
    return int(counts[-1]) if counts else 0


def _last_error(log: str, code: int) -> str:
    errors = [line for line in log.splitlines() if "ERROR" in line or "ALARM" in line]
    return f"exit {code}: {(errors or ['?'])[-1].strip()[:200]}"


# ------------------------------------------------------------------ seeds


def seeds() -> dict[str, bytes]:
    """Small generated samples of each format, each behind its format byte."""
    samples = {
        "plain.pdf": (0, _pdf(condensed=False)),
        "condensed.pdf": (0, _pdf(condensed=True)),
        "minimal.docx": (1, docx_zip(_DOCUMENT_XML.encode())),
        "document.xml": (2, _DOCUMENT_XML.encode()),
        "page.html": (3, _HTML.encode()),
        "plan.md": (4, _MARKDOWN.encode()),
    }
    return {name: bytes([kind]) + data for name, (kind, data) in samples.items()}


def _pdf(condensed: bool) -> bytes:
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    page = canvas.Canvas(out, pageCompression=0)
    page.setTitle("Microsoft Word - draft3.docx")
    page.setFont("Helvetica-Bold", 20)
    page.drawString(60, 780, "Harbour Digital Strategy 2025-2028")
    text = page.beginText(60, 740)
    text.setFont("Helvetica", 11)
    if condensed:
        text.setHorizScale(75)
    sentence = "We will fix the basics first and publish a service standard by 2026"
    for word in sentence.split():
        text.textOut(word)
        text.moveCursor(len(word) * 4.6 + 2.5, 0)
    page.drawText(text)
    page.showPage()
    page.setFont("Helvetica", 11)
    page.drawString(60, 780, "Page two: owners, risks and a review every year.")
    page.showPage()
    page.save()
    return out.getvalue()


def docx_zip(document_xml: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _RELS)
        archive.writestr("word/document.xml", document_xml)
    return out.getvalue()


_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_DOCUMENT_XML = (
    f'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="{_W}"><w:body>'
    '<w:p><w:pPr><w:pStyle w:val="Heading1"/></w:pPr><w:r><w:t>Our aims</w:t></w:r></w:p>'
    "<w:p><w:r><w:t>We surveyed 300 staff about log-in problems.</w:t></w:r></w:p>"
    "<w:tbl><w:tr><w:tc><w:p><w:r><w:t>2026</w:t></w:r></w:p></w:tc>"
    "<w:tc><w:p><w:r><w:t>New intranet</w:t></w:r></w:p></w:tc></w:tr></w:tbl>"
    "</w:body></w:document>"
)
_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/'
    'vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="word/document.xml"/></Relationships>'
)
_HTML = (
    "<!doctype html><html><head><title>doc.html</title><style>p{}</style></head><body>"
    "<nav>Menu</nav><h1>Digital plan</h1><p>Residents &amp; staff <b>first</b>.<p>Second"
    "<ul><li>One<li>Two <p>inner</p></ul><table><tr><td>2026<td>Portal</table>"
    "<blockquote><p>Quote</p></blockquote><script>alert(1)</script><!-- c --></body></html>"
)
_MARKDOWN = (
    "---\ntitle: Untitled\n---\n# Harbour plan\n\nWe will fix the basics.\n\n"
    "## Budget\n\n| Year | Cost |\n|---|---|\n| 2026 | £4m |\n\n<!-- note -->\n- item\n"
)


# ------------------------------------------------------------------ child


def child(work: Path, libfuzzer_args: list[str]) -> int:
    import atheris

    logging.disable(logging.CRITICAL)
    warnings.simplefilter("ignore")
    with atheris.instrument_imports(include=["pipeline", "pypdf", "docx", "bs4"]):
        import docx  # noqa: F401
        import pypdf  # noqa: F401

        from pipeline.documents import read_document
        from pipeline.errors import StrategyReviewError
    scratch = Path(tempfile.mkdtemp(prefix="fuzz-input-"))
    crashes = work / "crashes"
    seen: set[str] = set()

    def one_input(data: bytes) -> None:
        if len(data) < 2:
            return
        suffix, shape = FORMATS[data[0] % len(FORMATS)]
        body = data[1:] if shape == "raw" else docx_zip(data[1:])
        path = scratch / f"input{suffix}"
        path.write_bytes(body)
        try:
            read_document(path)
        except StrategyReviewError:
            pass
        except Exception as exc:  # an uncaught exception: record it once and keep fuzzing
            where = traceback.extract_tb(exc.__traceback__)[-1]
            key = f"{type(exc).__name__}:{Path(where.filename).name}:{where.lineno}"
            if key not in seen:
                seen.add(key)
                name = hashlib.sha1(key.encode()).hexdigest()[:12]
                (crashes / f"{name}.bin").write_bytes(data)
                (crashes / f"{name}.txt").write_text(
                    traceback.format_exc() + f"{key}: {str(exc)[:200]}\n"
                )

    atheris.Setup([sys.argv[0], *libfuzzer_args], one_input)
    atheris.Fuzz()
    return 0


if __name__ == "__main__":
    sys.exit(main())
