"""Start N `strategy-review review` processes together on one EMPTY home and count what survives.

Three documents, two of them the same file under different names, reviewed round-robin by the
processes (rules backend, so the figures measure the home and the store, not a model).

    python scripts/concurrent_home.py [--procs 6] [--runs 3] [--pythonpath DIR] [--json]

Prints, per run: how many processes succeeded, the first line of each failure, whether every
review.json of the same content is identical (timestamps and paths aside), and whether the cache
and `corpus list` are consistent afterwards. --pythonpath picks the code under test (default: this
checkout), so the same script measures an older checkout for a before/after figure.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "examples" / "northbridge-digital-strategy.pdf"
SAMPLE_MD = ROOT / "examples" / "northbridge-digital-strategy.md"
CLI = "from pipeline.cli.app import main; main()"
VOLATILE_TOP = ("created_at", "timings")
VOLATILE_ITEM_STATS = ("latency_s", "cached")


def documents(folder: Path) -> list[Path]:
    """Three inputs, two with the same bytes under different names."""
    folder.mkdir(parents=True, exist_ok=True)
    first = shutil.copyfile(SAMPLE, folder / "strategy-a.pdf")
    twin = shutil.copyfile(SAMPLE, folder / "strategy-a-copy.pdf")
    other = shutil.copyfile(SAMPLE_MD, folder / "strategy-b.md")
    return [Path(first), Path(twin), Path(other)]


def comparable(review: dict[str, Any]) -> dict[str, Any]:
    """review.json without what legitimately differs between runs: times, paths, cache hits."""
    out = {k: v for k, v in review.items() if k not in VOLATILE_TOP}
    out["document"] = {k: v for k, v in review["document"].items() if k != "path"}
    out["stats"] = {k: v for k, v in review.get("stats", {}).items() if k != "items_cached"}
    items = []
    for item in review.get("items", []):
        stats = {k: v for k, v in item.get("stats", {}).items() if k not in VOLATILE_ITEM_STATS}
        items.append({**item, "stats": stats})
    out["items"] = items
    return out


def launch(
    procs: int, home: Path, docs: list[Path], out_root: Path, pythonpath: Path
) -> list[dict[str, Any]]:
    env = {
        **os.environ,
        "STRATEGY_REVIEW_HOME": str(home),
        "PYTHONPATH": str(pythonpath),
        "ANONYMIZED_TELEMETRY": "False",
    }
    env.pop("STRATEGY_REVIEW_CHROMA_URL", None)
    running = []
    for i in range(procs):
        doc = docs[i % len(docs)]
        out = out_root / f"out-{i}"
        cmd = [sys.executable, "-c", CLI, "review", str(doc), "--out", str(out)]
        cmd += ["--model", "rules", "--quiet", "--format", "json"]
        running.append(
            (
                i,
                doc,
                out,
                subprocess.Popen(
                    cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
                ),
            )
        )
    results = []
    for i, doc, out, proc in running:
        stdout, stderr = proc.communicate(timeout=1800)
        results.append(
            {
                "proc": i,
                "document": doc.name,
                "rc": proc.returncode,
                "out": out,
                "error": (stderr.strip().splitlines() or [""])[-1] if proc.returncode else "",
            }
        )
    return results


def identical_reports(results: list[dict[str, Any]]) -> tuple[int, int]:
    """(groups of same-content reports that are identical, groups in all)."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for r in results:
        path = Path(r["out"]) / "review.json"
        if r["rc"] == 0 and path.exists():
            review = json.loads(path.read_text(encoding="utf-8"))
            groups.setdefault(review["document"]["sha256"], []).append(comparable(review))
    same = sum(all(g == group[0] for g in group) for group in groups.values())
    return same, len(groups)


def cache_consistent(home: Path) -> tuple[int, int]:
    """(cache files that are whole, cache files): JSON that parses, and ONNX graphs (the int8
    embedding graph under models/) that onnx loads."""
    files = [p for p in (home / "cache").rglob("*") if p.is_file()]
    return sum(_whole(path) for path in files), len(files)


def _whole(path: Path) -> bool:
    try:
        if path.suffix == ".onnx":
            import onnx

            onnx.load(str(path))
        else:
            json.loads(path.read_text(encoding="utf-8"))
        return True
    except Exception:  # a half-written or corrupt file, whatever the parser raises
        return False


def model_files(home: Path) -> int:
    """Converted embedding graphs: six processes starting together must build one, not six."""
    return sum(1 for p in (home / "cache" / "models").glob("*") if p.is_file())


def item_cache_files(home: Path) -> int:
    """Cached item results (the cache also keeps the rubric's query vectors, under queries/)."""
    return sum(1 for p in (home / "cache" / "items").rglob("*") if p.is_file())


def corpus_list_ok(home: Path, pythonpath: Path) -> bool:
    env = {**os.environ, "STRATEGY_REVIEW_HOME": str(home), "PYTHONPATH": str(pythonpath)}
    env.pop("STRATEGY_REVIEW_CHROMA_URL", None)
    cmd = [sys.executable, "-c", CLI, "corpus", "list", "--json"]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    return done.returncode == 0 and bool(json.loads(done.stdout or "[]"))


def corpus_status(home: Path, pythonpath: Path) -> dict[str, Any] | None:
    """`corpus status --json` afterwards (None where the code under test has no such command)."""
    env = {**os.environ, "STRATEGY_REVIEW_HOME": str(home), "PYTHONPATH": str(pythonpath)}
    env.pop("STRATEGY_REVIEW_CHROMA_URL", None)
    cmd = [sys.executable, "-c", CLI, "corpus", "status", "--json"]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    return json.loads(done.stdout) if done.returncode == 0 else None


def run_in(root: Path, procs: int, pythonpath: Path) -> dict[str, Any]:
    """One run in ``root``: an empty home, three documents, ``procs`` processes at once."""
    home = root / "home"  # does not exist yet: an empty home
    docs = documents(root / "docs")
    started = time.perf_counter()
    results = launch(procs, home, docs, root, pythonpath)
    wall = time.perf_counter() - started
    same, groups = identical_reports(results)
    good_cache, cache_files = cache_consistent(home)
    return {
        "succeeded": sum(r["rc"] == 0 for r in results),
        "processes": procs,
        "wall_s": round(wall, 1),
        "identical_groups": same,
        "groups": groups,
        "cache_files_ok": good_cache,
        "cache_files": cache_files,
        "item_cache_files": item_cache_files(home),
        "model_files": model_files(home),
        "corpus_list_ok": corpus_list_ok(home, pythonpath),
        "corpus_status": corpus_status(home, pythonpath),
        "errors": sorted({r["error"] for r in results if r["rc"]}),
    }


def run_once(procs: int, pythonpath: Path) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="concurrent-home-") as tmp:
        return run_in(Path(tmp), procs, pythonpath)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--procs", type=int, default=6)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pythonpath", type=Path, default=ROOT)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    runs = [run_once(args.procs, args.pythonpath.resolve()) for _ in range(args.runs)]
    if args.json:
        print(json.dumps(runs, indent=2))
        return 0
    print(f"code under test: {args.pythonpath.resolve()}")
    for n, run in enumerate(runs, 1):
        print(
            f"run {n}: {run['succeeded']}/{run['processes']} succeeded in {run['wall_s']} s; "
            f"identical reports {run['identical_groups']}/{run['groups']} groups; "
            f"cache {run['cache_files_ok']}/{run['cache_files']} files valid; "
            f"corpus list {'ok' if run['corpus_list_ok'] else 'FAILED'}"
        )
        for error in run["errors"]:
            print(f"  error: {error[:200]}")
    total = sum(r["succeeded"] for r in runs)
    print(f"total: {total}/{sum(r['processes'] for r in runs)} processes succeeded")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
