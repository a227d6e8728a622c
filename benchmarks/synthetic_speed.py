"""Synthetic landscapes: pictures per second of the procedural generator.

Run: python benchmarks/synthetic_speed.py [--n 300] [--size 128]
"""
import argparse
import time

from polychromify.training.synthetic import synthetic_landscapes

parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("--n", type=int, default=300)
parser.add_argument("--size", type=int, default=128)
args = parser.parse_args()
synthetic_landscapes(2, args.size)  # warm up
start = time.perf_counter()
synthetic_landscapes(args.n, args.size)
seconds = time.perf_counter() - start
print(f"{args.n} pictures at {args.size} px: {seconds:.2f} s ({args.n / seconds:.0f} pictures/s)")
