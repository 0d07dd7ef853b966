"""Client-server mode: a real `chroma run` server on 127.0.0.1, shared by two homes ("laptops")."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "examples" / "northbridge-digital-strategy.pdf"
CLI = "from pipeline.cli.app import main; main()"

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _chroma_command() -> list[str] | None:
    found = Path(sys.executable).with_name("chroma")
    if found.exists():
        return [str(found)]
    on_path = shutil.which("chroma")
    return [on_path] if on_path else None


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    command = _chroma_command()
    if command is None:
        pytest.skip("the `chroma` command (from chromadb) is not installed")
    data = tmp_path_factory.mktemp("chroma-server")
    port = _free_port()
    log = (data / "server.log").open("w")
    server = subprocess.Popen(
        [*command, "run", "--path", str(data / "db"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=2):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.skip(
                        f"chroma run did not start: {(data / 'server.log').read_text()[-300:]}"
                    )
                time.sleep(0.3)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def _cli(home: Path, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "STRATEGY_REVIEW_HOME": str(home),
        "STRATEGY_REVIEW_CHROMA_URL": url,
        "PYTHONPATH": str(ROOT),
        "ANONYMIZED_TELEMETRY": "False",
    }
    return subprocess.run(
        [sys.executable, "-c", CLI, *args], capture_output=True, text=True, env=env, timeout=600
    )


def test_two_homes_share_one_corpus_and_document_collection(
    chroma_url: str, tmp_path: Path
) -> None:
    first, second = tmp_path / "laptop-1", tmp_path / "laptop-2"

    built = _cli(first, chroma_url, "corpus", "build")
    assert built.returncode == 0, built.stderr
    status = json.loads(_cli(first, chroma_url, "corpus", "status", "--json").stdout)
    assert status["mode"] == "server"
    assert status["location"] == chroma_url
    assert status["up_to_date"] is True and status["count"] > 0
    assert not (first / "chroma").exists()  # nothing went to the local store

    reviewed = _cli(first, chroma_url, "review", str(SAMPLE), "--model", "rules", "--out",
                    str(tmp_path / "out-1"), "--quiet", "--format", "json")  # fmt: skip
    assert reviewed.returncode == 0, reviewed.stderr
    review = json.loads((tmp_path / "out-1" / "review.json").read_text())
    assert len(review["items"]) == 22
    assert review["corpus_version"] == status["corpus_version"]
    assert any(item["exemplars"] for item in review["items"])  # exemplars came from the server

    # a second laptop with an empty home finds the corpus and the document already on the server
    again = json.loads(_cli(second, chroma_url, "corpus", "status", "--json").stdout)
    assert again["collection"] == status["collection"]
    ingested = _cli(second, chroma_url, "ingest", str(SAMPLE), "--json")
    assert ingested.returncode == 0, ingested.stderr
    code = (
        "from pipeline.store import Store, document_collection;"
        f"p = Store().pointer(document_collection({review['document']['sha256']!r}));"
        "print(p.collection, p.built_at)"
    )
    env = {**os.environ, "STRATEGY_REVIEW_HOME": str(second),
           "STRATEGY_REVIEW_CHROMA_URL": chroma_url, "PYTHONPATH": str(ROOT)}  # fmt: skip
    pointer_after = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    ).stdout.split()
    reviewed2 = _cli(second, chroma_url, "review", str(SAMPLE), "--model", "rules", "--out",
                     str(tmp_path / "out-2"), "--quiet", "--format", "json")  # fmt: skip
    assert reviewed2.returncode == 0, reviewed2.stderr
    review2 = json.loads((tmp_path / "out-2" / "review.json").read_text())
    assert [i["rating"] for i in review2["items"]] == [i["rating"] for i in review["items"]]
    # the second laptop reused the first one's document collection instead of embedding again
    env_first = {**env, "STRATEGY_REVIEW_HOME": str(first)}
    pointer_first = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env_first, check=True
    ).stdout.split()
    assert pointer_after == pointer_first
    assert not (second / "chroma").exists()


def test_server_that_goes_away_is_one_line(tmp_path: Path) -> None:
    port = _free_port()
    done = _cli(tmp_path / "home", f"http://127.0.0.1:{port}", "corpus", "status")
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Chroma server" in lines[0], done.stderr
    assert "Traceback" not in done.stderr
