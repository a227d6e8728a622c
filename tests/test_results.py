"""polychromify.training.results: the store's folders, what counts as finished, listing and finding runs, atomic JSON."""
import json
import re

import pytest
from helpers import empty_weights

from polychromify.training import provenance, results
from polychromify.training.provenance import environment
from polychromify.training.results import (
    FINISHED,
    Run,
    find_run,
    fingerprint,
    list_runs,
    read_json,
    run_folder,
    write_json,
)

pytestmark = pytest.mark.usefixtures("isolated")


def _config(epochs=1, profile="smoke", synthetic=True, data_hash="abc"):
    return {"experiment": {"name": "polychromify"}, "profile": {"name": profile, "epochs": epochs},
            "epochs": epochs, "image_size": 32, "batch_size": 16,
            "data": {"synthetic": synthetic, "data_hash": data_hash}}


def _fake_run(store, config, finished_at=None, experiment="polychromify") -> Run:
    """A run folder as run_experiment leaves it: config first, provenance last (only when finished)."""
    run = run_folder(store, experiment, config)
    write_json(run.path / "config.json", config)
    if finished_at is not None:
        empty_weights(run.weights)
        write_json(run.path / FINISHED, {"finished_at": finished_at, "timings": {"train_seconds_total": 1.0},
                                         "data": config["data"]})
    return run


def test_the_store_is_the_one_given_else_the_configured_one_never_the_current_folder(monkeypatch, tmp_path):
    from polychromify.training import settings
    from polychromify.training.results import store_dir
    assert store_dir() == tmp_path / "results"  # $POLYCHROMIFY_RESULTS (the isolated fixture)
    assert store_dir(tmp_path / "mine") == tmp_path / "mine"
    monkeypatch.delenv("POLYCHROMIFY_RESULTS")
    monkeypatch.chdir(tmp_path)
    assert store_dir() == settings.ROOT / "results" and store_dir().is_absolute()  # the checkout's store


def test_fingerprint_is_stable_and_sensitive_to_every_value():
    a = _config()
    assert fingerprint(a) == fingerprint(json.loads(json.dumps(a)))  # key order and copies don't matter
    assert re.fullmatch(r"[0-9a-f]{10}", fingerprint(a))
    assert fingerprint(_config(epochs=2)) != fingerprint(a)
    assert fingerprint(_config(data_hash="other")) != fingerprint(a)
    moved = json.loads(json.dumps(a))
    moved.setdefault("data", {})["source"] = "/another/clone/of/the/same/photos"
    assert fingerprint(moved) == fingerprint(a)                        # the path is not the data


def test_run_folder_layout(tmp_path):
    run = run_folder(tmp_path, "cnn", _config())
    assert run.path == tmp_path / "cnn" / f"smoke-{fingerprint(_config())}"
    assert run.experiment == "cnn"
    assert not run.finished and not run.path.exists()  # naming a folder creates nothing
    assert run.weights == run.path / "model.weights.h5"
    assert run.checkpoint_dir == run.path / "checkpoint"
    assert run_folder(tmp_path, "cnn", _config(epochs=2)).path != run.path
    assert run_folder(tmp_path, "cnn", {"epochs": 1}).path.name.startswith("custom-")


def test_a_run_without_provenance_is_not_finished_and_find_run_ignores_it(tmp_path):
    store = tmp_path / "store"
    unfinished = _fake_run(store, _config(epochs=2))
    (unfinished.path / "history.json").write_text("{}")
    (unfinished.path / "metrics.json").write_text("{}")  # everything but the provenance
    assert not unfinished.finished
    assert find_run("polychromify", "smoke", store) is None

    finished = _fake_run(store, _config(epochs=1), finished_at="2024-01-01T00:00:00+00:00")
    assert finished.finished
    assert find_run("polychromify", "smoke", store).path == finished.path
    assert find_run("polychromify", "quick", store) is None
    assert find_run("cnn", "smoke", store) is None


def test_find_run_prefers_real_data_then_the_newest(tmp_path):
    store = tmp_path / "store"
    old_real = _fake_run(store, _config(synthetic=False, data_hash="r1"), "2024-01-01T00:00:00+00:00")
    new_real = _fake_run(store, _config(synthetic=False, data_hash="r2"), "2024-02-01T00:00:00+00:00")
    newest_synthetic = _fake_run(store, _config(synthetic=True), "2024-03-01T00:00:00+00:00")
    assert find_run("polychromify", "smoke", store).path == new_real.path
    assert find_run("polychromify", "smoke", store, data_hash="r1").path == old_real.path
    assert find_run("polychromify", "smoke", store, synthetic=True).path == newest_synthetic.path
    assert find_run("polychromify", "smoke", store, data_hash="missing") is None


def test_find_run_prefers_the_profile_as_defined_over_a_variant_of_it(tmp_path):
    from polychromify.training.profiles import get_profile
    store = tmp_path / "store"
    real = dict(synthetic=False, data_hash="r")

    def config(profile):
        return {**_config(**real), "profile": json.loads(json.dumps(profile.to_dict()))}

    quick = _fake_run(store, config(get_profile("quick")), "2024-01-01T00:00:00+00:00")
    bf16 = _fake_run(store, config(get_profile("quick", precision="mixed_bfloat16")), "2024-02-01T00:00:00+00:00")
    assert bf16.finished and bf16.path != quick.path
    assert find_run("polychromify", "quick", store).path == quick.path  # the newer variant is not "quick"
    assert find_run("polychromify", get_profile("quick", precision="mixed_bfloat16"), store).path == bf16.path
    assert find_run("polychromify", get_profile("quick", epochs=3), store).path == bf16.path  # none exact: newest
    assert find_run("polychromify", get_profile("quick", epochs=3), store, exact=True) is None
    assert find_run("polychromify", "quick", store, exact=True).path == quick.path


def test_find_run_without_a_profile_takes_the_largest_scale_first_and_resolve_run_explains(tmp_path):
    from polychromify.training.profiles import get_profile
    store = tmp_path / "store"
    real = dict(synthetic=False, data_hash="r")

    def config(name):
        return {**_config(**real), "profile": json.loads(json.dumps(get_profile(name).to_dict()))}

    paper = _fake_run(store, config("paper"), "2024-01-01T00:00:00+00:00")
    _fake_run(store, config("quick"), "2024-06-01T00:00:00+00:00")  # newer, but smaller
    assert find_run("polychromify", None, store).path == paper.path
    assert results.resolve_run("polychromify", None, store).path == paper.path
    assert results.resolve_run(paper.path).path == paper.path
    with pytest.raises(FileNotFoundError, match=r"no finished run of cnn in .*; train one: polychromify train cnn$"):
        results.resolve_run("cnn", None, store)
    unfinished = _fake_run(store, config("smoke"))
    with pytest.raises(ValueError, match="the run is not finished"):
        results.resolve_run(unfinished.path)


def test_list_runs_lists_finished_and_unfinished_runs_sorted(tmp_path):
    store = tmp_path / "store"
    assert list_runs(store) == []  # no store yet
    a = _fake_run(store, _config(epochs=1), "2024-01-01T00:00:00+00:00")
    b = _fake_run(store, _config(epochs=2))
    c = _fake_run(store, _config(epochs=1), "2024-01-01T00:00:00+00:00", experiment="cnn")
    (store / "polychromify" / "not-a-run").mkdir()  # a folder without config.json is not a run
    runs = list_runs(store)
    assert [r.path for r in runs] == [c.path] + sorted([a.path, b.path])
    assert [r.path for r in list_runs(store, "polychromify")] == sorted([a.path, b.path])
    assert {r.path: r.finished for r in runs} == {a.path: True, b.path: False, c.path: True}
    assert list_runs() == []  # the default store ($POLYCHROMIFY_RESULTS) is elsewhere and empty


def test_write_json_is_atomic_and_leaves_no_temporary_files(tmp_path):
    path = tmp_path / "deep" / "folder" / "value.json"
    write_json(path, {"b": 1, "a": [1.5, "x"]})
    assert path.read_text() == '{\n  "a": [\n    1.5,\n    "x"\n  ],\n  "b": 1\n}\n'  # the store's format
    assert [p.name for p in path.parent.iterdir()] == ["value.json"]

    circular = {"ok": 1}
    circular["self"] = circular  # fails half-way through json.dump
    with pytest.raises(ValueError):
        write_json(path, circular)
    assert read_json(path) == {"a": [1.5, "x"], "b": 1}  # the old content is intact
    assert [p.name for p in path.parent.iterdir()] == ["value.json"]


def test_write_json_converts_numpy_scalars_and_paths(tmp_path):
    import numpy as np
    write_json(tmp_path / "v.json", {"f": np.float32(0.5), "i": np.int64(3), "p": tmp_path})
    assert read_json(tmp_path / "v.json") == {"f": 0.5, "i": 3, "p": str(tmp_path)}


def test_environment_names_the_backend_versions_and_commit():
    env = environment()
    assert env["backend"] in ("tensorflow", "jax", "torch")
    assert {"polychromify", "keras", "numpy", "python", env["backend"]} <= set(env["versions"])
    assert re.fullmatch(r"[0-9a-f]{40}(\+dirty)?|unknown", env["git_commit"])
    assert env["machine"]["cpus"] >= 1
    assert set(env["machine"]["cpu"]["features"]) <= set(provenance.CPU_FEATURES)


def test_cpu_info_reads_the_model_clock_and_features(tmp_path):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nmodel name\t: AMD EPYC 9654\ncpu MHz\t\t: 2400.000\n"
                       "flags\t\t: fpu sse avx2 fma avx512f avx512_bf16 avx512_vnni\n\n"
                       "processor\t: 1\nmodel name\t: ignored\nflags\t\t: fpu\n")
    assert provenance.cpu_info(cpuinfo) == {"model": "AMD EPYC 9654", "mhz": 2400.0,
                                  "features": ["fma", "avx2", "avx512f", "avx512_bf16"]}
    assert provenance.cpu_info(tmp_path / "missing") == {"model": "?", "mhz": None, "features": []}


def test_git_commit_outside_a_repository_is_unknown(tmp_path, monkeypatch):
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    assert provenance.git_commit(tmp_path) == "unknown"


def test_recorded_metrics_are_named_in_the_provenance(tmp_path):
    run = _fake_run(tmp_path / "store", _config(), "2024-01-01T00:00:00+00:00")
    results.record_metrics(run, {"model": {"test": {"accuracy": 0.7}}})
    assert run.metrics == {"model": {"test": {"accuracy": 0.7}}}
    [entry] = run.provenance["metrics_recomputed"]
    assert entry["git_commit"] and entry["at"].startswith("20") and "machine" in entry
    assert run.provenance["finished_at"] == "2024-01-01T00:00:00+00:00"  # the training record stays


# ---------------------------------------------------------------- fuzzing the store reader

def _damage(rng, run) -> str:
    """One random damage to a copy of a finished run: a truncated file, JSON of another type, a key missing
    or of another type (at any depth), a file gone. Returns what was done, for the failure message."""
    names = ["config.json", "metrics.json", "provenance.json", "history.json", "model.weights.h5"]
    name = names[int(rng.integers(len(names)))]
    path = run.path / name
    kind = int(rng.integers(5))
    if kind == 0 or name.endswith(".h5") and kind != 4:
        data = path.read_bytes()
        path.write_bytes(data[:int(rng.integers(0, max(1, len(data))))])
        return f"{name} truncated"
    if kind == 4:
        path.unlink()
        return f"{name} deleted"
    value = json.loads(path.read_text())
    if kind == 1:
        value = [[], "x", 3, None, {}, True][int(rng.integers(6))]
        path.write_text(json.dumps(value))
        return f"{name} replaced by {json.dumps(value)}"
    parent, key = value, None  # walk down to a random key
    while isinstance(parent, dict) and parent:
        key = list(parent)[int(rng.integers(len(parent)))]
        if not isinstance(parent[key], dict) or not parent[key] or rng.random() < 0.4:
            break
        parent = parent[key]
    if not isinstance(parent, dict) or key is None:
        return f"{name} unchanged"
    if kind == 2:
        del parent[key]
    else:
        parent[key] = [[1], "text", None, {"a": 1}, -1, float("nan")][int(rng.integers(6))]
    path.write_text(json.dumps(value))
    return f"{name}: {key} {'removed' if kind == 2 else 'changed to ' + repr(parent[key])}"


def test_fuzzing_the_store_gives_listings_and_one_line_messages_never_a_traceback(store, tmp_path, capsys):
    """Random damage to one of two runs of the same experiment in a copy of a small store: ``results`` still
    lists both (exit 0), ``colorize`` and ``evaluate`` use the sound one or say in one line why not, and
    ``verify`` reports the damage or a difference; none of them ever reaches "unexpected" (a traceback)."""
    import shutil

    import numpy as np
    from PIL import Image

    from polychromify.cli import main
    from polychromify.training.synthetic import synthetic_landscape
    results_dir, run = store
    photo = tmp_path / "photo.png"
    Image.fromarray(synthetic_landscape(3, 48)).save(photo)
    rng = np.random.default_rng(36)
    for case in range(10):
        copy = tmp_path / f"store{case}"
        shutil.copytree(results_dir, copy)
        original = copy / run.path.relative_to(results_dir)
        twin = Run(original.with_name(original.name[:-1] + ("z" if original.name[-1] != "z" else "y")))
        shutil.copytree(original, twin.path)
        done = "; ".join(_damage(rng, twin) for _ in range(int(rng.integers(1, 3))))
        flags = ["--results", str(copy)]
        outcomes = {}
        for command in (["results"], ["colorize", str(photo), "--outdir", str(tmp_path / f"out{case}"), "-q",
                                      "--model", "polychromify"],
                        ["evaluate", "polychromify", "--profile", "smoke"], ["verify", "--profile", "smoke"]):
            code = main([*command, *flags])
            out, err = capsys.readouterr()
            outcomes[command[0]] = code
            assert "unexpected" not in err and "Traceback" not in err, (done, command[0], err)
            assert all(line.startswith("polychromify") or line.startswith("***") for line in err.splitlines()), (
                done, command[0], err)
            if command[0] == "results":
                assert code == 0 and original.name in out and twin.path.name in out, (done, out)
        assert outcomes["colorize"] == 0 and outcomes["evaluate"] in (0, 2) and outcomes["verify"] in (0, 1), (
            done, outcomes)
