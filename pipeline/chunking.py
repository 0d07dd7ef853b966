"""Split a document into chunks with stable IDs, page ranges and character offsets."""

from __future__ import annotations

import bisect

from .records import PAGE_SEPARATOR, Chunk, Page

CHUNK_SIZE = 1000
CHUNK_OVERLAP = 150


def page_offsets(pages: list[Page]) -> list[Page]:
    """Set each page's offset into the joined document text."""
    offset = 0
    placed = []
    for page in pages:
        placed.append(page.model_copy(update={"offset": offset}))
        offset += len(page.text) + len(PAGE_SEPARATOR)
    return placed


def chunk_id(index: int, page_start: int, page_end: int) -> str:
    pages = f"p{page_start}" if page_start == page_end else f"p{page_start}-{page_end}"
    return f"c{index:03d}-{pages}"


def chunk_pages(
    pages: list[Page], size: int = CHUNK_SIZE, overlap: int = CHUNK_OVERLAP
) -> list[Chunk]:
    # imported here: langchain takes ~0.5 s, which every command would pay at start-up
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    text = PAGE_SEPARATOR.join(p.text for p in pages)
    splitter = RecursiveCharacterTextSplitter(
        chunk_size=size,
        chunk_overlap=overlap,
        separators=["\n\n", "\n", ". ", "; ", ", ", " ", ""],
        add_start_index=True,
    )
    starts = [p.offset for p in pages]
    chunks: list[Chunk] = []
    for doc in splitter.create_documents([text]):
        start = int(doc.metadata["start_index"])
        end = start + len(doc.page_content)
        first = pages[bisect.bisect_right(starts, start) - 1].page
        last = pages[bisect.bisect_right(starts, max(start, end - 1)) - 1].page
        index = len(chunks)
        chunks.append(
            Chunk(
                id=chunk_id(index, first, last),
                index=index,
                page_start=first,
                page_end=last,
                start=start,
                end=end,
                text=doc.page_content,
            )
        )
    return chunks
