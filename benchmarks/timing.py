"""The benchmarks' one timing helper (each script imports it from beside itself)."""
import statistics
import time


def median_seconds(run, repeat: int, warm_up: bool = True) -> float:
    """The median seconds of ``repeat`` calls of ``run()``; with ``warm_up``, after one call that is not timed
    (graphs built, caches filled)."""
    if warm_up:
        run()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)
