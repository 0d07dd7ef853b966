"""Shared fixtures. Every test gets its own home and cache directories under tmp_path."""

from __future__ import annotations

import shutil
import socketserver
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import render_pdfs  # noqa: E402

SAMPLE_PDF = ROOT / "examples" / "northbridge-digital-strategy.pdf"
SHARED = ROOT.parent / "shared"


def _quiet_handle_error(self: socketserver.BaseServer, request: object, address: object) -> None:
    """Loopback servers in tests hang up on purpose (timeouts, dropped bodies); their threads
    must not print tracebacks into whichever later test happens to capture stderr."""


socketserver.BaseServer.handle_error = _quiet_handle_error  # type: ignore[method-assign]


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "home"
    monkeypatch.setenv("STRATEGY_REVIEW_HOME", str(path))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("ANONYMIZED_TELEMETRY", "False")
    for name in (
        "STRATEGY_REVIEW_MODEL",
        "STRATEGY_REVIEW_BASE_URL",
        "STRATEGY_REVIEW_EMBEDDINGS_URL",
        "STRATEGY_REVIEW_CHROMA_URL",
        "STRATEGY_REVIEW_CHROMA_TOKEN",
        "STRATEGY_REVIEW_LOCK_TIMEOUT",
        "OPENAI_API_KEY",
        "OLLAMA_HOST",
    ):
        monkeypatch.delenv(name, raising=False)
    from pipeline.cli.common import state

    monkeypatch.setitem(state, "debug", False)
    return path


@pytest.fixture(scope="session")
def built_corpus_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home with the exemplar corpus indexed and the sample strategy ingested, once per session
    (copied into the tests that need it, so each does not embed them again)."""
    import os

    from pipeline.corpus import build
    from pipeline.ingest import ingest

    path = tmp_path_factory.mktemp("corpus-home")
    old = os.environ.get("STRATEGY_REVIEW_HOME")
    os.environ["STRATEGY_REVIEW_HOME"] = str(path)
    try:
        build()
        ingest(SAMPLE_PDF)
    finally:
        if old is None:
            os.environ.pop("STRATEGY_REVIEW_HOME", None)
        else:
            os.environ["STRATEGY_REVIEW_HOME"] = old
    return path


@pytest.fixture(scope="session")
def sample_review_dir(built_corpus_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real rules review of the sample strategy (review.json, .md, .html), made once per
    session. Tests that write into a review folder copy it first (see ``review_dir``)."""
    import os

    from pipeline.models.rules import RulesModel
    from pipeline.review import run_review

    out = tmp_path_factory.mktemp("sample-review") / "review"
    home = tmp_path_factory.mktemp("sample-review-home")
    shutil.copytree(built_corpus_home, home, dirs_exist_ok=True)
    old = os.environ.get("STRATEGY_REVIEW_HOME")
    os.environ["STRATEGY_REVIEW_HOME"] = str(home)
    try:
        run_review(SAMPLE_PDF, out, RulesModel())
    finally:
        if old is None:
            os.environ.pop("STRATEGY_REVIEW_HOME", None)
        else:
            os.environ["STRATEGY_REVIEW_HOME"] = old
    return out


@pytest.fixture
def review_dir(sample_review_dir: Path, tmp_path: Path) -> Path:
    """A private copy of the sample's rules review, free to write decisions into."""
    return Path(shutil.copytree(sample_review_dir, tmp_path / "review"))


@pytest.fixture
def corpus_home(home: Path, built_corpus_home: Path) -> Path:
    shutil.copytree(built_corpus_home, home, dirs_exist_ok=True)
    return home


@pytest.fixture(scope="session")
def pdfs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Fixture PDFs made by the repo's own render script from text written for the tests."""
    out = tmp_path_factory.mktemp("pdfs")
    pages = [
        "# Kestrelford Council Digital Plan 2025-2028\n\nA plan for residents.",
        "# Contents\n\n- Our aims\n- Our principles",
        "# Our aims\n\nWe interviewed 35 residents about council tax payments. The digital "
        "team will redesign the benefits service so that residents can apply online by March 2026.",
        "# Our principles\n\nWe will not build a new customer portal this year. Teams should "
        "publish their code openly and test every service with real users before launch.",
    ]
    made = {
        "labelled": render_pdfs.render_text_pdf(
            pages,
            out / "labelled.pdf",
            page_labels=[(0, "roman"), (2, "arabic")],
            header="Kestrelford Council - Digital Plan",
            footer="Page {label}",
        ),
        "image_only": render_pdfs.make_image_only_pdf(out / "image-only.pdf", pages=2),
    }
    made["encrypted"] = render_pdfs.make_encrypted_pdf(
        made["labelled"], out / "encrypted.pdf", "s3cret"
    )
    made["truncated"] = render_pdfs.truncate_pdf(
        made["labelled"], out / "truncated.pdf", keep_fraction=0.5
    )
    return made
