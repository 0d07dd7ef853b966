"""Wall time of a review against the slowest single item, at concurrency 1, 4 and 22.

Target (issue 9.4): against a server that serves in parallel, the items take no more than
1.5 x the slowest item. The loopback server (tests/faulty_server.py) sleeps ``--sleep`` seconds
per request and serves every request at once. Then the same against a real
``python -m llama_cpp.server`` with the embedded SmolLM2 GGUF, on ``--llama-items`` items
(``--no-llama`` skips it). Also prints what retrieval costs for all 22 items, planned in one
batch (as reviews now do) and item by item (as before).

    python bench/bench_concurrency.py [--sleep 1.0] [--no-llama] [--llama-items 4]
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "examples" / "northbridge-digital-strategy.pdf"
sys.path.insert(0, str(ROOT / "tests"))


def review_once(url: str, model_name: str, concurrency: int, only: list[str] | None) -> dict:
    from pipeline.models.openai_compat import OpenAICompatModel
    from pipeline.review import ReviewOptions, review_document

    model = OpenAICompatModel(model_name, url)
    options = ReviewOptions(only=only, use_cache=False, concurrency=concurrency)
    started = time.perf_counter()
    review = review_document(SAMPLE, model, options)
    wall = time.perf_counter() - started
    slowest = max(i.stats.latency_s for i in review.items)
    return {
        "wall": wall,
        "items": review.timings["items"],
        "slowest": slowest,
        "failed": review.stats["items_failed"],
        "n": len(review.items),
    }


def line(label: str, c: int, r: dict, extra: str = "") -> None:
    print(
        f"{label:10} concurrency {c:2}: {r['n']} items in {r['items']:6.2f} s "
        f"(whole review {r['wall']:6.2f} s); slowest item {r['slowest']:5.2f} s; "
        f"ratio {r['items'] / r['slowest']:5.2f}{extra}; failed {r['failed']}"
    )


def loopback(seconds: float) -> None:
    from faulty_server import FaultyServer

    walls = {}
    for concurrency in (1, 4, 22):
        with FaultyServer(lambda n, _: f"sleep:{seconds}") as server:
            result = review_once(server.url, "m", concurrency, None)
            line("loopback", concurrency, result, f"; peak in flight {server.peak}")
            walls[concurrency] = result["items"]
    speed_up("loopback", walls)


def speed_up(label: str, walls: dict[int, float]) -> None:
    """A server that queues requests (llama_cpp.server) makes each item wait for the others,
    so its slowest item is nearly the whole run: the speed-up over concurrency 1 says more."""
    one = walls[1]
    shown = ", ".join(f"concurrency {c}: {one / w:.2f}x" for c, w in walls.items() if c != 1)
    print(f"{label:10} speed-up over concurrency 1: {shown}")


def retrieval_cost() -> None:
    from pipeline.ingest import ingest
    from pipeline.retrieval import (
        RetrievalPlan,
        RetrievalSettings,
        retrieve_evidence,
        retrieve_exemplars,
    )
    from pipeline.rubric import load_rubric
    from pipeline.store import Store

    store = Store()
    document, _ = ingest(SAMPLE, None, store)
    items, settings = load_rubric().items, RetrievalSettings()
    retrieve_evidence(document, items[0], store, settings)  # warm the embedder and client
    started = time.perf_counter()
    for item in items:
        retrieve_evidence(document, item, store, settings)
        retrieve_exemplars(item, store, settings)
    one_by_one = time.perf_counter() - started
    started = time.perf_counter()
    plan = RetrievalPlan(document, items, store, settings)
    planned = time.perf_counter() - started
    for item in items:
        plan.evidence(item)
        plan.exemplars(item)
    total = time.perf_counter() - started
    print(
        f"retrieval for {len(items)} items: item by item {one_by_one:.2f} s; "
        f"planned {total:.2f} s ({planned:.2f} s to embed every query in one batch and index)"
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def llama_server(log: Path) -> Iterator[str]:
    from pipeline.models.llamacpp import default_model_path

    port = _free_port()
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(default_model_path())]
    command += ["--host", "127.0.0.1", "--port", str(port), "--n_ctx", "4096"]
    command += ["--model_alias", "smollm2"]
    with log.open("w") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}/v1"
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    with urllib.request.urlopen(f"{url}/models", timeout=2):
                        break
                except OSError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(f"llama_cpp.server did not start; see {log}") from None
                    time.sleep(0.5)
            yield url
        finally:
            process.terminate()
            process.wait(timeout=30)


def llama(items: int, tmp: Path) -> None:
    from pipeline.rubric import load_rubric

    only = [i.id for i in load_rubric().items[:items]]
    walls = {}
    with llama_server(tmp / "llama-server.log") as url:
        for concurrency in sorted({1, 4, items}):
            result = review_once(url, "smollm2", concurrency, only)
            line("llama.cpp", concurrency, result)
            walls[concurrency] = result["items"]
    speed_up("llama.cpp", walls)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sleep", type=float, default=1.0, help="Loopback seconds per request.")
    parser.add_argument("--no-llama", action="store_true", help="Skip llama_cpp.server.")
    parser.add_argument("--llama-items", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        os.environ["STRATEGY_REVIEW_HOME"] = str(tmp / "home")
        from pipeline.corpus import ensure_built
        from pipeline.ingest import ingest
        from pipeline.store import Store

        store = Store()
        ensure_built(store)
        ingest(SAMPLE, None, store)  # the reviews below start from a warm home
        retrieval_cost()
        loopback(args.sleep)
        if not args.no_llama:
            llama(args.llama_items, tmp)
    print("ratio = item phase wall time / slowest item; target <= 1.5 at concurrency 22")


if __name__ == "__main__":
    main()
