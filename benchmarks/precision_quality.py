"""Does mixed_bfloat16 keep the quality of float32? Train the final model both ways and compare.

The same experiment, profile, data and seed are run through the results store with each precision
(so the runs are recorded, and a rerun only prints), then the validation/test metrics are printed side
by side with the training time.

Run: python benchmarks/precision_quality.py [--profile smoke] [--image-size 32] [--epochs 3]
     [--max-images 200] [--data DIR] [--results DIR]
"""
import argparse

from polychromify.experiments import run_experiment

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--experiment", default="polychromify")
parser.add_argument("--profile", default="smoke")
parser.add_argument("--image-size", type=int, default=32)
parser.add_argument("--epochs", type=int, default=3)
parser.add_argument("--max-images", type=int, default=200)
parser.add_argument("--data", default=None)
parser.add_argument("--results", default=None)
args = parser.parse_args()

rows = {}
for precision in ("float32", "mixed_bfloat16"):
    run = run_experiment(args.experiment, args.profile, data_dir=args.data, results_dir=args.results, verbose=0,
                         image_size=args.image_size, epochs=args.epochs, max_images=args.max_images,
                         precision=precision)
    rows[precision] = (run.metrics["model"], run.provenance["timings"]["train_seconds_total"], run.path)

keys = ["accuracy", "psnr", "ssim", "ab_rmse", "ciede2000"]
print(f"{args.experiment}, profile {args.profile}, {args.image_size} px, {args.epochs} epochs, "
      f"{args.max_images} photos; data: {run.config['data']['source']}")
print(f"{'precision':16}{'split':6}" + "".join(f"{k:>11}" for k in keys) + f"{'train s':>10}")
for precision, (metrics, seconds, path) in rows.items():
    for split in ("val", "test"):
        print(f"{precision:16}{split:6}" + "".join(f"{metrics[split][k]:11.4f}" for k in keys) + f"{seconds:10.1f}")
