"""How long the ``polychromify`` command takes from start to exit, for commands that need no model and for one
that does: the median wall-clock seconds of ``--repeat`` fresh processes each.

- ``--help``, ``data info`` (synthetic, smoke profile) and ``colorize`` of a file that is not an image must
  not load TensorFlow (the command imports it only for the first readable photo);
- ``colorize`` of one photo with the shipped model shows what TensorFlow's import and the model cost on top.

The load average is printed because other processes on the machine slow everything down.

Run: python benchmarks/startup.py [--repeat 5]
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]


def seconds(argv: list[str], env: dict, repeat: int) -> tuple[float, bool]:
    """Median wall-clock seconds of ``python -m polychromify.cli ARGV``, and whether TensorFlow was imported."""
    probe = ("import sys\nsys.argv = ['polychromify', *sys.argv[1:]]\nfrom polychromify import cli\n"
             "code = cli.entry()\nprint('TF' if 'tensorflow' in sys.modules else 'no TF', file=sys.__stdout__)\n"
             "sys.exit(code)")
    times, loaded = [], False
    for _ in range(repeat):
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", probe, *argv], capture_output=True, text=True, cwd=ROOT,
                              env=env)
        times.append(time.perf_counter() - start)
        loaded = done.stdout.strip().endswith("TF") and "no TF" not in done.stdout
    return statistics.median(times), loaded


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        env = {k: v for k, v in os.environ.items() if not k.startswith("POLYCHROMIFY_")}
        env |= {"POLYCHROMIFY_CACHE": str(tmp / "cache"), "POLYCHROMIFY_RESULTS": str(tmp / "results")}
        photo = tmp / "photo.png"
        Image.fromarray((np.random.default_rng(0).random((480, 640, 3)) * 255).astype(np.uint8)).save(photo)
        (tmp / "not-a-photo.png").write_text("text")
        commands = {
            "polychromify --help": ["--help"],
            "polychromify data info --profile smoke": ["data", "info", "--profile", "smoke"],
            "polychromify colorize not-a-photo.png": ["colorize", str(tmp / "not-a-photo.png"), "-q"],
            "polychromify colorize photo.png (640x480)": ["colorize", str(photo), "-q", "--force"],
        }
        print(f"load average {os.getloadavg()[0]:.2f}; {os.cpu_count()} CPUs; median of {args.repeat} runs")
        for label, argv in commands.items():
            median, loaded = seconds(argv, env, args.repeat)
            print(f"{label:45} {median:6.2f} s  {'TensorFlow loaded' if loaded else 'no TensorFlow'}")


if __name__ == "__main__":
    main()
