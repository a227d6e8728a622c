"""Does mixed_bfloat16 keep the quality of float32? Train the final model both ways and compare.

The runs of ``experiments.precision_study`` (float32; float32 with the next seed, to show how far a seed
alone moves the scores; mixed_bfloat16 with the same seed) go through the results store (so they are
recorded, and a rerun only prints), then the test metrics are printed side by side with the changes,
the book's verdict and each run's training time.

Run: python benchmarks/precision_quality.py [--profile smoke] [--image-size 32] [--epochs 3]
     [--max-images 200] [--data DIR] [--results DIR]
"""
import argparse

from polychromify.book import prose, tables
from polychromify.training import settings as configured
from polychromify.training.experiments import precision_study
from polychromify.training.profiles import get_profile
from polychromify.training.runner import run_experiment

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--experiment", default="polychromify")
parser.add_argument("--profile", default="smoke")
parser.add_argument("--image-size", type=int, default=32)
parser.add_argument("--epochs", type=int, default=3)
parser.add_argument("--max-images", type=int, default=200)
parser.add_argument("--data", default=None, help="photo folder (default: $POLYCHROMIFY_DATA, else synthetic)")
parser.add_argument("--results", default=None)
args = parser.parse_args()
folders = configured.Settings.resolve(args.data, args.results)  # the environment, read once here

settings = dict(image_size=args.image_size, epochs=args.epochs, max_images=args.max_images)
runs = {label: run_experiment(args.experiment, args.profile, data_dir=folders.data_dir, results_dir=folders.results_dir,
                              verbose=0, **settings, **changes)
        for label, changes in precision_study(get_profile(args.profile, **settings)).items()}

run = next(iter(runs.values()))
print(f"{args.experiment}, profile {args.profile}, {args.image_size} px, {args.epochs} epochs, "
      f"{args.max_images} photos; data: {run.config['data']['source']}")
print(tables.variants(runs).round(4).to_string())
print(prose.precision_note(runs).replace("**", ""))
for label, run in runs.items():
    print(f"{label}: trained in {run.provenance['timings']['train_seconds_total']:.1f} s ({run.path})")
