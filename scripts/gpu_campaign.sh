#!/usr/bin/env bash
# Train campaign runs on a device machine (an NVIDIA H200 lent through the `run` tool; any CUDA host with
# JAX), data-parallel over its GPUs with JAX (`polychromify campaign --accelerator`), inside 9 minutes;
# the runs it trained come back as a tar under $OUT.
#
# Prepare here, from the repository root:
#     bash scripts/gpu_wheels.sh                     # .gpu-wheels/: keras, namex, optree (2.8 MB)
#     python scripts/gpu_data.py --profile ablation  # .gpu-data/landscapes/: the photos that profile uses
#     git commit ...                                 # the code that travels, named by its commit
# For the paper profile (what was done on 2026-12-04, 57 MiB carried), stop scripts/commit_runs.py, then
#     python scripts/gpu_data.py --profile paper --seed 42 43 44 --stash   # all 4,007 photos; the finished
#                                                    # runs' weights wait in .gpu-stash/ during the call
#     ... the run below, without the author's data protocol in --only (GPU_STREAMS: the experiment names) ...
#     python scripts/gpu_data.py --restore           # at once after the call, before any commit
# (the author's data protocol's run and unfinished CPU runs' checkpoints, which the call does not need, can wait
# outside the tree too: a tree over 64 MiB does not travel.) What was prepared for 2026-12-04's second session,
# which was lent no machine in the end (each stream in CAMPAIGN order; ECCV16-Zhang first, as its checkpoint
# cannot come back; on one line):
#     GPU_STREAMS="eccv16_zhang polychromify_classes;polychromify_v5 polychromify;polychromify_unet;
#                  polychromify_l1 polychromify_flip;polychromify_unet_large polychromify_unet_large_flip"
# Run, with the `run` tool (from the repository root; <commit> is `git rev-parse HEAD` here; pass it: the
# device's copy of .git can be older than the work tree):
#     command:   POLYCHROMIFY_GIT_COMMIT=<commit> bash scripts/gpu_campaign.sh --profile ablation --only cnn
#     carry:     [".gpu-wheels", ".gpu-data"]
#     timeout_s: 600
# Back here: cat <files_at>/runs.tar.gz* | tar -xz -C results    (then: polychromify campaign --list --profile ...)
# A run the device finished is complete there: remove a checkpoint/ folder the tar leaves beside it.
#
# Measured on the H200 (2026-12-04, JAX 0.11.2, paper profile, batch 32): a training step of the final model
# takes 30 ms in float32 ("highest") and 7 ms in mixed_bfloat16, the CNN's 13 ms, v1's 15 ms (1-2 s an
# epoch); but each run's first epoch adds 5-20 s of compilation, its evaluation about 15 s (metrics and the
# dozen samples, on the host's CPU; 35-45 s for the first run of each split and process, which also scores
# the gray and mean-ab baselines), and the data preparation takes about a minute at the start: two calls
# (8.8 and 3.6 min) finished 6 runs and took an 7th (v4) to epoch 14.
#
# The arguments go to `polychromify campaign --accelerator` (--profile, --only, --large). What travels is at
# most 64 MiB, the tracked files included (about 64 MiB, mostly results/, 60 MB of which the finished runs'
# weights): the photos of the paper profile (42 MiB) fit only with those weights stashed (above), a prepared
# data cache (940 MB at 128 px) never; the ablation profile's 800 photos (8.5 MiB for seed 42) fit beside
# everything. The script trains only the runs the carried photos serve (that profile and seeds, our
# data protocol); without .gpu-data/ the campaign trains on synthetic data (runs that never count as the
# real campaign's). The machine's image has JAX with CUDA and every other package polychromify trains with, but
# not Keras: the carried wheels are installed with pip from the folder, no registry is reached. JAX's CUDA
# wheels (3.3 GB) cannot travel: without a JAX that sees a GPU the script stops and says so.
#
# The results store starts as a copy of results/, so finished runs are not trained again and unfinished
# ones resume from their committed checkpoints. The campaign stops at GPU_BUDGET_S (default 510 s for the
# whole script); a run stopped there keeps its last epoch's checkpoint, which comes back in the tar, except
# for the runs that checkpoint to the user cache (ECCV16s, AE v3), which are lost. ECCV16's weights
# (129 MB) do not come back either (git ignores them too); their metrics, history and provenance do.
# Float32 means float32 (JAX_DEFAULT_MATMUL_PRECISION=highest: no TF32 on the GPU), as on a CPU.
#
# Small models leave an H200 mostly idle (a run spends half its time compiling, evaluating on the host's CPU
# and preparing data): GPU_STREAMS="eccv16_zhang;polychromify_unet;..." runs one campaign per stream (each with
# --only and its experiment names) side by side, logging to $OUT/stream-N.log. An experiment belongs in one
# stream only (two processes would wait on one run's lock).
#
# Environment: PYTHON (python3), GPU_WHEELS (.gpu-wheels), GPU_DATA (.gpu-data/landscapes), GPU_BUDGET_S,
# GPU_STREAMS, GPU_ALLOW_CPU=1 (train on the CPU devices when JAX sees no GPU: for testing this script), OUT.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
WHEELS=${GPU_WHEELS:-.gpu-wheels}
DATA=${GPU_DATA:-.gpu-data/landscapes}
BUDGET=${GPU_BUDGET_S:-510}
OUT=${OUT:-/tmp/gpu-campaign-out}
WORK=${GPU_WORK:-/tmp/gpu-campaign}   # the results store, caches and installed wheels on the machine
mkdir -p "$OUT"

say() { echo "gpu_campaign: $*"; }

install_wheels() {
    if ! ls "$WHEELS"/*.whl >/dev/null 2>&1; then
        say "no wheels in $WHEELS: using the machine's own keras (run scripts/gpu_wheels.sh here and carry it)"
        return 0
    fi
    "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target "$WORK/site" \
        "$WHEELS"/*.whl || { say "pip could not install the wheels of $WHEELS"; return 2; }
    export PYTHONPATH="$WORK/site${PYTHONPATH:+:$PYTHONPATH}"
}

check_machine() {  # the packages polychromify trains with, and a JAX that sees a GPU; writes devices.json
    "$PY" - "$OUT/devices.json" <<'EOF'
import importlib, json, os, sys
missing = []
for name in ("keras", "jax", "numpy", "skimage", "sklearn", "scipy", "PIL", "h5py", "tqdm"):
    try:
        importlib.import_module(name)
    except ImportError as err:
        missing.append(f"{name} ({err})")
if missing:
    sys.exit("gpu_campaign: missing on this machine: " + ", ".join(missing) + ". Keras travels as a wheel "
             "(scripts/gpu_wheels.sh, carry .gpu-wheels); the others must be in the machine's image.")
import jax, keras
from polychromify.parallel import describe_devices
devices = describe_devices()
print(f"gpu_campaign: python {sys.version.split()[0]}, keras {keras.__version__}, jax {jax.__version__}: "
      f"{devices['count']} {devices['platform']} device(s) {', '.join(devices['kinds'])}")
if devices["platform"] == "cpu" and os.environ.get("GPU_ALLOW_CPU") != "1":
    sys.exit(f"gpu_campaign: JAX {jax.__version__} sees no GPU (devices: {', '.join(devices['devices'])}). This "
             "script relies on the machine's JAX with CUDA: JAX's CUDA wheels (3.3 GB) cannot travel. "
             "GPU_ALLOW_CPU=1 trains on the CPU devices instead.")
json.dump(devices, open(sys.argv[1], "w"), indent=1)
EOF
}

check_data() {  # the carried photos serve the runs to do: their profile and seeds, our data protocol
    "$PY" - "$DATA.selection.json" "$@" <<'EOF'
import json, sys
from polychromify.campaign import pending
from polychromify.cli import parser
from polychromify.experiments import get_experiment
from polychromify.profiles import get_profile
selection = json.load(open(sys.argv[1]))
args = parser().parse_args(["campaign", "--accelerator", *sys.argv[2:]])
todo = [e for e in pending(args.profile) if not args.only or e.experiment in args.only or e.label in args.only]
wrong = [e.label for e in todo if args.profile != selection["profile"]
         or get_profile(args.profile, **e.overrides).seed not in selection["seeds"]
         or get_experiment(e.experiment).data_protocol != "ours"]
if wrong:
    sys.exit(f"gpu_campaign: the carried photos are those of profile {selection['profile']}, seeds "
             f"{selection['seeds']} (scripts/gpu_data.py); they would give other data to: {', '.join(wrong)}. "
             "Pass --only for runs they serve, or carry the photos of these (gpu_data.py --profile --seed).")
print(f"gpu_campaign: {len(todo)} pending run(s) to do, all served by the carried photos")
EOF
}

pack_runs() {  # every run folder written since the campaign started -> $OUT/runs.tar.gz (split at 15 MiB)
    local store=$1 stamp=$2
    local runs
    runs=$(cd "$store" && find . -type f -newer "$stamp" | cut -d/ -f2,3 | sort -u | while read -r d; do
        [ -d "$d" ] && echo "$d"; done)
    if [ -z "$runs" ]; then
        say "no run was written"
        return 0
    fi
    say "runs written: $(echo $runs)"
    # shellcheck disable=SC2086
    tar -czf "$OUT/runs.tar.gz" -C "$store" --exclude='eccv16*/*/model.weights.h5' $runs || return 2
    if [ "$(stat -c %s "$OUT/runs.tar.gz")" -gt $((15 * 1024 * 1024)) ]; then
        split -b 15M -d "$OUT/runs.tar.gz" "$OUT/runs.tar.gz.part-" && rm "$OUT/runs.tar.gz"
    fi
    ls -l "$OUT"
}

stopped() {  # a campaign's exit status, the time limit counting as success
    if [ "$1" -eq 124 ] || [ "$1" -eq 137 ]; then
        say "stopped at the time limit: an unfinished run resumes from its checkpoint with the same command"
        return 0
    fi
    return "$1"
}

run_streams() {  # one campaign per stream of GPU_STREAMS, side by side on the one GPU; worst exit status
    local left=$1 i=0 rc=0 pids=() stream
    shift
    export XLA_PYTHON_CLIENT_PREALLOCATE=false  # the streams share the GPU's memory
    IFS=';' read -ra streams <<< "$GPU_STREAMS"
    for stream in "${streams[@]}"; do
        i=$((i + 1))
        say "stream $i for at most ${left} s: polychromify campaign --accelerator $* --only $stream (log: stream-$i.log)"
        # shellcheck disable=SC2086
        timeout -k 10 "$left" "$PY" -m polychromify.cli campaign --accelerator "$@" --only $stream \
            > "$OUT/stream-$i.log" 2>&1 &
        pids+=("$!")
    done
    i=0
    for pid in "${pids[@]}"; do
        i=$((i + 1))
        wait "$pid"
        stopped $? || { rc=$?; say "stream $i failed (exit $rc): see stream-$i.log"; }
        tail -n 5 "$OUT/stream-$i.log" | sed "s/^/stream $i: /"
    done
    return "$rc"
}

main() {
    local start=$SECONDS
    rm -rf "$WORK" && mkdir -p "$WORK/results"
    install_wheels || return 2
    export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
    export KERAS_BACKEND=jax TF_CPP_MIN_LOG_LEVEL=2 PYTHONUNBUFFERED=1
    export JAX_DEFAULT_MATMUL_PRECISION=${JAX_DEFAULT_MATMUL_PRECISION:-highest}
    check_machine || return 2
    if [ -d "$DATA" ]; then
        export POLYCHROMIFY_DATA
        POLYCHROMIFY_DATA=$(cd "$DATA" && pwd)
        say "photos: $POLYCHROMIFY_DATA ($(find "$DATA" -type f | wc -l) files)"
    else
        unset POLYCHROMIFY_DATA
        say "no photos carried ($DATA): synthetic data"
    fi
    cp -a results/. "$WORK/results/"
    export POLYCHROMIFY_RESULTS="$WORK/results" POLYCHROMIFY_CACHE="$WORK/cache"
    if [ -f "$DATA.selection.json" ]; then
        # shellcheck disable=SC2086
        check_data "$@" ${GPU_STREAMS:+--only ${GPU_STREAMS//;/ }} || return 2
    elif [ -n "${POLYCHROMIFY_DATA:-}" ]; then
        say "no $DATA.selection.json (scripts/gpu_data.py writes it): the photos' fit to the runs is not checked"
    fi
    local stamp="$WORK/started" left rc
    touch "$stamp"
    left=$((BUDGET - (SECONDS - start) - 30))  # 30 s to pack what was trained
    if [ "$left" -lt 30 ]; then
        say "only ${left} s left of GPU_BUDGET_S=$BUDGET: nothing trained"
        return 2
    fi
    if [ -n "${GPU_STREAMS:-}" ]; then
        run_streams "$left" "$@"
    else
        say "campaign for at most ${left} s: polychromify campaign --accelerator $*"
        timeout -k 10 "$left" "$PY" -m polychromify.cli campaign --accelerator "$@"
        stopped $?
    fi
    rc=$?
    pack_runs "$WORK/results" "$stamp" || rc=2
    say "done in $((SECONDS - start)) s (exit $rc)"
    return "$rc"
}

main "$@" 2>&1 | tee "$OUT/campaign.log"
exit "${PIPESTATUS[0]}"
