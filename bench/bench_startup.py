"""Wall time of short strategy-review commands, each in a fresh process: what a person (or a
script calling `decide` once per item) waits before the command does anything.

    python bench/bench_startup.py [--repo PATH] [--python PYTHON] [--review DIR] [--runs 5]

--repo is the checkout whose `pipeline` is timed (default: this one) and --python the interpreter
(default: this one), so one copy of this script compares two branches:

    python bench/bench_startup.py --repo /path/to/main
    python bench/bench_startup.py --repo /path/to/branch

Without --review, the script first makes a rules review of the sample with --repo's code (in a
throwaway home; it builds the exemplar corpus, so it takes a while) and times `decide --list` on
it. Give --review DIR (a folder holding review.json) to time the same review on both branches.
Prints the median, min and max of --runs runs, and the load average, which the figures depend on.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = Path("examples") / "northbridge-digital-strategy.pdf"
# What the strategy-review console script runs, minus the script wrapper.
CLI = "import sys; from pipeline.cli.app import main; sys.argv[0] = 'strategy-review'; main()"


def run(python: str, repo: Path, env: dict[str, str], args: list[str]) -> float:
    """Seconds one fresh `strategy-review ARGS` took; exits if the command failed."""
    started = time.perf_counter()
    done = subprocess.run(
        [python, "-c", CLI, *args], cwd=repo, env=env, capture_output=True, text=True
    )
    wall = time.perf_counter() - started
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["(no output)"]
        sys.exit(f"strategy-review {' '.join(args)} failed ({done.returncode}): {tail[0]}")
    return wall


def make_review(python: str, repo: Path, env: dict[str, str], out: Path) -> Path:
    print(f"making a rules review of {SAMPLE} with {repo} (once, not timed) ...", flush=True)
    args = ["review", str(SAMPLE), "--out", str(out), "--model", "rules", "--quiet"]
    run(python, repo, env, [*args, "--format", "json"])
    return out


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repo", type=Path, default=ROOT, help="checkout to time")
    parser.add_argument("--python", default=sys.executable, help="interpreter to run it with")
    parser.add_argument("--review", type=Path, default=None, help="folder holding review.json")
    parser.add_argument("--runs", type=int, default=5, help="fresh processes per command")
    args = parser.parse_args()
    repo = args.repo.resolve()
    if not (repo / "pipeline" / "cli" / "app.py").is_file():
        sys.exit(f"error: {repo} is not a strategy-review checkout (no pipeline/cli/app.py)")
    if args.review is not None and not (args.review / "review.json").is_file():
        sys.exit(f"error: {args.review} holds no review.json")
    with tempfile.TemporaryDirectory() as tmp:
        env = os.environ | {
            "PYTHONPATH": str(repo),
            "STRATEGY_REVIEW_HOME": str(Path(tmp) / "home"),
            "ANONYMIZED_TELEMETRY": "False",
        }
        review = args.review or make_review(args.python, repo, env, Path(tmp) / "review")
        commands = {
            "--help": ["--help"],
            "decide --list": ["decide", str(review.resolve()), "--list"],
            "models --json": ["models", "--json"],
        }
        print(f"repo {repo}; python {args.python}; {args.runs} fresh processes each")
        print(f"load average before: {load()}")
        for label, command in commands.items():
            run(args.python, repo, env, command)  # warm the disk cache, not timed
            walls = [run(args.python, repo, env, command) for _ in range(args.runs)]
            print(
                f"{label:<15} median {statistics.median(walls):6.2f} s "
                f"(min {min(walls):.2f}, max {max(walls):.2f})"
            )
        print(f"load average after:  {load()}")


if __name__ == "__main__":
    main()
