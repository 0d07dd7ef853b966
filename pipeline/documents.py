"""Read a strategy document (PDF, HTML, Markdown, text, DOCX) into normalised pages and chunks.

Bad input raises :class:`InputError` with a one-line message the CLI prints as it is.
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from . import titles
from .chunking import chunk_pages, page_offsets
from .docx_hidden import white_and_tiny_runs
from .docx_text import DocxText, read_docx_text
from .errors import InputError
from .html_blocks import html_text
from .normalise import normalise_page_text, strip_running_lines
from .pdf_hidden import extract_with_hidden
from .pdf_text import respace
from .records import Document, HiddenText, Page
from .unseen import Unseen, drop_comments, place, place_by_text

MAX_FILE_BYTES = 512 * 1024 * 1024
MAX_PAGES = 5000
MAX_DOCX_XML_BYTES = 128 * 1024 * 1024  # declared inflated size of a DOCX's XML parts
MAX_DOCX_TOTAL_BYTES = 1024 * 1024 * 1024  # declared inflated size of all its parts
MAX_ZIP_RATIO = 200  # a part this much larger than its compressed bytes (and over 1 MiB)
SECTION_WORDS = 600  # size of a pseudo-page for formats without pages
TEXT_EXTENSIONS = {".md": "markdown", ".markdown": "markdown", ".txt": "text", ".text": "text"}
HTML_EXTENSIONS = {".html", ".htm", ".xhtml"}
# 2: PDF pages record hidden text, zero-width characters are removed
# 3: PDF pages that lost their word spaces are re-read with PDFium; junk metadata titles give
#    way to the first heading; HTML is read in one streaming pass; long blocks are split
# 4: DOCX read from its XML: tracked changes accepted, fields, content controls, text boxes,
#    hidden runs left out (python-docx dropped inserted words and whole controls); HTML hidden
#    elements, HTML and Markdown comments and alt text, and DOCX hidden runs, kept aside as
#    unseen text; DOCX runs drawn white or under 2 pt recorded as hidden text
# 5: HTML table rows are one block, cells joined as a DOCX row's are; control characters
#    removed from page text
READER_VERSION = 5

log = logging.getLogger(__name__)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_document(path: Path, password: str | None = None) -> Document:
    """Read, normalise and chunk a document. Raises InputError for anything unreadable."""
    path = _check_path(path)
    kind = detect_format(path)
    hidden: list[list[HiddenText]] = []
    if kind == "pdf":
        title, raw_pages, labels, warnings = _read_pdf(path, password, hidden)
    elif kind == "docx":
        title, raw_pages, labels, warnings = _read_docx(path, password, hidden)
    elif kind == "html":
        title, raw_pages, labels, warnings = _read_html(path, hidden)
    else:
        title, raw_pages, labels, warnings = _read_plain(path, kind, hidden)
    pages = _normalise_pages(raw_pages, labels, paginated=kind == "pdf")
    for page, runs in zip(pages, hidden, strict=False):
        page.hidden = [HiddenText(text=normalise_page_text(h.text), reason=h.reason) for h in runs]
    empty = [p.page for p in pages if not p.text.strip()]
    if len(empty) == len(pages):
        if kind == "pdf":
            raise InputError(
                f"{path.name}: no extractable text on any of its {len(pages)} pages; it looks "
                "image-only or scanned, so it needs OCR first (e.g. `ocrmypdf in.pdf out.pdf`)"
            )
        raise InputError(f"{path.name}: the document has no text")
    if empty and kind == "pdf":
        warnings.append(f"{len(empty)} page(s) have no extractable text: {_ranges(empty)}")
    pages = page_offsets(pages)
    return Document(
        path=str(path),
        sha256=sha256_file(path),
        title=title or _guess_title(pages, path),
        format=kind,  # type: ignore[arg-type]
        pages=pages,
        chunks=chunk_pages(pages),
        warnings=warnings,
        pages_without_text=empty,
        reader_version=READER_VERSION,
    )


# ------------------------------------------------------------------ checks and detection


def _check_path(path: Path) -> Path:
    path = Path(path).expanduser()
    try:
        info = path.stat()
    except OSError as exc:
        raise InputError(_stat_error(path, exc)) from None
    if path.is_dir():
        raise InputError(f"{path}: is a directory, not a document")
    if not path.is_file():
        raise InputError(f"{path}: not a regular file (a device, pipe or socket)")
    if not os.access(path, os.R_OK):
        raise InputError(f"{path}: permission denied (the file is not readable)")
    size = info.st_size
    if size == 0:
        raise InputError(f"{path}: the file is empty")
    if size > MAX_FILE_BYTES:
        raise InputError(
            f"{path}: {size / 1e6:.0f} MB is larger than the {MAX_FILE_BYTES >> 20} MiB limit"
        )
    return path.resolve()


def _stat_error(path: Path, exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return f"{path}: a symbolic link loop (the link leads back to itself)"
    if exc.errno == errno.ENOENT and path.is_symlink():
        return f"{path}: a broken symbolic link (its target does not exist)"
    if exc.errno == errno.ENOENT:
        return f"{path}: no such file"
    if exc.errno == errno.EACCES:
        return f"{path}: permission denied"
    if exc.errno == errno.ENAMETOOLONG:
        return f"{str(path)[:80]}...: the file name is too long"
    return f"{path}: cannot be read ({exc.strerror or type(exc).__name__})"


def detect_format(path: Path) -> str:
    """Decide the format from the file's bytes first and its extension second."""
    with path.open("rb") as handle:
        head = handle.read(2048)
    suffix = path.suffix.lower()
    if b"%PDF-" in head[:1024]:
        return "pdf"
    if suffix == ".pdf":
        raise InputError(f"{path.name}: not a PDF (it has a .pdf name but no PDF header)")
    if head.startswith(b"PK\x03\x04"):
        if _zip_has(path, "word/document.xml"):
            return "docx"
        if suffix == ".docx":
            raise InputError(f"{path.name}: not a DOCX file (no Office Open XML content)")
        raise InputError(f"{path.name}: a ZIP archive, not a supported document")
    if suffix == ".docx":
        raise InputError(f"{path.name}: not a DOCX file (no Office Open XML content)")
    if b"\x00" in head:
        raise InputError(f"{path.name}: a binary file, not PDF, DOCX, HTML, Markdown or text")
    text_head = head.decode("utf-8", errors="ignore").lstrip().lower()
    if suffix in HTML_EXTENSIONS or text_head.startswith(("<!doctype html", "<html")):
        return "html"
    return TEXT_EXTENSIONS.get(suffix, "text")


def _zip_has(path: Path, member: str) -> bool:
    try:
        with zipfile.ZipFile(path) as archive:
            return member in archive.namelist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, NotImplementedError):
        return False


# ------------------------------------------------------------------ PDF


RawPages = tuple[str, list[str], list[str], list[str]]  # title, texts, labels, warnings


def _read_pdf(
    path: Path, password: str | None, hidden: list[list[HiddenText]] | None = None
) -> RawPages:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(path, strict=False)
        if reader.is_encrypted:
            _decrypt(reader, path, password)
        count = len(reader.pages)
    except InputError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError, AttributeError) as exc:
        raise InputError(f"{path.name}: corrupt or truncated PDF ({_short(exc)})") from exc
    except Exception as exc:  # pypdf raises many types on damaged files
        raise InputError(f"{path.name}: corrupt or unreadable PDF ({_short(exc)})") from exc
    if count == 0:
        raise InputError(f"{path.name}: the PDF has no pages (corrupt or truncated)")
    if count > MAX_PAGES:
        raise InputError(f"{path.name}: {count} pages is more than the {MAX_PAGES}-page limit")
    texts: list[str | None] = []
    failed: list[int] = []
    for index, (text, runs) in enumerate(_pdf_texts(reader)):
        texts.append(text)
        if hidden is not None:
            hidden.append(runs)
        if text is None:
            failed.append(index + 1)
    warnings = [f"unreadable pages skipped: {_ranges(failed)}"] if failed else []
    if len(failed) == count:
        raise InputError(f"{path.name}: corrupt PDF, no page could be read")
    repaired = respace(path, texts, password)
    if repaired.replaced:
        warnings.append(
            f"{len(repaired.replaced)} page(s) had words run together by pypdf and were re-read "
            f"with PDFium: {_ranges(repaired.replaced)}"
        )
    warnings += active_content(reader)
    title = titles.pick(_pdf_title(reader), file_name=path.name) or _pdf_heading(
        reader, repaired.texts
    )
    return title, repaired.texts, _pdf_labels(reader, count), warnings


def _pdf_heading(reader: object, texts: list[str]) -> str:
    """The largest text on the first page with text (if that page is of ordinary length)."""
    first = next((i for i, text in enumerate(texts[:2]) if text.strip()), None)
    if first is None or len(texts[first]) > titles.HEADING_PAGE_CHARS:
        return ""
    return titles.pick(titles.pdf_heading(reader.pages[first]))  # type: ignore[attr-defined]


def active_content(reader: object) -> list[str]:
    """Warnings for JavaScript and embedded files. Neither is ever run or opened."""
    found: list[str] = []
    try:
        root = reader.trailer["/Root"]  # type: ignore[attr-defined]
        names = root.get("/Names")
        names = names.get_object() if names is not None else {}
        script = "/JavaScript" in names or _is_script(root.get("/OpenAction")) or "/AA" in root
        files = _attachment_count(reader) if "/EmbeddedFiles" in names else 0
        for page in reader.pages[:MAX_PAGES]:  # type: ignore[attr-defined]
            script = script or "/AA" in page
            for annot in page.get("/Annots") or []:
                annot = annot.get_object()
                script = script or _is_script(annot.get("/A")) or "/AA" in annot
                files += annot.get("/Subtype") == "/FileAttachment"
    except Exception as exc:  # a damaged catalogue: the text may still be readable
        log.info("active content not checked: %s", exc)
        return found
    if script:
        found.append("the PDF contains JavaScript; it was not run (only the text was read)")
    if files:
        found.append(f"the PDF embeds {files} file(s); they were not opened or read")
    return found


def _is_script(action: Any) -> bool:
    try:
        action = action.get_object() if action is not None else None
        return action is not None and action.get("/S") == "/JavaScript"
    except Exception:
        return False


def _attachment_count(reader: Any) -> int:
    try:
        return max(1, sum(len(files) for files in reader.attachments.values()))
    except Exception:
        return 1


def _decrypt(reader: object, path: Path, password: str | None) -> None:
    from pypdf.errors import DependencyError

    try:
        ok = reader.decrypt(password or "")  # type: ignore[attr-defined]
    except DependencyError as exc:
        raise InputError(
            f"{path.name}: encrypted with AES; install `cryptography` to open it"
        ) from exc
    if not ok:
        if password:
            raise InputError(f"{path.name}: encrypted, and the password given is wrong")
        raise InputError(f"{path.name}: the PDF is encrypted; give its password with --password")


def _pdf_texts(reader: object) -> Iterator[tuple[str | None, list[HiddenText]]]:
    """Each page's text, and the runs of it drawn hidden (white, tiny, invisible, off page)."""
    for page in reader.pages:  # type: ignore[attr-defined]
        try:
            yield extract_with_hidden(page)
        except Exception as exc:  # one damaged page must not lose the others
            log.warning("page unreadable: %s", exc)
            yield None, []


def _pdf_labels(reader: object, count: int) -> list[str]:
    try:
        labels = list(reader.page_labels)  # type: ignore[attr-defined]
    except Exception:
        labels = []
    return labels if len(labels) == count else [str(i + 1) for i in range(count)]


def _pdf_title(reader: object) -> str:
    try:
        meta = reader.metadata  # type: ignore[attr-defined]
        title = str(meta.title).strip() if meta and meta.title else ""
    except Exception:
        title = ""
    return title


# ------------------------------------------------------------------ sectioned formats


def _read_docx(
    path: Path, password: str | None = None, hidden: list[list[HiddenText]] | None = None
) -> RawPages:
    """``hidden`` gets, per page, the runs Word does not show: formatted hidden (not read, see
    pipeline/docx_text.py), or drawn white or tiny (read; see pipeline/docx_hidden.py)."""
    import docx

    _check_zip_sizes(path)
    try:  # python-docx fails in many ways on a damaged package
        document = docx.Document(str(path))
        text = read_docx_text(document)
        meta_title = document.core_properties.title
        drawn_hidden = white_and_tiny_runs(document)
    except Exception as exc:
        raise InputError(f"{path.name}: corrupt DOCX ({_short(exc)})") from exc
    title = titles.pick(meta_title, titles.first_heading(text.blocks), file_name=path.name)
    texts, labels = _sections(text.blocks)
    if hidden is not None:
        unseen = [Unseen(0, run, "hidden element") for run in text.hidden]
        hidden += place(unseen, [], len(texts))  # where a hidden run sat is not known: page 1
        for page, runs in enumerate(place_by_text(drawn_hidden, texts)):
            hidden[page] += runs
    return title, texts, labels, _docx_warnings(text)


def _docx_warnings(text: DocxText) -> list[str]:
    warnings = []
    if text.tracked_changes:
        warnings.append(
            f"the document has {text.tracked_changes} tracked change(s); it was read as if "
            "every change were accepted"
        )
    if text.hidden:
        warnings.append(f"{len(text.hidden)} run(s) of text formatted as hidden were not read")
    return warnings


def _check_zip_sizes(path: Path) -> None:
    """Refuse a zip bomb before python-docx inflates anything.

    First by the declared sizes; then each part is inflated in 1 MiB steps up to its declared
    size and its CRC checked, so a part whose headers lie about its size is caught too.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
            _refuse_bomb(path, parts)
            bad = archive.testzip()  # inflates each part in 1 MiB steps, up to its declared size
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, NotImplementedError) as exc:
        raise InputError(f"{path.name}: corrupt DOCX ({_short(exc)})") from exc
    if bad is not None:
        raise InputError(f"{path.name}: corrupt DOCX ({bad} does not match its declared size)")


def _refuse_bomb(path: Path, parts: list[zipfile.ZipInfo]) -> None:
    total = sum(p.file_size for p in parts)
    xml = sum(p.file_size for p in parts if not p.filename.startswith("word/media/"))
    bomb = next(
        (
            p
            for p in parts
            if p.file_size > 1 << 20 and p.file_size > MAX_ZIP_RATIO * max(p.compress_size, 1)
        ),
        None,
    )
    if total > MAX_DOCX_TOTAL_BYTES or xml > MAX_DOCX_XML_BYTES or bomb is not None:
        largest = max(parts, key=lambda p: p.file_size)
        raise InputError(
            f"{path.name}: refused as a possible zip bomb: it would inflate to "
            f"{total / 1e6:.0f} MB ({largest.filename} alone {largest.file_size / 1e6:.0f} MB "
            f"from {largest.compress_size / 1e6:.1f} MB)"
        )


def _read_html(path: Path, hidden: list[list[HiddenText]]) -> RawPages:
    """``hidden`` gets, per page, the text a reader does not see (pipeline/unseen.py)."""
    meta_title, blocks, unseen = html_text(path.read_text(encoding="utf-8", errors="replace"))
    title = titles.pick(meta_title, titles.first_heading(blocks), file_name=path.name)
    owners: list[int] = []
    texts, labels = _sections(blocks, owners)
    hidden += place(unseen, owners, len(texts))
    return title, texts, labels, []


def _read_plain(path: Path, kind: str, hidden: list[list[HiddenText]]) -> RawPages:
    text = path.read_text(encoding="utf-8", errors="replace")
    title = ""
    front = re.match(r"\A---\n(.*?)\n---\n", text, re.S)
    if front:
        match = re.search(r"^title:\s*(.+)$", front.group(1), re.M)
        title = match.group(1).strip().strip("\"'") if match else ""
        text = text[front.end() :]
    text, comments = drop_comments(text)
    blocks: list[tuple[bool, str]] = []
    for para in re.split(r"\n\s*\n", text):
        heading = kind == "markdown" and bool(re.match(r"#{1,2}\s", para))
        blocks.append((heading, re.sub(r"^#{1,6}\s*", "", para.strip(), flags=re.M)))
    title = titles.pick(title, titles.first_heading(blocks), file_name=path.name)
    owners: list[int] = []
    texts, labels = _sections(blocks, owners)
    hidden += place(comments, owners, len(texts))
    return title, texts, labels, []


def _sections(
    blocks: list[tuple[bool, str]], owners: list[int] | None = None
) -> tuple[list[str], list[str]]:
    """Group blocks into pseudo-pages at level 1-2 headings, splitting long sections.
    ``owners``, when given, gets the page index of each block."""
    pages: list[list[str]] = [[]]
    words = 0
    for is_heading, block in blocks:
        for text in _pieces(block):
            if (is_heading and words > 0) or words > SECTION_WORDS:
                pages.append([])
                words = 0
            pages[-1].append(text)
            words += len(text.split())
            is_heading = False
        if owners is not None:
            owners.append(len(pages) - 1)
    texts = ["\n\n".join(p) for p in pages if p] or [""]
    return texts, [f"§{i + 1}" for i in range(len(texts))]


def _pieces(block: str) -> Iterator[str]:
    """A block cut at line ends into pieces of at most SECTION_WORDS words (a long table)."""
    text = block.strip()
    if not text:
        return
    if len(text.split()) <= SECTION_WORDS:
        yield text
        return
    piece: list[str] = []
    words = 0
    for line in _short_lines(text):
        count = len(line.split())
        if piece and words + count > SECTION_WORDS:
            yield "\n".join(piece)
            piece, words = [], 0
        piece.append(line)
        words += count
    if "\n".join(piece).strip():
        yield "\n".join(piece).strip()


def _short_lines(text: str) -> Iterator[str]:
    """The lines of ``text``, a line of more than SECTION_WORDS words cut into such runs."""
    for line in text.split("\n"):
        words = line.split()
        if len(words) <= SECTION_WORDS:
            yield line
            continue
        for start in range(0, len(words), SECTION_WORDS):
            yield " ".join(words[start : start + SECTION_WORDS])


# ------------------------------------------------------------------ helpers


def _normalise_pages(raw: list[str], labels: list[str], paginated: bool) -> list[Page]:
    texts = [normalise_page_text(t) for t in raw]
    if paginated:
        texts = strip_running_lines(texts, labels)
    return [Page(page=i + 1, page_label=labels[i], text=t) for i, t in enumerate(texts)]


def _guess_title(pages: list[Page], path: Path) -> str:
    for page in pages[:3]:
        for line in page.text.split("\n"):
            if 3 <= len(line.strip()) <= 120:
                return line.strip()
    return path.stem


def _ranges(numbers: list[int]) -> str:
    parts: list[str] = []
    for n in numbers:
        if parts and parts[-1].split("-")[-1] == str(n - 1):
            parts[-1] = parts[-1].split("-")[0] + f"-{n}"
        else:
            parts.append(str(n))
    return ", ".join(parts)


def _short(exc: BaseException) -> str:
    text = str(exc).strip().split("\n")[0] or type(exc).__name__
    return text[:160]
