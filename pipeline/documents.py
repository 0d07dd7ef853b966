"""Read a strategy document (PDF, HTML, Markdown, text, DOCX) into normalised pages and chunks.

Bad input raises :class:`InputError` with a one-line message the CLI prints as it is.
"""

from __future__ import annotations

import hashlib
import logging
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

from .chunking import chunk_pages, page_offsets
from .errors import InputError
from .normalise import normalise_page_text, strip_running_lines
from .pdf_hidden import extract_with_hidden
from .records import Document, HiddenText, Page

MAX_FILE_BYTES = 512 * 1024 * 1024
MAX_PAGES = 5000
SECTION_WORDS = 600  # size of a pseudo-page for formats without pages
TEXT_EXTENSIONS = {".md": "markdown", ".markdown": "markdown", ".txt": "text", ".text": "text"}
HTML_EXTENSIONS = {".html", ".htm", ".xhtml"}
READER_VERSION = 2  # 2: PDF pages record hidden text, zero-width characters are removed

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
    reader = {"docx": _read_docx, "html": _read_html}.get(kind)
    if kind == "pdf":
        title, raw_pages, labels, warnings = _read_pdf(path, password, hidden)
    elif reader is not None:
        title, raw_pages, labels, warnings = reader(path, password)
    else:
        title, raw_pages, labels, warnings = _read_plain(path, kind)
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
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if path.is_dir():
        raise InputError(f"{path}: is a directory, not a document")
    size = path.stat().st_size
    if size == 0:
        raise InputError(f"{path}: the file is empty")
    if size > MAX_FILE_BYTES:
        raise InputError(
            f"{path}: {size / 1e6:.0f} MB is larger than the {MAX_FILE_BYTES >> 20} MiB limit"
        )
    return path.resolve()


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
    except zipfile.BadZipFile:
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
    return _pdf_title(reader), [t or "" for t in texts], _pdf_labels(reader, count), warnings


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
    return "" if title.lower() in {"untitled", "none", ""} else title


# ------------------------------------------------------------------ sectioned formats


def _read_docx(path: Path, password: str | None = None) -> RawPages:
    import docx

    try:
        document = docx.Document(str(path))
    except Exception as exc:
        raise InputError(f"{path.name}: corrupt DOCX ({_short(exc)})") from exc
    blocks: list[tuple[bool, str]] = []
    for para in document.paragraphs:
        style = (para.style.name if para.style is not None else "") or ""
        blocks.append((style.startswith(("Heading 1", "Heading 2", "Title")), para.text))
    for table in document.tables:
        for row in table.rows:
            blocks.append((False, " | ".join(cell.text for cell in row.cells)))
    title = (document.core_properties.title or "").strip()
    return (title, *_sections(blocks), [])


def _read_html(path: Path, password: str | None = None) -> RawPages:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(path.read_text(encoding="utf-8", errors="replace"), "html.parser")
    for tag in soup(["script", "style", "noscript", "nav", "template", "svg"]):
        tag.decompose()
    title = soup.title.get_text(" ", strip=True) if soup.title else ""
    body = soup.body or soup
    blocks: list[tuple[bool, str]] = []
    for element in body.find_all(
        ["h1", "h2", "h3", "h4", "p", "li", "td", "th", "blockquote", "pre"]
    ):
        if element.find(["p", "li"]) is not None and element.name in {
            "li",
            "td",
            "th",
            "blockquote",
        }:
            continue
        blocks.append((element.name in {"h1", "h2"}, element.get_text(" ", strip=True)))
    if not blocks:
        blocks = [(False, body.get_text("\n", strip=True))]
    return (title, *_sections(blocks), [])


def _read_plain(path: Path, kind: str) -> RawPages:
    text = path.read_text(encoding="utf-8", errors="replace")
    title = ""
    front = re.match(r"\A---\n(.*?)\n---\n", text, re.S)
    if front:
        match = re.search(r"^title:\s*(.+)$", front.group(1), re.M)
        title = match.group(1).strip().strip("\"'") if match else ""
        text = text[front.end() :]
    text = re.sub(r"<!--.*?-->", "", text, flags=re.S)
    blocks: list[tuple[bool, str]] = []
    for para in re.split(r"\n\s*\n", text):
        heading = kind == "markdown" and bool(re.match(r"#{1,2}\s", para))
        blocks.append((heading, re.sub(r"^#{1,6}\s*", "", para.strip(), flags=re.M)))
    return (title, *_sections(blocks), [])


def _sections(blocks: list[tuple[bool, str]]) -> tuple[list[str], list[str]]:
    """Group blocks into pseudo-pages at level 1-2 headings, splitting long sections."""
    pages: list[list[str]] = [[]]
    words = 0
    for is_heading, text in blocks:
        if not text.strip():
            continue
        if (is_heading and words > 0) or words > SECTION_WORDS:
            pages.append([])
            words = 0
        pages[-1].append(text.strip())
        words += len(text.split())
    texts = ["\n\n".join(p) for p in pages if p] or [""]
    return texts, [f"§{i + 1}" for i in range(len(texts))]


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
