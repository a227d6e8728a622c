"""Commit the results store's new checkpoints and finished runs while a campaign trains in the background.

    python scripts/commit_runs.py [--every 3600] [--max-mb 20] [--poll 60] [--results results]

A finished run (its ``provenance.json`` written) is committed at once, with its final weights only (its
checkpoint folder is gone by then, and its removal is committed). An unfinished run's newest checkpoint, for
runs of the ``--checkpoints`` profiles only (default: paper; shorter runs finish within a sitting), at most
once an hour (``--every``, never less than 3600 s) and only while the checkpoint is under ``--max-mb`` (20 MB;
a bigger one waits in the user cache), so that a session that ends abruptly loses at most an hour of training
and the repository does not grow by a checkpoint per epoch (its history once grew to 695 MB that way). New thumbnails of the book's test
photos (``<store>/thumbnails``, which finished runs' samples refer to) are committed too. Only paths under the store are
committed (``git commit -- PATH``), never other work in the tree. Stops when the campaign process named by
``--pid`` has ended and everything is committed.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import time
from pathlib import Path


def git(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], capture_output=True, text=True)


def changed_runs(results: Path) -> set[Path]:
    """Run folders (``<results>/<experiment>/<run>``) with uncommitted or untracked files."""
    status = git("status", "--porcelain", "--untracked-files=all", "--", str(results)).stdout.splitlines()
    runs = set()
    for line in status:
        parts = Path(line[3:].strip().strip('"')).parts
        depth = len(results.parts)
        if len(parts) >= depth + 2:
            runs.add(Path(*parts[:depth + 2]))
    return runs


def checkpoint_epoch(run: Path) -> int | None:
    done = sorted((run / "checkpoint").glob("epoch-[0-9][0-9][0-9][0-9]"))
    if not done:
        return None
    return json.loads((done[-1] / "history.json").read_text())["epoch"]


def megabytes(folder: Path) -> float:
    """The size of the files under ``folder``, in MB."""
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) / 1e6


def commit(run: Path, message: str) -> bool:
    for _ in range(5):  # another git command may hold the index lock for a moment
        add = git("add", "-A", "--", str(run))
        if add.returncode == 0:
            done = git("commit", "-q", "-m", message, "--", str(run))
            if done.returncode == 0 or "nothing" in done.stdout + done.stderr:
                return done.returncode == 0
        time.sleep(5)
    print(f"commit_runs: could not commit {run}: {add.stderr or done.stderr}", flush=True)
    return False


def alive(pid: int | None) -> bool:
    if pid is None:
        return True
    try:
        os.kill(pid, 0)
        return True
    except OSError:
        return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--results", type=Path, default=Path("results"))
    parser.add_argument("--every", type=float, default=3600,
                        help="seconds between checkpoint commits of a run (at least 3600)")
    parser.add_argument("--max-mb", type=float, default=20, help="commit no checkpoint bigger than this")
    parser.add_argument("--poll", type=float, default=60)
    parser.add_argument("--pid", type=int, help="stop when this process (the campaign) has ended")
    parser.add_argument("--checkpoints", nargs="*", default=["paper"], metavar="PROFILE",
                        help="profiles whose unfinished runs' checkpoints are committed (default: paper)")
    args = parser.parse_args()
    if args.every < 3600 or args.max_mb > 20:
        parser.error("an unfinished run's checkpoint is committed at most once an hour (--every >= 3600) and "
                     "only under 20 MB (--max-mb <= 20)")
    last: dict[Path, float] = {}
    while True:
        running = alive(args.pid)
        for run in sorted(changed_runs(args.results)):
            if (run / "provenance.json").is_file():
                if commit(run, f"Paper campaign: {run.parent.name}/{run.name} finished"):
                    print(f"commit_runs: committed finished {run}", flush=True)
            elif (run.name.split("-")[0] in args.checkpoints and (epoch := checkpoint_epoch(run)) is not None
                  and time.time() - last.get(run, 0) >= args.every
                  and megabytes(run / "checkpoint") < args.max_mb):
                if commit(run, f"Paper campaign: {run.parent.name}/{run.name} checkpoint after epoch {epoch}"):
                    last[run] = time.time()
                    print(f"commit_runs: committed {run} at epoch {epoch}", flush=True)
        thumbnails = args.results / "thumbnails"  # the book's photos, written beside the runs that colorize them
        if git("status", "--porcelain", "--untracked-files=all", "--", str(thumbnails)).stdout.strip():
            if commit(thumbnails, "Paper campaign: the book's test-photo thumbnails"):
                print(f"commit_runs: committed {thumbnails}", flush=True)
        if not running:
            break
        time.sleep(args.poll)


if __name__ == "__main__":
    main()
