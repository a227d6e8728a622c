"""Copy the photos a profile trains on into .gpu-data/ (git-ignored), for a device machine to carry.

    python scripts/gpu_data.py --profile ablation [--seed 42 43] [--data ../shared/datasets/landscapes]
    python scripts/gpu_data.py --profile paper --seed 42 43 44 --stash    # then, after the device call:
    python scripts/gpu_data.py --restore

A device machine gets the repository and the paths named in ``carry``, 64 MiB in all, and nothing else: not
the photos (55 MB for the 4,319 of ../shared/datasets/landscapes) nor a prepared cache (``data.prepare``
writes L, ab and RGB arrays under ``$POLYCHROMIFY_CACHE/prepared/``: 940 MB at 128 px, and its key holds the
photos' absolute path, sizes and modification times, so it is found only beside the very same files).
So the photos travel, only those a profile uses: its ``max_images`` cleaned photos, picked by a seeded
hash of their content (``data.choose_subset``). Cleaned again on the device, the copied photos give the same
arrays, split, data hash and therefore the same run fingerprints as the whole folder does here: a run the
device finishes is the run this machine would have trained. The folder's ``.sha256`` manifest lines for the
copied photos go beside the copy, so their checksums are verified there too.

The paper profile (all 4,007 usable photos, 42 MiB) fits only beside a lighter tree: the finished runs'
weights (about 60 MB of the 64 MiB tree; the device needs only their config and provenance, to know what is
finished) stay here during the call. ``--stash`` moves them into ``.gpu-stash/`` (git-ignored) and
``--restore`` puts them back; stop ``scripts/commit_runs.py`` first (it would commit their removal) and restore
before committing anything (done so on 2026-12-04: 57 MiB carried). Does not fit at all: the runs of the
author's data protocol (``polychromify_author_data``: every file of the folder, duplicates included, 55 MB),
whose data would differ.
Nor do the runs of other seeds (each seed picks its own photos): ``<copy>.selection.json`` names the
profile and seeds the copy serves, and scripts/gpu_campaign.sh refuses to train any other run on it.
The script prints the size of what would travel (the tracked and untracked files, .gpu-wheels/ and the
copy) and exits 1 when it is over the limit.
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from polychromify.training.cleaning import read_manifest  # noqa: E402
from polychromify.training.data import choose_subset, load_dataset, prepare  # noqa: E402
from polychromify.training.profiles import PROFILES, get_profile  # noqa: E402

LIMIT = 64 * 2**20  # what a device call carries: the working tree and the carried paths
SELECTION_SUFFIX = ".selection.json"  # beside the copy: the profile and seeds it was chosen for


def chosen_photos(data: Path, profile: str, seeds: list[int]) -> list[str]:
    """The relative names of the photos the profile trains on with each seed (their union), sorted."""
    names = set()
    for seed in seeds:
        p = get_profile(profile, seed=seed)
        folder = prepare(data, p.image_size, p.cleaning, progress=sys.stderr.isatty())
        index = json.loads((folder / "index.json").read_text())
        names |= {index["names"][i] for i in choose_subset(index["hashes"], p.max_images, seed)}
    return sorted(names)


def copy_photos(data: Path, names: list[str], dest: Path) -> Path:
    """Copy the photos (with their modification times) and their manifest lines to ``dest/<folder name>``."""
    target = dest / data.name
    shutil.rmtree(target, ignore_errors=True)
    for name in names:
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(data / name, target / name)
    manifest = read_manifest(data)
    lines = [f"{manifest[n]}  {n}" for n in names if n in manifest]
    target.with_name(target.name + ".sha256").write_text("".join(line + "\n" for line in lines))
    return target


def write_selection(target: Path, profile: str, seeds: list[int]) -> Path:
    """Say beside the copy which profile and seeds it serves (scripts/gpu_campaign.sh trains no other)."""
    path = target.with_name(target.name + SELECTION_SUFFIX)
    path.write_text(json.dumps({"profile": profile, "seeds": sorted(seeds)}) + "\n")
    return path


STASH = ".gpu-stash"  # under the root: the finished runs' weights while a device call carries the paper's photos


def finished_weights(root: Path = ROOT) -> list[Path]:
    """The weights of the store's finished runs (not the checkpoints of unfinished ones: the device resumes them)."""
    return sorted(w for w in (root / "results").glob("*/*/model.weights.h5")
                  if (w.parent / "provenance.json").is_file())


def stash_weights(root: Path = ROOT) -> int:
    """Move the finished runs' weights out of the tree into ``<root>/.gpu-stash`` (same relative paths); how many."""
    moved = finished_weights(root)
    for weights in moved:
        target = root / STASH / weights.relative_to(root)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(weights, target)
    return len(moved)


def restore_weights(root: Path = ROOT) -> int:
    """Put the stashed weights back where they were (never over a file that is there again); how many."""
    stash = root / STASH
    back = sorted(stash.rglob("model.weights.h5")) if stash.is_dir() else []
    for stashed in back:
        if (root / stashed.relative_to(stash)).exists():
            sys.exit(f"gpu_data: {root / stashed.relative_to(stash)} exists again; compare it with {stashed} and "
                     "keep one by hand")
    for stashed in back:
        shutil.move(stashed, root / stashed.relative_to(stash))
    shutil.rmtree(stash, ignore_errors=True)
    return len(back)


def travel_size(*carried: Path) -> int:
    """Bytes a device call sends: tracked and untracked-not-ignored files, and the carried folders."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            capture_output=True, text=True, check=True).stdout.split("\0")
    files = [ROOT / p for p in listed if p] + [f for c in carried if c.exists() for f in c.rglob("*")]
    return sum(f.stat().st_size for f in files if f.is_file() and not f.is_symlink())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", default="ablation", choices=list(PROFILES))
    parser.add_argument("--seed", type=int, nargs="+", help="the seeds of the runs to do (default: the profile's)")
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "datasets" / "landscapes")
    parser.add_argument("--dest", type=Path, default=ROOT / ".gpu-data")
    parser.add_argument("--check", action="store_true",
                        help="also clean the copy and check that it gives the whole folder's data hash")
    parser.add_argument("--stash", action="store_true",
                        help=f"also move the finished runs' weights out of the tree, into {STASH}/")
    parser.add_argument("--restore", action="store_true", help="put the stashed weights back, and do nothing else")
    args = parser.parse_args(argv)
    if args.restore:
        print(f"restored {restore_weights()} finished runs' weights from {STASH}/")
        return 0
    if args.stash:
        if subprocess.run(["pgrep", "-f", "scripts/commit_runs.py"], capture_output=True).returncode == 0:
            sys.exit("gpu_data: scripts/commit_runs.py is running: it would commit the stashed weights' removal; "
                     "stop it first")
        print(f"stashed {stash_weights()} finished runs' weights in {STASH}/ (put them back: --restore)")
    seeds = args.seed or [get_profile(args.profile).seed]
    names = chosen_photos(args.data, args.profile, seeds)
    target = copy_photos(args.data, names, args.dest)
    write_selection(target, args.profile, seeds)
    size = sum((target / n).stat().st_size for n in names)
    total = travel_size(ROOT / ".gpu-wheels", args.dest)
    print(f"{len(names)} photos ({size / 2**20:.1f} MiB) of {args.data} for profile {args.profile}, seeds "
          f"{seeds} -> {target}")
    print(f"a device call would carry {total / 2**20:.1f} MiB of at most {LIMIT / 2**20:.0f} MiB "
          f"(carry: .gpu-wheels .gpu-data)" + ("" if total <= LIMIT or args.stash else
                                               "; --stash leaves the finished runs' weights here"))
    if args.check:
        for seed in seeds:
            whole, copy = (load_dataset(d, get_profile(args.profile, seed=seed), cache_dir=c, quiet=True)
                           for d, c in ((args.data, None), (target, args.dest / "cache")))
            shutil.rmtree(args.dest / "cache", ignore_errors=True)
            same = whole.data_hash == copy.data_hash and whole.report.split_sizes == copy.report.split_sizes
            print(f"seed {seed}: data hash {'the same' if same else 'DIFFERS'} ({copy.data_hash[:12]})")
            if not same:
                return 1
    return 0 if total <= LIMIT else 1


if __name__ == "__main__":
    sys.exit(main())
