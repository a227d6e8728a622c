"""Colorize: seconds end to end for a 1-megapixel and a 12-megapixel photo, with a breakdown by stage.

End to end is what ``polychromify colorize IN -o OUT`` does per file once the model is loaded: read and
decode the JPEG, resize and predict, merge the upsampled ab with the full-resolution L, encode and write.
The photos are synthetic landscapes upscaled to 1152x864 and 4000x3000 with a little sensor-like noise,
saved as JPEG (quality 92). Each number is the median of ``--repeat`` runs; the load average is printed
because other processes on the machine slow every stage down.

Run: python benchmarks/colorize_speed.py [--repeat 3] [--model pretrained]
"""
import argparse
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402
from timing import median_seconds  # noqa: E402  (beside this script)

from polychromify.product.color import lab_to_rgb8, lightness  # noqa: E402
from polychromify.product.colorize import (  # noqa: E402
    colorize_files,
    merge,
    predict_small_ab,
    upsample_ab,
    write_image,
)
from polychromify.product.images import load_rgb  # noqa: E402
from polychromify.training.resolve import trained_model  # noqa: E402
from polychromify.training.synthetic import synthetic_landscape  # noqa: E402

SIZES = {"1 MP": ((1152, 864), 0.5), "12 MP": ((4000, 3000), 3.0)}  # (width, height), target seconds


def photo(width: int, height: int, seed: int = 5) -> np.ndarray:
    """A synthetic landscape at (height, width) with mild noise, like a camera photo."""
    base = Image.fromarray(synthetic_landscape(seed, 1024)).resize((width, height), Image.Resampling.BICUBIC)
    noise = np.random.default_rng(seed).normal(0, 3, (height, width, 3))
    return np.clip(np.asarray(base, np.float32) + noise, 0, 255).astype(np.uint8)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--model", default="pretrained", help="pretrained, or an experiment of the results store")
    args = parser.parse_args()

    start = time.perf_counter()
    model = trained_model(args.model)
    predict_small_ab(np.zeros((8, 8, 3), np.uint8), model)  # the first prediction builds the graph
    print(f"model {model.source}: loaded and warmed up in {time.perf_counter() - start:.1f} s (once per process)")
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} (other processes slow every stage)")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for label, ((width, height), target) in SIZES.items():
            source = tmp / f"photo-{label.replace(' ', '')}.jpg"
            Image.fromarray(photo(width, height)).save(source, quality=92)
            for fmt, kind in (("jpg", "JPEG"), ("png", "PNG")):
                out = tmp / f"out.{fmt}"

                def end_to_end():
                    out.unlink(missing_ok=True)
                    (_, _, error), = colorize_files([source], output=out, model=model, progress=False)
                    assert error is None, error

                seconds = median_seconds(end_to_end, args.repeat, warm_up=False)
                verdict = ("meets" if seconds < target else "MISSES") + f" the target of {target:g} s"
                extra = "" if kind == "JPEG" else " (PNG output is slower: zlib, one thread)"
                print(f"{label} ({width}x{height}) JPEG in, {kind} out: {seconds:.2f} s end to end, "
                      f"{verdict}{extra}")

            rgb = load_rgb(source)
            ab = predict_small_ab(rgb, model)
            L = lightness(rgb)
            ab_full = upsample_ab(ab, height, width)
            result = merge(rgb, ab)
            stages = [
                ("decode JPEG (read, EXIF, to RGB)", lambda: load_rgb(source)),
                ("resize + predict at the model's size", lambda: predict_small_ab(rgb, model)),
                ("merge: L + upsample + Lab->RGB, fused in blocks", lambda: merge(rgb, ab)),
                ("  of which: L at full resolution (alone)", lambda: lightness(rgb)),
                ("  of which: upsample ab (alone)", lambda: upsample_ab(ab, height, width)),
                ("  of which: Lab -> RGB (alone, unblocked)", lambda: lab_to_rgb8(L, ab_full)),
                ("encode + write JPEG", lambda: write_image(result, tmp / "stage.jpg", force=True)),
                ("encode + write PNG", lambda: write_image(result, tmp / "stage.png", force=True)),
            ]
            for name, fn in stages:
                print(f"    {name:50} {median_seconds(fn, args.repeat, warm_up=False):6.3f} s")


if __name__ == "__main__":
    main()
