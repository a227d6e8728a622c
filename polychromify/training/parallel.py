"""Data-parallel training over every accelerator present, through Keras' own distribution API.

On the JAX backend, ``data_parallel()`` sets ``keras.distribution.DataParallel`` over the devices that
``keras.distribution.list_devices()`` gives (the GPUs or TPUs when there are any, else the CPU devices)
for the models built and trained inside it: every variable is replicated on each device, each batch is
split along its first axis between them, and XLA averages the gradients. The same command thus trains on
one GPU (no distribution is needed there), on a host with several and, after ``initialize_hosts()``, on
several hosts::

    with data_parallel(batch_size=32) as used:
        print(used)                       # "jax backend: data-parallel over 8 devices (gpu, NVIDIA H200)"
        run_experiment("polychromify", "paper")

The distribution must be set before the model is built (a variable is laid out when it is created), so
the context wraps building and fitting together. A batch is split only when the number of devices divides
it: ``batch_size`` picks the most devices that divide every batch size the caller will use.

Two things Keras leaves to its caller are handled while the context is active:

- a batch the devices do not divide (the last, shorter batch of an epoch or of ``predict``: 2,586 training
  photos in batches of 32 leave 26) would stop Keras with an ``IndivisibleError``; it is computed
  replicated on every device instead, which gives the same numbers as one device;
- ``keras.backend.clear_session()`` (which the campaign calls between runs) forgets the distribution
  with the rest of Keras' global state; inside the context it is set again after each call.

Several hosts: every process runs the same command, with ``$KERAS_DISTRIBUTION_JOB_ADDRESSES``,
``..._NUM_PROCESSES`` and ``..._PROCESS_ID`` set, and ``initialize_hosts()`` first. Each process feeds the whole
batch (``training.fit`` gives every process the same batches in the same order) and each device takes its
rows of it (``_place_batch``). Training so was checked with two processes on one CPU (the losses of one
device); Keras 3.15's ``predict`` cannot gather outputs that span hosts, so a run's final evaluation fails
there: the same command run again on one host finds the last epoch's checkpoint and only evaluates.

On the TensorFlow backend ``keras.distribution`` is not supported: ``data_parallel`` changes nothing and
says so.
"""
from __future__ import annotations

import contextlib
import math
import os

import lazy_loader

keras = lazy_loader.load("keras")  # loaded at first use: importing the package starts no TensorFlow

JOB_ADDRESSES_ENV = "KERAS_DISTRIBUTION_JOB_ADDRESSES"  # read by keras.distribution.initialize
NUM_PROCESSES_ENV = "KERAS_DISTRIBUTION_NUM_PROCESSES"


def describe_devices() -> dict:
    """What computes, for provenance: backend, platform, device count and kinds (e.g. "NVIDIA H200"),
    device names and the number of processes (hosts). Imports no framework the backend does not use."""
    backend = keras.backend.backend()
    if backend == "jax":
        import jax
        devices = jax.devices()
        return {"backend": backend, "platform": devices[0].platform, "count": len(devices),
                "kinds": sorted({d.device_kind for d in devices}), "devices": [str(d) for d in devices],
                "processes": jax.process_count()}
    if backend == "tensorflow":
        import tensorflow as tf
        devices = tf.config.list_logical_devices()
        accelerators = [d for d in devices if d.device_type != "CPU"] or devices
        return {"backend": backend, "platform": accelerators[0].device_type.lower() if accelerators else "cpu",
                "count": len(accelerators), "kinds": sorted({d.device_type for d in accelerators}),
                "devices": [d.name for d in accelerators], "processes": 1}
    return {"backend": backend, "platform": "?", "count": 0, "kinds": [], "devices": [], "processes": 1}


def accelerator_kinds() -> list[str]:
    """The kinds of the non-CPU devices JAX sees, one entry per device (``[]`` on a CPU or another backend)."""
    if keras.backend.backend() != "jax":
        return []
    import jax
    return [d.device_kind for d in jax.devices() if d.platform != "cpu"]


def usable_device_count(available: int, batch_sizes) -> int:
    """The most devices, at most ``available``, that divide every batch size (1 if only one does)."""
    sizes = [int(b) for b in ([batch_sizes] if isinstance(batch_sizes, int) else batch_sizes)]
    return max(n for n in range(1, available + 1) if all(b % n == 0 for b in sizes))


def initialize_hosts() -> bool:
    """Join the other hosts when ``$KERAS_DISTRIBUTION_JOB_ADDRESSES`` (or ``..._NUM_PROCESSES``) says there are
    several (``keras.distribution.initialize`` reads them, with ``$KERAS_DISTRIBUTION_PROCESS_ID``); returns
    whether it did. Call it before anything computes on JAX."""
    if keras.backend.backend() != "jax" or not (os.environ.get(JOB_ADDRESSES_ENV)
                                                or os.environ.get(NUM_PROCESSES_ENV)):
        return False
    keras.distribution.initialize()
    return True


@contextlib.contextmanager
def data_parallel(batch_size=None, always: bool = False):
    """Train data-parallel over the accelerators inside the context; yields a line saying what is used.

    ``batch_size``: one batch size or several (the campaign's 32 and 16): only as many devices as divide
    all of them are used. With a single device there is nothing to split and no distribution is set,
    unless ``always``. The previous distribution is restored on exit.
    """
    backend = keras.backend.backend()
    if backend != "jax":
        described = describe_devices()
        yield (f"{backend} backend: keras.distribution is not supported, nothing is distributed; "
               f"{described['count']} device(s): {', '.join(described['devices']) or 'none'}")
        return
    import jax
    devices = keras.distribution.list_devices()
    count = len(devices) if batch_size is None else usable_device_count(len(devices), batch_size)
    kinds = ", ".join(sorted({d.device_kind for d in jax.devices()}))
    platform = devices[0].split(":")[0]
    multi_process = jax.process_count() > 1
    if multi_process and count < len(devices):
        raise ValueError(f"{len(devices)} devices on {jax.process_count()} hosts do not divide the batch size "
                         f"{batch_size}: choose a batch size that they divide")
    if count <= 1 and not always:
        yield f"jax backend: one device ({platform}, {kinds}), no distribution needed"
        return
    distribution = keras.distribution.DataParallel(devices=devices[:count],
                                                   auto_shard_dataset=not multi_process)
    previous = keras.distribution.distribution()
    keras.distribution.set_distribution(distribution)
    try:
        with _kept_through_clear_session(distribution), _batches_placed_whole():
            hosts = f" on {jax.process_count()} hosts" if multi_process else ""
            idle = len(devices) - count
            unused = f"; {idle} left idle (they do not divide the batch)" if idle else ""
            yield f"jax backend: data-parallel over {count} devices{hosts} ({platform}, {kinds}){unused}"
    finally:
        keras.distribution.set_distribution(previous)


@contextlib.contextmanager
def _kept_through_clear_session(distribution):
    """Set the distribution again after every ``keras.backend.clear_session()`` / ``keras.utils.clear_session()``
    (Keras keeps it in the global state that clear_session throws away)."""
    modules = [keras.backend, keras.utils]
    originals = [m.clear_session for m in modules]

    def clear_session(*args, _original=originals[0], **kwargs):
        result = _original(*args, **kwargs)
        keras.distribution.set_distribution(distribution)
        return result

    for module in modules:
        module.clear_session = clear_session
    try:
        yield
    finally:
        for module, original in zip(modules, originals):
            module.clear_session = original


@contextlib.contextmanager
def _batches_placed_whole():
    """Place every batch with ``_place_batch`` instead of Keras' per-process placement, for as long as the
    context lasts (Keras' JAX trainer looks the function up on each batch)."""
    from keras.src.backend.jax import distribution_lib
    original = distribution_lib.distribute_data_input
    distribution_lib.distribute_data_input = _place_batch
    try:
        yield
    finally:
        distribution_lib.distribute_data_input = original


def _place_batch(batch, layout, batch_dim_name):
    """A global JAX array of ``batch``, split over the devices along its first axis, or replicated on every
    device when they do not divide its length. Every process holds the whole batch (``training.fit``
    feeds the same batches everywhere) and each device takes its rows from it."""
    import jax
    from jax.sharding import NamedSharding, PartitionSpec
    if batch is None:
        return None
    sharding = layout.backend_layout if isinstance(layout, keras.distribution.TensorLayout) else layout
    shards = math.prod(sharding.mesh.shape[axis] for axis in _axes(sharding.spec[0])) if sharding.spec else 1
    if batch.shape[0] % shards:
        sharding = NamedSharding(sharding.mesh, PartitionSpec())
    return jax.make_array_from_callback(batch.shape, sharding, lambda index: batch[index])


def _axes(entry) -> tuple:
    """The mesh axes one entry of a PartitionSpec names (none, one, or a tuple of them)."""
    if entry is None:
        return ()
    return tuple(entry) if isinstance(entry, (tuple, list)) else (entry,)
