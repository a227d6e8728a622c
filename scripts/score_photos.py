"""Score every finished run with weights on each photo of its test split and of other folders (per-photo
evidence, ``photo_scores``); needs the photos the runs trained on. Usage:
    python scripts/score_photos.py LANDSCAPES FOLDER [--profiles paper ablation] [--redo]
"""
import argparse
import sys
import time

from polychromify.studies import scoring


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", help="the landscapes the runs trained on")
    parser.add_argument("folders", nargs="+", help="other photo folders to score every run on (scenes-dev)")
    parser.add_argument("--profiles", nargs="+", default=["paper", "ablation"])
    parser.add_argument("--redo", action="store_true")
    parser.add_argument("--reverse", action="store_true", help="the runs in reverse order (a second process)")
    args = parser.parse_args(argv)
    t = time.time()
    done = scoring.score_runs_photos(args.data, args.folders, args.profiles, redo=args.redo, reverse=args.reverse,
                                     log=lambda line: print(line, flush=True))
    print(f"{len(done)} runs scored in {time.time() - t:.0f} s", flush=True)


if __name__ == "__main__":
    sys.exit(main())
