"""What a careful, hostile user throws at the command: each case gets one line naming the file, the reason and
what to do, a non-zero exit code, and no good output lost (issue #15). Driven as a user drives it: ``main([...])``,
or a subprocess where the process itself matters (the start-up noise, a second training process)."""
import errno
import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from polychromify import cli
from polychromify.training.synthetic import synthetic_landscape

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.usefixtures("isolated")  # the store, cache and data of each test are its own


def _lines(capsys) -> list[str]:
    return capsys.readouterr().err.strip().splitlines()


def _failures(capsys) -> list[str]:
    """The command's own lines on stderr (not the loud warning that synthetic landscapes are used)."""
    return [line for line in _lines(capsys) if line.startswith("polychromify")]


def _photo(path: Path, seed: int = 1, size=(48, 64)) -> Path:
    Image.fromarray(np.asarray(Image.fromarray(synthetic_landscape(seed, 64)).resize(size[::-1]))).save(path)
    return path


def _bad_files(folder: Path) -> dict[str, str]:
    """Every kind of bad input beside good photos: file name -> what its line must say."""
    os.symlink("loop_b.jpg", folder / "loop_a.jpg")
    os.symlink("loop_a.jpg", folder / "loop_b.jpg")
    os.symlink("nowhere.png", folder / "dangling.png")
    (folder / "empty.png").write_bytes(b"")
    (folder / "text.jpg").write_text("a text file named .jpg")
    whole = (folder / "good1.png").read_bytes()
    (folder / "truncated.png").write_bytes(whole[:len(whole) // 2])
    frames = [Image.new("RGB", (8, 8), (i * 60, 90, 30)) for i in range(3)]
    frames[0].save(folder / "animated.webp", save_all=True, append_images=frames[1:])
    Image.fromarray(np.full((16, 16), 200.0, np.float32)).save(folder / "float_0_255.tif")
    Image.fromarray(np.full((16, 16), np.nan, np.float32)).save(folder / "nan.tif")
    (folder / "folder.png").mkdir()
    return {"loop_a.jpg": "loop of links", "loop_b.jpg": "loop of links", "dangling.png": "link to nothing",
            "empty.png": "empty file", "text.jpg": "not an image", "truncated.png": "truncated",
            "animated.webp": "animated", "float_0_255.tif": "must lie in [0, 1]", "nan.tif": "NaN",
            "folder.png": "is a folder"}


def test_a_folder_mixing_good_photos_and_every_bad_case(store, tmp_path, capsys):
    results, run = store
    photos = tmp_path / "photos"
    photos.mkdir()
    good = [_photo(photos / "good1.png", 1), _photo(photos / "good2.jpg", 2)]
    bad = _bad_files(photos)
    out = tmp_path / "out"
    code = cli.main(["colorize", *map(str, sorted(photos.iterdir())), "--outdir", str(out), "--model", str(run.path),
                     "-q"])
    lines = _lines(capsys)
    assert code == 1
    assert sorted(p.name for p in out.iterdir()) == ["good1_colorized.png", "good2_colorized.png"]
    for path in good:
        with Image.open(out / f"{path.stem}_colorized.png") as image:
            assert image.size == (64, 48)
    assert len(lines) == len(bad)
    for line in lines:
        name = next(n for n in bad if f"/{n}:" in line)
        assert line.startswith("polychromify colorize: ") and bad[name] in line, line


def test_a_folder_as_input_colorizes_the_photos_in_it_and_not_its_own_outputs(store, tmp_path, capsys):
    results, run = store
    photos = tmp_path / "photos"
    photos.mkdir()
    _photo(photos / "good1.png", 1)
    _photo(photos / "good2.jpg", 2)
    (photos / "text.jpg").write_text("a text file named .jpg")
    (photos / "album").mkdir()
    _photo(photos / "album" / "nested.png", 3)   # a subfolder is not entered
    (photos / ".hidden.png").write_bytes(b"")
    assert cli.main(["colorize", str(photos), "--model", str(run.path), "-q"]) == 1
    assert _lines(capsys) == [f"polychromify colorize: {photos / 'text.jpg'}: not an image (unrecognised file format)"]
    assert sorted(p.name for p in photos.glob("*_colorized.png")) == ["good1_colorized.png", "good2_colorized.png"]
    assert not list((photos / "album").glob("*_colorized*"))
    # again: the outputs are not taken for inputs, and the existing ones are kept
    assert cli.main(["colorize", str(photos), "--model", str(run.path), "-q"]) == 1
    lines = _lines(capsys)
    assert len(lines) == 3 and sum("exists (use --force to overwrite)" in line for line in lines) == 2
    (tmp_path / "empty").mkdir()
    assert cli.main(["colorize", str(tmp_path / "empty"), "--model", str(run.path), "-q"]) == 1
    assert _lines(capsys) == [f"polychromify colorize: {tmp_path / 'empty'}: is a folder with no photos directly in it"]


def test_a_float_image_in_0_1_is_read_at_its_own_scale_not_guessed(tmp_path):
    from polychromify.product.images import load_rgb
    values = np.linspace(0.0, 1.0, 64 * 64, dtype=np.float32).reshape(64, 64)
    Image.fromarray(values).save(tmp_path / "float.tif")
    expected = np.round(values * 255).astype(np.uint8)
    for source in (tmp_path / "float.tif", values, np.dstack([values] * 3)):
        gray = load_rgb(source)[..., 0].astype(int)
        assert np.abs(gray - expected).max() <= 1  # not almost black, as a scale guessed from the maximum gave
    sixteen = (values * 65535).astype(np.uint16)
    Image.fromarray(sixteen[:2, :2] // 256).save(tmp_path / "dark16.png")  # a dark 16-bit photo stays dark
    assert load_rgb(tmp_path / "dark16.png").max() <= 1


@pytest.mark.parametrize("value", ["nan", "inf", "-1", "11", "lots"])
def test_chroma_must_be_a_number_from_0_to_10(value, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["colorize", "photo.png", "--chroma", value])
    assert exit_info.value.code == 2
    assert "chroma must be a number from 0 to 10" in capsys.readouterr().err


def test_symlink_loops_as_outdir_or_output_are_one_line(store, tmp_path, capsys):
    results, run = store
    good = _photo(tmp_path / "good.png")
    os.symlink("loop2", tmp_path / "loop1")
    os.symlink("loop1", tmp_path / "loop2")
    assert cli.main(["colorize", str(good), "--outdir", str(tmp_path / "loop1"), "--model", str(run.path)]) == 2
    assert _lines(capsys) == [f"polychromify: --outdir {tmp_path / 'loop1'}: cannot be used "
                              f"(Symlink loop from '{tmp_path / 'loop1'}')"]
    assert cli.main(["colorize", str(good), "-o", str(tmp_path / "loop1" / "x.png"), "--model", str(run.path),
                     "-q"]) == 1
    (line,) = _lines(capsys)
    assert str(good) in line and "symlink loop" in line


def test_outputs_get_the_umask_mode_and_force_keeps_the_replaced_files_mode(store, tmp_path):
    results, run = store
    good = _photo(tmp_path / "good.png")
    target = tmp_path / "good_colorized.png"
    old = os.umask(0o022)
    try:
        assert cli.main(["colorize", str(good), "--model", str(run.path), "-q"]) == 0
        assert stat.S_IMODE(target.stat().st_mode) == 0o644
        target.chmod(0o640)
        assert cli.main(["colorize", str(good), "--model", str(run.path), "-q", "--force"]) == 0
        assert stat.S_IMODE(target.stat().st_mode) == 0o640
    finally:
        os.umask(old)


def test_debris_of_a_killed_colorize_is_removed_by_the_next(store, tmp_path):
    results, run = store
    good = _photo(tmp_path / "good.png")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True).stdout.strip()
    debris = tmp_path / f".good_colorized.{dead}-1234abcd.partial.png"
    debris.write_bytes(b"half a picture")
    assert cli.main(["colorize", str(good), "--model", str(run.path), "-q"]) == 0
    assert not debris.exists() and (tmp_path / "good_colorized.png").is_file()


# ---------------------------------------------------------------- a damaged store, cache or checkpoint

@pytest.fixture
def two_runs(store, tmp_path):
    """A copy of the smoke store holding the final model's run twice (the copy sorts after the original)."""
    results, run = store
    copy = tmp_path / "store"
    shutil.copytree(results, copy)
    original = copy / run.path.relative_to(results)
    twin = original.with_name(original.name[:-1] + ("z" if original.name[-1] != "z" else "y"))
    shutil.copytree(original, twin)
    return copy, original, twin


@pytest.mark.parametrize("damaged_file", ["provenance.json", "metrics.json", "config.json"])
def test_one_corrupt_json_file_is_named_and_the_other_runs_serve(two_runs, damaged_file, tmp_path, capsys):
    store, damaged, good = two_runs
    (damaged / damaged_file).write_text('{"truncated": ')
    assert cli.main(["results", "--results", str(store)]) == 0
    out, err = capsys.readouterr()
    assert f"{damaged.name:26}damaged" in out and f"{good.name:26}finished" in out
    assert str(damaged / damaged_file) in err and "--retrain" in err and err.count("\n") == 1
    photo = _photo(tmp_path / "photo.png")
    assert cli.main(["colorize", str(photo), "--model", "polychromify", "--results", str(store), "-q"]) == 0
    err = capsys.readouterr().err
    assert "skipping a damaged run" in err and str(damaged / damaged_file) in err
    assert (tmp_path / "photo_colorized.png").is_file()


def test_truncated_weights_name_the_file_and_the_repair(two_runs, tmp_path, capsys):
    store, damaged, _ = two_runs
    weights = damaged / "model.weights.h5"
    weights.write_bytes(weights.read_bytes()[:1000])
    photo = _photo(tmp_path / "photo.png")
    assert cli.main(["colorize", str(photo), "--model", str(damaged), "-q"]) == 2
    (line,) = _lines(capsys)
    assert line.startswith(f"polychromify: {weights}: damaged weights (") and "--retrain" in line
    assert not (tmp_path / "photo_colorized.png").exists()


def _smoke_train(store, *extra):
    return ["train", "polychromify", "--profile", "smoke", "--image-size", "16", "--max-images", "24",
            "--results", str(store), *extra]


def test_a_damaged_checkpoint_says_retrain_and_retrain_repairs_it(tmp_path, monkeypatch, capsys):
    from polychromify.training.results import list_runs
    store = tmp_path / "store"
    assert cli.main(_smoke_train(store, "--epochs", "3")) == 0
    run = list_runs(store)[0]
    (run.path / "provenance.json").unlink()  # as if killed after epoch 1: unfinished, with a checkpoint
    run.checkpoint_dir.mkdir(exist_ok=True)
    epoch = run.checkpoint_dir / "epoch-0001"
    epoch.mkdir()
    (epoch / "model.weights.h5").write_bytes(b"not hdf5")
    (epoch / "history.json").write_text("{not json")
    capsys.readouterr()
    assert cli.main(_smoke_train(store, "--epochs", "3")) == 2
    (line,) = _failures(capsys)
    assert line.startswith(f"polychromify: {epoch / 'history.json'}: damaged (not valid JSON") and "--retrain" in line
    (epoch / "history.json").write_text(json.dumps({"epoch": 1, "history": {}, "segments": []}))
    assert cli.main(_smoke_train(store, "--epochs", "3")) == 2
    (line,) = _failures(capsys)
    assert line.startswith(f"polychromify: {epoch}: damaged checkpoint (") and "--retrain" in line
    assert cli.main(_smoke_train(store, "--epochs", "3", "--retrain")) == 0
    assert run.finished


@pytest.mark.parametrize("damage", ["index.json", "L.npy"])
def test_a_damaged_cache_entry_is_named_and_prepared_again(messy_photos, tmp_path, damage, capsys):
    flags = ["data", "info", "--data", str(messy_photos), "--profile", "smoke", "--image-size", "16"]
    assert cli.main(flags) == 0
    first = capsys.readouterr().out
    (entry,) = (tmp_path / "cache" / "prepared").iterdir()
    (entry / damage).write_bytes((entry / damage).read_bytes()[:40])
    assert cli.main(flags) == 0
    out, err = capsys.readouterr()
    assert out == first  # the same report, from the cache prepared again
    assert str(entry / damage) in err and "damaged" in err and "preparing it again" in err
    assert (entry / "index.json").is_file()


# ---------------------------------------------------------------- processes and the file system

def test_a_second_training_of_the_same_run_says_another_process_is_at_it(tmp_path, monkeypatch, capsys):
    """The lock is held as a second process would hold it: ``files.exclusive`` on the run's lock file."""
    from polychromify.training.experiments import get_experiment
    from polychromify.training.profiles import get_profile
    from polychromify.training.results import run_folder
    from polychromify.training.runner import experiment_data, make_config
    store = tmp_path / "store"
    profile = get_profile("smoke", image_size=16, max_images=24)
    experiment = get_experiment("polychromify")
    config = make_config(experiment, profile, experiment_data(experiment, profile, None, quiet=True))
    run = run_folder(store, "polychromify", config)
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from polychromify.product.files import exclusive\n"
        f"with exclusive({str(run.path.parent / ('.' + run.path.name + '.lock'))!r}, 'x'):\n"
        "    print('held', flush=True); time.sleep(60)")], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        assert holder.stdout.readline().strip() == "held"
        assert cli.main(_smoke_train(store)) == 3
        (line,) = _failures(capsys)
        assert line == (f"polychromify: {run.path}: training: another process (pid {holder.pid}) is at it; wait for "
                        f"it to end (a stopped run resumes from its checkpoint), then run the command again")
        assert not run.finished
    finally:
        holder.kill()
        holder.wait()
    assert cli.main(_smoke_train(store)) == 0  # the lock went with its process
    assert run.finished


def test_an_unwritable_store_is_one_line_with_what_to_do(tmp_path, monkeypatch, capsys):
    """Running as root, permissions do not stop us: the store's writer fails as a read-only disk does."""
    from polychromify.training import results

    def read_only(path, value):
        raise OSError(errno.EROFS, "Read-only file system", str(path))
    monkeypatch.setattr(results, "write_json", read_only)
    monkeypatch.setattr("polychromify.training.runner.write_json", read_only)
    assert cli.main(_smoke_train(tmp_path / "store")) == 2
    (line,) = _failures(capsys)
    assert line.startswith(f"polychromify: {tmp_path / 'store'}") and "Read-only file system" in line
    assert "choose other folders (--results" in line


def test_an_unexpected_error_is_one_line_and_verbose_shows_the_traceback(monkeypatch, capsys):
    def broken(args):
        raise ZeroDivisionError("division by zero")
    monkeypatch.setattr(cli, "cmd_results", broken)
    assert cli.main(["results"]) == 1
    (line,) = _lines(capsys)
    assert line.startswith("polychromify: unexpected ZeroDivisionError: division by zero (run again with --verbose")
    with pytest.raises(ZeroDivisionError):
        cli.main(["--verbose", "results"])


def test_tensorflows_start_up_noise_is_filtered_and_other_native_lines_pass():
    """What TensorFlow writes to file descriptor 2 itself, replayed through the command's filter."""
    noise = ("WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
             "I0000 00:00:1796182550.888948    2383 port.cc:153] oneDNN custom operations are on.\n"
             "I0000 00:00:1796182550.894285    2383 cudart_stub.cc:31] Could not find cuda drivers\n"
             "W1202 03:12:00.123456    2383 gpu_device.cc:2344] Cannot dlopen some GPU libraries.\n"
             "E0000 00:00:1796182577.117995    2383 cuda_platform.cc:52] failed call to cuInit: INTERNAL\n"
             "I0000 00:00:1796658260.370508   18126 cpu_feature_guard.cc:227] This TensorFlow binary is optimized\n"
             "To enable the following instructions: AVX2 FMA, in other operations, rebuild TensorFlow with the "
             "appropriate compiler flags.\n"
             "[IPKernelApp] WARNING | Kernel is running over TCP without encryption. All communication ...\n")
    kept = ("E0000 00:00:1796182577.117995    2383 kernel.cc:12] a real error\nplain native text\n"
            "[IPKernelApp] ERROR | a kernel that failed\n")
    script = ("import os, sys\nfrom polychromify.product import quiet\nquiet.filter_stderr()\n"
              f"os.write(2, {(noise + kept).encode()!r})\nprint('python line', file=sys.stderr)\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0
    assert sorted(done.stderr.splitlines()) == sorted(kept.splitlines() + ["python line"])


def test_the_command_starts_quietly_and_loads_tensorflow_only_for_a_photo(tmp_path):
    photo = _photo(tmp_path / "photo.png")
    (tmp_path / "bad.png").write_text("no")
    env = {**os.environ, "POLYCHROMIFY_CACHE": str(tmp_path / "cache")}
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)
    probe = ("import sys, runpy; sys.argv = ['polychromify', *sys.argv[1:]]\n"
             "from polychromify import cli\ncode = cli.entry()\n"
             "print('tensorflow' in sys.modules, file=sys.__stdout__); sys.exit(code)")
    bad = subprocess.run([sys.executable, "-c", probe, "colorize", str(tmp_path / "bad.png"), "-q"],
                         capture_output=True, text=True, cwd=ROOT, env=env)
    assert bad.returncode == 1 and bad.stdout.strip() == "False"
    expected = f"polychromify colorize: {tmp_path / 'bad.png'}: not an image (unrecognised file format)"
    assert bad.stderr.strip() == expected
    good = subprocess.run([sys.executable, "-m", "polychromify.cli", "colorize", str(photo), "-q"],
                          capture_output=True, text=True, cwd=ROOT, env=env)
    assert good.returncode == 0 and good.stderr == "", good.stderr
    assert (tmp_path / "photo_colorized.png").is_file()


# ---------------------------------------------------------------- a hostile user, second round (issue 36)

def test_training_never_writes_through_a_symlinked_lock_file(tmp_path, capsys):
    """``ln -s victim.txt S/polychromify/.smoke-<id>.lock; polychromify train ...``: the victim is untouched."""
    from polychromify.training.experiments import get_experiment
    from polychromify.training.profiles import get_profile
    from polychromify.training.results import run_folder
    from polychromify.training.runner import experiment_data, make_config
    store = tmp_path / "store"
    profile = get_profile("smoke", image_size=16, max_images=24)
    experiment = get_experiment("polychromify")
    run = run_folder(store, "polychromify", make_config(experiment, profile,
                                                        experiment_data(experiment, profile, None, quiet=True)))
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    lock = run.path.parent / f".{run.path.name}.lock"
    lock.parent.mkdir(parents=True)
    lock.symlink_to(victim)
    assert cli.main(_smoke_train(store)) == 2
    (line,) = _failures(capsys)
    assert line == (f"polychromify: {lock}: is a symbolic link; a lock file is never written through one (remove "
                    f"the link, then run the command again)")
    assert victim.read_text() == "precious\n" and not run.finished


def test_force_onto_a_symlinked_output_replaces_the_link_with_the_umasks_mode(store, tmp_path):
    """``ln -s /usr/bin/su out/x_colorized.png; colorize x.png --outdir out --force``: the link is replaced,
    and the new file's mode is the umask's, never the setuid mode of what the link pointed to."""
    results, run = store
    good = _photo(tmp_path / "x.png")
    program = tmp_path / "program"
    program.write_bytes(b"#!/bin/sh\n")
    program.chmod(0o4755)  # setuid, as su is
    out = tmp_path / "out"
    out.mkdir()
    (out / "x_colorized.png").symlink_to(program)
    old = os.umask(0o022)
    try:
        assert cli.main(["colorize", str(good), "--outdir", str(out), "--force", "--model", str(run.path), "-q"]) == 0
    finally:
        os.umask(old)
    written = out / "x_colorized.png"
    assert not written.is_symlink() and stat.S_IMODE(written.stat().st_mode) == 0o644
    assert program.read_bytes() == b"#!/bin/sh\n" and stat.S_IMODE(program.stat().st_mode) == 0o4755


@pytest.mark.parametrize("file, value", [("metrics.json", {}), ("config.json", {}), ("provenance.json", {}),
                                         ("metrics.json", {"model": []}), ("config.json", {"image_size": "abc"}),
                                         ("metrics.json", [])])
def test_json_of_the_wrong_shape_is_damaged_and_the_listing_goes_on(two_runs, file, value, capsys):
    """``echo '{}' > S/ae_v0/quick-*/metrics.json; polychromify results``: one damaged row, the others listed."""
    store, damaged, good = two_runs
    (damaged / file).write_text(json.dumps(value))
    assert cli.main(["results", "--results", str(store)]) == 0
    out, err = capsys.readouterr()
    assert f"{damaged.name:26}damaged" in out and f"{good.name:26}finished" in out
    assert "unexpected" not in err and str(damaged / file) in err and err.count("\n") == 1


def test_colorize_falls_back_to_another_run_when_the_best_ones_weights_are_damaged(two_runs, tmp_path, capsys):
    store, first, second = two_runs
    from polychromify.training.results import find_run
    best = find_run("polychromify", None, store)
    weights = best.weights
    weights.write_bytes(weights.read_bytes()[:3000])
    photo = _photo(tmp_path / "photo.png")
    assert cli.main(["colorize", str(photo), "--model", "polychromify", "--results", str(store), "-q"]) == 0
    err = capsys.readouterr().err
    assert f"skipping a damaged run: {weights}: damaged weights" in err
    assert (tmp_path / "photo_colorized.png").is_file()
    assert cli.main(["results", "--results", str(store)]) == 0
    assert f"{best.path.name:26}damaged" in capsys.readouterr().out  # no longer listed as finished


def test_a_config_with_a_bad_image_size_is_named_as_damaged(two_runs, tmp_path, capsys):
    store, damaged, _ = two_runs
    config = json.loads((damaged / "config.json").read_text())
    (damaged / "config.json").write_text(json.dumps({**config, "image_size": "big"}))
    assert cli.main(["colorize", str(_photo(tmp_path / "p.png")), "--model", str(damaged), "-q"]) == 2
    (line,) = _lines(capsys)
    assert line.startswith(f"polychromify: {damaged / 'config.json'}: damaged (image_size is not a number)")


def test_a_full_disk_during_training_is_one_line_and_the_run_resumes(tmp_path):
    """Training into a 4 MB tmpfs: the one line, exit 2, no traceback, no crash (h5py's half-written objects
    segfaulted at exit); with space again the same command finishes the run."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(disk)], capture_output=True)
    if mounted.returncode:
        pytest.skip(f"cannot mount a small tmpfs here ({mounted.stderr.decode().strip() or 'not root'})")
    try:
        env = {**os.environ, "POLYCHROMIFY_CACHE": str(disk / "cache")}
        env.pop("POLYCHROMIFY_DATA", None)
        command = [sys.executable, "-m", "polychromify.cli", "train", "polychromify", "--profile", "smoke",
                   "--results", str(disk / "S")]
        full = subprocess.run(command, capture_output=True, text=True, env=env, cwd=tmp_path)
        lines = [line for line in full.stderr.splitlines() if line.startswith("polychromify")]
        assert full.returncode == 2, full.stderr[-2000:]
        assert len(lines) == 1 and "no space left on device" in lines[0] and ".partial" not in lines[0]
        assert "Traceback" not in full.stderr and "Exception ignored" not in full.stderr
        subprocess.run(["mount", "-o", "remount,size=64m", str(disk)], check=True)
        again = subprocess.run(command, capture_output=True, text=True, env=env, cwd=tmp_path)
        assert again.returncode == 0, again.stderr[-2000:]
        assert "finished" in again.stdout
    finally:
        subprocess.run(["umount", str(disk)], capture_output=True)


def test_a_cache_index_of_the_wrong_type_is_prepared_again(messy_photos, tmp_path, capsys):
    flags = ["--data", str(messy_photos), "--profile", "smoke", "--image-size", "16"]
    assert cli.main(["data", "info", *flags]) == 0
    first = capsys.readouterr().out
    (entry,) = (tmp_path / "cache" / "prepared").iterdir()
    for command in (["data", "info"], ["data", "prepare"], ["train", "polychromify", "--epochs", "1"]):
        (entry / "index.json").write_text("[]")
        code = cli.main([*command, *flags, "--results", str(tmp_path / "store")] if command[0] == "train"
                        else [*command, *flags])
        out, err = capsys.readouterr()
        assert code == 0, err
        assert "damaged cache (not an index" in err and "preparing it again" in err and "unexpected" not in err
        if command == ["data", "info"]:
            assert out == first


def test_with_stderr_closed_colorize_still_writes_its_picture(store, tmp_path):
    """``polychromify colorize good.jpg -o x.png 2>&-``: the picture, exit 0 (it wrote nothing, exit 1)."""
    results, run = store
    good = _photo(tmp_path / "good.png")
    done = subprocess.run(f"{sys.executable} -m polychromify.cli colorize {good} -o {tmp_path / 'x.png'} "
                          f"--model {run.path} 2>&-", shell=True, capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stdout
    assert (tmp_path / "x.png").is_file()


@pytest.mark.parametrize("argv, message", [
    (["--split", "0.5,0.5,0.5"], "split must be fractions that add up to 1, not 0.5,0.5,0.5 (sum 1.5)"),
    (["--image-size", "100000"], "image_size must be a whole number at least 8 and at most 1024, not 100000")])
def test_profile_values_out_of_reach_are_refused_not_bent(argv, message, tmp_path, capsys):
    assert cli.main(["train", "polychromify", "--profile", "smoke", "--results", str(tmp_path), *argv]) == 2
    (line,) = _failures(capsys)
    assert message in line and "unexpected" not in line


def test_results_of_a_missing_store_or_a_file_is_an_error(tmp_path, capsys):
    assert cli.main(["results", "--results", str(tmp_path / "nonexistent")]) == 2
    assert _lines(capsys) == [f"polychromify: {tmp_path / 'nonexistent'}: no such folder (give --results a "
                              f"results store)"]
    assert cli.main(["results", "--results", os.devnull]) == 2
    assert _lines(capsys) == [f"polychromify: {os.devnull}: not a folder (give --results a results store)"]


def test_results_into_a_closed_pipe_ends_quietly(two_runs):
    store, _, _ = two_runs
    done = subprocess.run(f"{sys.executable} -m polychromify.cli results --results {store} | head -1",
                          shell=True, capture_output=True, text=True, cwd=ROOT, executable="/bin/bash")
    assert done.stdout.startswith("experiment") and done.stderr == ""


def test_messages_say_what_the_file_is(tmp_path, store, capsys, monkeypatch):
    """A FIFO is not an "empty file"; a PNG with a bad header checksum is a damaged PNG, not an unknown format;
    a read-only output folder is named, not the hidden temporary file."""
    results, run = store
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)
    png = tmp_path / "crc.png"
    _photo(png)
    data = bytearray(png.read_bytes())
    data[29] ^= 0xFF  # the IHDR chunk's checksum
    png.write_bytes(bytes(data))
    assert cli.main(["colorize", str(fifo), str(png), "--model", str(run.path), "--outdir", str(tmp_path / "o"),
                     "-q"]) == 1
    lines = _lines(capsys)
    assert any(f"{fifo}: not a regular file (a FIFO)" in line for line in lines), lines
    assert any(f"{png}: a damaged PNG file" in line for line in lines), lines
    from polychromify.product import files
    readonly = tmp_path / "readonly"
    readonly.mkdir()
    real = os.open

    def refuse(path, flags, *args):  # a read-only folder, for a user whom permissions stop (the tests may be root)
        if str(path).startswith(str(readonly)) and flags & os.O_CREAT:
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real(path, flags, *args)
    monkeypatch.setattr(files.os, "open", refuse)
    with pytest.raises(OSError) as err:
        with files.atomic_path(readonly / "x.png"):
            pass
    assert err.value.filename == str(readonly / "x.png") and ".partial" not in str(err.value)


def test_the_library_starts_tensorflow_quietly_in_a_script(store, tmp_path):
    """``from polychromify import colorize`` in a script or notebook: no absl, oneDNN or cuInit lines (the
    command line filtered them; the library printed seven)."""
    results, run = store
    photo = _photo(tmp_path / "photo.png")
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    script = (f"import sys\nfrom polychromify import colorize\nrgb = colorize({str(photo)!r}, {str(run.path)!r})\n"
              "print('native line', file=sys.stderr, flush=True)\nprint(rgb.shape)")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "(48, 64, 3)" and done.stderr == "native line\n", done.stderr
