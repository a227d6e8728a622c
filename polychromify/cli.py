"""The ``polychromify`` command: subcommands mirror the modules; each parses flags and calls one function.

The edge where the configuration enters: ``main`` reads the environment once (``settings.Settings``:
``$POLYCHROMIFY_DATA``, ``$POLYCHROMIFY_RESULTS``, ``$POLYCHROMIFY_CACHE``), a flag overrides it, and the
commands pass the folders down as arguments. Without ``--results`` or ``$POLYCHROMIFY_RESULTS`` the store
is the checkout's ``results/`` whatever the current folder (an installed package: the user's data folder).
"""
from __future__ import annotations

import argparse
import errno
import os
import re
import sys
from pathlib import Path

from polychromify.product.author_model import AUTHOR_DIR, convert
from polychromify.product.colorize import check_chroma, colorize_files
from polychromify.product.errors import Busy
from polychromify.product.extras import MissingExtra, require
from polychromify.product.metrics import TABLE_KEYS
from polychromify.product.pretrained import CARD_MD, PRETRAINED_DIR, pretrained_card
from polychromify.product.quiet import filter_stderr
from polychromify.product.trained import PRETRAINED, SHIPPED
from polychromify.studies import beyond, generalization
from polychromify.studies.beyond import load_study
from polychromify.studies.model_card import export_pretrained
from polychromify.studies.scoring import (
    evaluate_split,
    score_folder,
    training_split,
    with_final_model,
)
from polychromify.studies.verify import NOT_VERIFIABLE, verdict, verify_store
from polychromify.training.campaign import (
    CampaignFailed,
    batch_sizes,
    listing,
    run_campaign,
)
from polychromify.training.cleaning import DataReport
from polychromify.training.data import (
    TooFewPhotos,
    check_enough,
    load_dataset,
    prepare,
    read_prepared,
)
from polychromify.training.download import (
    DownloadError,
    default_download_dir,
    download_kaggle,
    ingest_zip,
)
from polychromify.training.experiments import EXPERIMENTS
from polychromify.training.parallel import data_parallel, initialize_hosts
from polychromify.training.profiles import (
    BOOK_PROFILE,
    HELP,
    PRECISIONS,
    PROFILES,
    Cleaning,
    Profile,
    get_profile,
)
from polychromify.training.resolve import trained_model
from polychromify.training.results import (
    find_run,
    list_runs,
    record_metrics,
    resolve_run,
    write_json,
)
from polychromify.training.runner import run_experiment
from polychromify.training.settings import Settings, default_results_dir


def _fractions(value: str) -> tuple[float, ...]:
    """``--split 0.7,0.1,0.2``: comma-separated numbers."""
    try:
        return tuple(float(part) for part in value.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated fractions such as 0.64,0.16,0.2, "
                                         f"not {value!r}") from None


def _field_flags():
    """(flag, field, owner, argparse keywords) for every field of ``Profile`` and ``Cleaning`` but the name:
    the flags mirror the profile, so a field added there is a flag here."""
    import dataclasses
    import types
    import typing
    for owner in (Profile, Cleaning):
        hints = typing.get_type_hints(owner)
        for f in dataclasses.fields(owner):
            if f.name in ("name", "cleaning"):
                continue
            hint = hints[f.name]
            optional = typing.get_origin(hint) in (typing.Union, types.UnionType)
            base = next(t for t in typing.get_args(hint) if t is not type(None)) if optional else hint
            kwargs = {"help": HELP.get(f.name)}
            if f.name == "precision":
                kwargs["choices"] = list(PRECISIONS)
            elif typing.get_origin(base) is tuple:
                kwargs["type"], kwargs["metavar"] = _fractions, "TRAIN,VAL,TEST"
            else:
                kwargs["type"] = base
            yield "--" + f.name.replace("_", "-"), f.name, owner, kwargs


def _profile_flags(parser: argparse.ArgumentParser) -> None:
    """``--profile`` and a flag for every profile and cleaning field; unset flags keep the profile's value."""
    parser.add_argument("--profile", default="quick", choices=list(PROFILES), help="run profile (default quick)")
    group = parser.add_argument_group("profile fields (each overrides the profile's value)")
    for flag, _, _, kwargs in _field_flags():
        group.add_argument(flag, **kwargs)


def _data_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", type=Path, help="folder of photos (default: $POLYCHROMIFY_DATA, else synthetic)")


def _results_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--results", type=Path, help="results store (default: $POLYCHROMIFY_RESULTS, else the "
                                                     "repository's results/, whatever the current folder)")


def _data(args) -> Path | None:
    """``--data``, else ``$POLYCHROMIFY_DATA`` (read once by ``main``), else None: synthetic landscapes."""
    return args.data or args.settings.data_dir


def _results(args) -> Path:
    """``--results``, else ``$POLYCHROMIFY_RESULTS``, else the default store (``settings.default_results_dir``)."""
    return args.results or args.settings.results_dir


def _chroma(value: str) -> float:
    """``--chroma``: a number from 0 to ``colorize.MAX_CHROMA`` (an argparse error otherwise)."""
    try:
        return check_chroma(value)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def _model_name(value: str) -> str:
    """An evaluate MODEL: an experiment name, "pretrained" or a run folder (an argparse error otherwise)."""
    if value in EXPERIMENTS or value == PRETRAINED or Path(value, "config.json").is_file():
        return value
    raise argparse.ArgumentTypeError(f"invalid choice: {value!r} (choose an experiment ({', '.join(EXPERIMENTS)}), "
                                     f"{PRETRAINED} or a run folder)")


def _profile(args):
    """The profile ``--profile`` names with every field flag given applied (checked by ``Profile``)."""
    import dataclasses
    changes = {Cleaning: {}, None: {}}
    for _, name, owner, _ in _field_flags():
        value = getattr(args, name, None)
        if value is not None:
            changes[owner if owner is Cleaning else None][name] = value
    profile = get_profile(args.profile, **changes[None])
    if changes[Cleaning]:
        profile = profile.replace(cleaning=dataclasses.replace(profile.cleaning, **changes[Cleaning]))
    return profile


# ---------------------------------------------------------------- data

def cmd_data_info(args) -> int:
    try:
        dataset = load_dataset(_data(args), _profile(args), args.settings.cache_dir, progress=sys.stderr.isatty())
    except TooFewPhotos as err:
        print(err.report)
        print(f"polychromify: {err}", file=sys.stderr)
        return 2
    print(dataset.report)
    return 0


def cmd_data_prepare(args) -> int:
    folder = _data(args)
    if folder is None:
        print("polychromify: no data folder: pass --data DIR or set POLYCHROMIFY_DATA", file=sys.stderr)
        return 2
    profile = _profile(args)
    cache, index, _ = read_prepared(
        lambda: prepare(folder, profile.image_size, profile.cleaning, args.settings.cache_dir, progress=True), ())
    report = DataReport(**index["report"])
    try:
        check_enough(report)
    except TooFewPhotos as err:
        print(report)
        print(f"polychromify: {err}", file=sys.stderr)
        return 2
    print(f"prepared {folder} at {profile.image_size} px in {cache}: {report.usable} usable photos")
    return 0


def cmd_data_download(args) -> int:
    dest = args.dest or default_download_dir(args.settings.cache_dir)
    try:
        if args.zip:
            result = ingest_zip(args.zip, dest, force=args.force)
        else:
            result = download_kaggle(dest, force=args.force)
    except DownloadError as err:
        print(f"polychromify: {err}", file=sys.stderr)
        return 1
    print(f"data in {result}; use it with --data {dest} or POLYCHROMIFY_DATA={dest}")
    return 0


# ---------------------------------------------------------------- experiments

def cmd_train(args) -> int:
    names = list(EXPERIMENTS) if args.experiment == ["all"] else args.experiment
    for name in names:
        run = run_experiment(name, _profile(args), data_dir=_data(args), results_dir=_results(args),
                             retrain=args.retrain, verbose=1 if sys.stdout.isatty() else 2,
                             cache_dir=args.settings.cache_dir)
        state = "finished" if run.finished else "unfinished (resume with the same command)"
        print(f"{name}: {state} -> {run.path}")
        if run.finished:
            test = run.metrics["model"]["test"]
            print(f"  test accuracy {test['accuracy']:.4f}  PSNR {test['psnr']:.2f} dB  SSIM {test['ssim']:.4f}")
    return 0


def cmd_campaign(args) -> int:
    data, results, cache = _data(args), _results(args), args.settings.cache_dir
    if args.list:
        print("\n".join(listing(args.profile, results, cache, large=args.large)))
        return 0
    def log(line: str) -> None:
        print(f"campaign: {line}", flush=True)
    try:
        if not args.accelerator:
            run_campaign(args.profile, data, results, only=args.only, large=args.large, log=log, cache_dir=cache)
            return 0
        if initialize_hosts():
            log("joined the other hosts (keras.distribution.initialize)")
        with data_parallel(batch_size=batch_sizes(args.profile)) as used:
            log(f"devices: {used}")
            run_campaign(args.profile, data, results, only=args.only, accelerator=True, large=args.large,
                         log=log, cache_dir=cache)
        return 0
    except CampaignFailed as err:
        print(f"polychromify: campaign: {err}", file=sys.stderr)
        return 1


def cmd_study(args) -> int:
    """``study generalization`` / ``study beyond``: the study's ``run_study``."""
    run_study = {"generalization": generalization.run_study, "beyond": beyond.run_study}[args.study_command]
    path = run_study(args.data, _results(args), args.train_data or args.settings.data_dir,
                     log=lambda line: print(f"study: {line}", flush=True), fresh=getattr(args, "fresh", False))
    print(path)
    return 0


def cmd_evaluate(args) -> int:
    profile, results = _profile(args), _results(args)
    dataset = training_split(args.data, profile, results) if args.data else None
    try:
        if args.data is not None and dataset is None:  # not a training collection: score every photo
            models, note = with_final_model(args.models, profile, results)
            if note:
                print(f"polychromify evaluate: {note}", file=sys.stderr)
            scores = score_folder(models, args.data, profile, results, train_data=args.settings.data_dir)
            for line in scores["skipped"]:
                print(f"polychromify evaluate: {line}", file=sys.stderr)
            _print_folder_scores(scores)
            if args.json:
                write_json(args.json, scores)
            return 0
        evaluated = {}
        for name in args.models:
            run, metrics = evaluate_split(name, profile, _data(args), results, dataset)
            if args.save:
                record_metrics(run, metrics)
            print(f"{run.path}")
            _print_metrics(metrics)
            evaluated[name] = {"run": str(run.path), "metrics": metrics}
    except FileNotFoundError as err:  # no such run: bad input, exit 2 as for every command
        print(f"polychromify: {err}", file=sys.stderr)
        return 2
    if args.json:
        write_json(args.json, evaluated)
    return 0


METRIC_COLUMNS = TABLE_KEYS  # the registry's (``metrics.METRICS``)


def _print_folder_scores(scores: dict) -> None:
    print(f"{scores['folder']}: {scores['images']} photos scored, {len(scores['skipped'])} undecodable; "
          f"profile {scores['profile']}")
    print(f"{'':16}{'px':>5}" + "".join(f" {k:>17}" for k in METRIC_COLUMNS))
    for name, row in scores["rows"].items():
        print(f"{name:16}{row['image_size']:5d}" + "".join(f" {row['metrics'][k]:17.4f}" for k in METRIC_COLUMNS))
    for name, row in scores["rows"].items():
        print(f"  {name}: {row['source']}")


def _print_metrics(metrics: dict) -> None:
    keys = METRIC_COLUMNS
    print(f"{'':16}" + "".join(f" {k:>17}" for k in keys))
    for who in ("model", "gray", "mean_ab"):
        for split in ("val", "test"):
            row = metrics[who][split]
            print(f"{who + ' ' + split:16}" + "".join(f" {row[k]:17.4f}" for k in keys))


def cmd_results(args) -> int:
    store = _results(args)
    if store.exists() and not store.is_dir():
        print(f"polychromify: {store}: not a folder (give --results a results store)", file=sys.stderr)
        return 2
    if not store.exists() and store != default_results_dir():  # one that was named: a typo is not "empty"
        print(f"polychromify: {store}: no such folder (give --results a results store)", file=sys.stderr)
        return 2
    runs = list_runs(store, damaged=True)
    if not runs:
        print("the results store is empty")
        return 0
    w = max(len("experiment"), *(len(run.experiment) for run in runs)) + 2
    print(f"{'experiment':{w}}{'run':26}{'state':12}{'data':12}{'precision':16}{'epochs':>7}{'val acc':>9}"
          f"{'test acc':>9}{'train s':>9}")
    damaged = []
    for run in runs:
        if run.damage:
            damaged.append(run.damage)
            print(f"{run.experiment:{w}}{run.path.name:26}{'damaged':12}")
            continue
        config = run.config
        data = "synthetic" if config["data"].get("synthetic") else "real"
        start = (f"{run.experiment:{w}}{run.path.name:26}{'finished' if run.finished else 'unfinished':12}{data:12}"
                 f"{config['profile'].get('precision', 'float32'):16}{config['epochs']:>7}")
        if run.finished:
            m = run.metrics["model"]
            seconds = run.provenance["timings"]["train_seconds_total"]
            print(f"{start}{m['val']['accuracy']:9.4f}{m['test']['accuracy']:9.4f}{seconds:9.0f}")
        else:
            print(start)
    for line in damaged:
        print(f"polychromify results: {line}", file=sys.stderr)
    return 0  # a listing of a store with damaged runs is still a listing (they are named on stderr)


# ---------------------------------------------------------------- colorize and the pretrained model

def cmd_colorize(args) -> int:
    model = args.model
    if model is not None and model not in SHIPPED:
        model = trained_model(model, None, _results(args))  # an experiment's best run in the store
    results = colorize_files(args.inputs, output=args.output, outdir=args.outdir, model=model,
                             force=args.force, chroma=args.chroma, fmt=args.format, progress=not args.quiet)
    failed = sum(error is not None for _, _, error in results)
    if not args.quiet:
        print(f"colorized {len(results) - failed} of {len(results)} files" + (f", {failed} failed" if failed else ""),
              file=sys.stderr)
    return 1 if failed else 0


def cmd_pretrained_export(args) -> int:
    run = resolve_run(args.run) if args.run else find_run(args.experiment, args.profile, _results(args),
                                                          synthetic=False)
    if run is None:
        print(f"polychromify: no finished real-data run of {args.experiment} with profile {args.profile}; "
              f"train it first: polychromify train {args.experiment} --profile {args.profile}", file=sys.stderr)
        return 1
    dest = export_pretrained(run, args.dest or PRETRAINED_DIR, study=load_study(results_dir=_results(args)))
    print(f"exported {run.path} -> {dest}")
    return 0


def cmd_pretrained_author(args) -> int:
    dest = convert(args.saved_model, args.dest or AUTHOR_DIR, licence=args.licence)
    print(f"converted {args.saved_model} -> {dest}")
    return 0


def cmd_pretrained_show(args) -> int:
    pretrained_card(args.dest)  # a clear error when none is shipped
    print((Path(args.dest or PRETRAINED_DIR) / CARD_MD).read_text())
    return 0


def cmd_web(args) -> int:
    require("web", "polychromify web")
    # the book wing is the [web] and [book] extras: loaded by the commands that need it, so colorize starts
    # without it
    from polychromify.book.browser import export_onnx
    from polychromify.book.webpage import write_web_page
    model = trained_model(args.model, None, _results(args))
    if args.onnx:
        print(f"wrote {export_onnx(args.onnx, model, args.int8)}")
    print(f"wrote {write_web_page(args.page, model, force=args.force, int8=args.int8)}")
    return 0


def cmd_verify(args) -> int:
    checks = verify_store(_results(args), _data(args), args.profile, args.experiment, write_samples=args.samples)
    counts, code = verdict(checks)
    unverifiable = [f"{c.run.experiment}/{c.run.path.name}" for c in checks if c.status == NOT_VERIFIABLE]
    print(f"polychromify verify: {counts['ok']} runs agree, {counts['differs']} differ, "
          f"{counts['damaged']} damaged, {counts[NOT_VERIFIABLE]} not verifiable"
          + (f" ({', '.join(unverifiable)})" if unverifiable else "") + f", {counts['skipped']} skipped"
          + ("; none could be checked here (give --data, the photos they trained on)" if checks and not counts["ok"]
             else ""))
    if args.json:
        write_json(args.json, [{"run": str(c.run.path), "status": c.status, "details": c.details} for c in checks])
    return code


# ---------------------------------------------------------------- book

def cmd_book(args) -> int:
    require("book", "polychromify book")
    from polychromify.book.build import (
        build_book,  # the [book] extra's wing, loaded when asked for
    )
    return build_book(profile=args.profile, params=args.param, only=args.only, list_params=args.list_params,
                      pdf=args.pdf)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="polychromify", description=__doc__)
    p.add_argument("-v", "--verbose", action="store_true",
                   help="show TensorFlow's start-up lines, and a traceback for an unexpected error")
    sub = p.add_subparsers(dest="command", required=True)

    data = sub.add_parser("data", help="find, clean, cache or download the photos").add_subparsers(
        dest="data_command", required=True)
    info = data.add_parser("info", help="print the data report")
    prep = data.add_parser("prepare", help="clean and cache the preprocessed arrays")
    for q in (info, prep):
        _data_flag(q)
        _profile_flags(q)
    info.set_defaults(func=cmd_data_info)
    prep.set_defaults(func=cmd_data_prepare)
    down = data.add_parser("download", help="download the Kaggle data set, or ingest its zip")
    down.add_argument("--dest", type=Path, help="target folder (default: the user cache)")
    down.add_argument("--zip", type=Path, help="a landscape-pictures zip already downloaded")
    down.add_argument("--force", action="store_true", help="replace an existing target folder")
    down.set_defaults(func=cmd_data_download)

    train = sub.add_parser("train", help="train experiments (or load them from the results store)")
    train.add_argument("experiment", nargs="+", choices=[*EXPERIMENTS, "all"], metavar="EXPERIMENT",
                       help=f"one or more of: {', '.join(EXPERIMENTS)}, or all")
    train.add_argument("--retrain", action="store_true", help="train again even if a finished run exists")
    _data_flag(train)
    _results_flag(train)
    _profile_flags(train)
    train.set_defaults(func=cmd_train)

    camp = sub.add_parser("campaign", help="train the runs the paper edition of the book needs (resumable)")
    camp.add_argument("--profile", default="paper", choices=list(PROFILES))
    camp.add_argument("--list", action="store_true", help="list the campaign's runs, finished or pending")
    camp.add_argument("--only", nargs="+", metavar="EXPERIMENT", help="train only these experiments")
    camp.add_argument("--accelerator", action="store_true",
                      help="a GPU trains: run every entry, data-parallel over all the accelerators (JAX backend)")
    camp.add_argument("--large", action="store_true",
                      help="also train ECCV16 (one uninterrupted sitting of hours: start it at a session's start)")
    _data_flag(camp)
    _results_flag(camp)
    camp.set_defaults(func=cmd_campaign)

    study = sub.add_parser("study", help="studies stored in the results store for the book").add_subparsers(
        dest="study_command", required=True)
    studies = {"generalization": ("our model and the author's on another collection, with the ablations and our "
                                  "model after each stored epoch", "for the mean-ab baseline"),
               "beyond": ("the alternatives of 'Beyond the paper' (ablation runs) on their test split and on "
                          "another collection, with rebalanced AuC and colourfulness gap", "the runs trained on")}
    for name, (about, train_data) in studies.items():
        one = study.add_parser(name, help=about)
        one.add_argument("--data", type=Path, required=True, help="a folder of photos never trained on")
        one.add_argument("--train-data", type=Path, help=f"the landscape collection, {train_data} "
                         "(default: $POLYCHROMIFY_DATA)")
        if name == "beyond":
            one.add_argument("--fresh", action="store_true", help="score every run again (default: keep the "
                             "stored scores of a run whose weights and photos are unchanged)")
        _results_flag(one)
        one.set_defaults(func=cmd_study)

    ev = sub.add_parser("evaluate", help="recompute stored runs' metrics on their split, or score models on "
                                         "any folder of photos")
    ev.add_argument("models", nargs="+", type=_model_name, metavar="MODEL",
                    help="an experiment (its finished run for --profile, real data first; author_model without "
                         "a run: the author's weights as shipped), pretrained (the shipped model, with --data of "
                         "another folder) or a run folder")
    ev.add_argument("--data", type=Path,
                    help="a training collection (the data hash, under --profile, of a stored run): each run's "
                         "val/test split is evaluated, as without --data ($POLYCHROMIFY_DATA, else synthetic). "
                         "Any other folder: every photo in it (recursively, uncleaned) is scored beside the "
                         "gray (ab = 0) and mean-ab baselines; the mean ab is that of the landscape training "
                         "split of --profile ($POLYCHROMIFY_DATA, else synthetic)")
    ev.add_argument("--json", type=Path, help="also write the numbers to this JSON file (atomically)")
    ev.add_argument("--save", action="store_true", help="write the metrics back into the run (split evaluation)")
    _results_flag(ev)
    _profile_flags(ev)
    ev.set_defaults(func=cmd_evaluate)

    ver = sub.add_parser("verify", help="recompute every finished run's metrics from its stored weights and "
                                        "the photos; exit 1 if any differ from the store")
    ver.add_argument("--profile", nargs="+", choices=list(PROFILES), help="only runs of these profiles")
    ver.add_argument("--experiment", nargs="+", choices=list(EXPERIMENTS), metavar="EXPERIMENT",
                     help="only runs of these experiments")
    ver.add_argument("--samples", action="store_true",
                     help="also store the book's colorized dozen in runs that lack them")
    ver.add_argument("--json", type=Path, help="also write the outcome to this JSON file (atomically)")
    _data_flag(ver)
    _results_flag(ver)
    ver.set_defaults(func=cmd_verify)

    res = sub.add_parser("results", help="list what the results store holds")
    _results_flag(res)
    res.set_defaults(func=cmd_results)

    book = sub.add_parser("book", help="execute the notebooks and build the HTML book")
    book.add_argument("--profile", default=BOOK_PROFILE, choices=list(PROFILES),
                      help=f"the runs the book shows (default: {BOOK_PROFILE}, from the committed store)")
    book.add_argument("-p", "--param", action="append", default=[], metavar="KEY=VALUE",
                      help="a notebook parameter (repeatable)")
    book.add_argument("--only", help="execute only this notebook (e.g. 01_dataset)")
    book.add_argument("--list-params", action="store_true", help="print every parameter and exit")
    book.add_argument("--pdf", action="store_true",
                      help="also print the whole book to _build/pdf/polychromify.pdf (needs Chromium)")
    book.set_defaults(func=cmd_book)

    col = sub.add_parser("colorize", help="colorize photos at their own resolution (PNG or JPEG out)")
    col.add_argument("inputs", nargs="+", type=Path, metavar="IN", help="image files (any size and mode), or folders of them (the files directly inside)")
    where = col.add_mutually_exclusive_group()
    where.add_argument("-o", "--output", type=Path, help="output file, .png/.jpg/.jpeg (one input only)")
    where.add_argument("--outdir", type=Path, help="folder for <stem>_colorized.<format> (default: beside each input)")
    col.add_argument("--format", default="png", choices=["png", "jpg"], help="output format without -o (default png)")
    col.add_argument("--model", help="paper (the paper's final model, as shipped), an experiment name of the "
                                     "results store (author_model: the author's weights, as shipped when "
                                     "the store has no run), or a run folder (default: pretrained, the shipped "
                                     "default model)")
    col.add_argument("--chroma", type=_chroma, default=1.0, help="scale of the predicted colour (0: gray, default 1)")
    col.add_argument("--force", action="store_true", help="overwrite existing outputs (never an input)")
    col.add_argument("-q", "--quiet", action="store_true", help="no progress bar or summary")
    _results_flag(col)
    col.set_defaults(func=cmd_colorize)

    web = sub.add_parser("web", help="write a web page that colorizes in the browser (no server, no Python)")
    web.add_argument("page", type=Path, nargs="?", default=Path("colorizer.html"),
                     help="the page to write (default colorizer.html)")
    web.add_argument("--model", help="experiment name of the results store, or a run folder (default: pretrained)")
    web.add_argument("--onnx", type=Path, help="also write the model's ONNX graph here")
    web.add_argument("--force", action="store_true", help="overwrite an existing page")
    web.add_argument("--int8", action="store_true",
                     help="the model's weights quantized to 8 bits: a third of the download, colours within a "
                          "fraction of an 8-bit level (benchmarks/quantized_model.py)")
    _results_flag(web)
    web.set_defaults(func=cmd_web)

    pre = sub.add_parser("pretrained", help="the pretrained model shipped in the package").add_subparsers(
        dest="pretrained_command", required=True)
    exp = pre.add_parser("export", help="ship a finished real-data run as the pretrained model")
    exp.add_argument("--experiment", default="polychromify", choices=list(EXPERIMENTS))
    exp.add_argument("--profile", default="paper", choices=list(PROFILES))
    exp.add_argument("--run", type=Path, help="this run folder (default: the best run of --experiment and "
                     "--profile, as `polychromify results` picks it)")
    exp.add_argument("--dest", type=Path, help="target folder (default: the package's pretrained/)")
    _results_flag(exp)
    exp.set_defaults(func=cmd_pretrained_export)
    auth = pre.add_parser("author", help="convert the author's SavedModel (his repository's results/Polychromify "
                                         "at commit c325de0) into the weights shipped in the package")
    auth.add_argument("saved_model", type=Path, metavar="SAVEDMODEL", help="the SavedModel folder")
    auth.add_argument("--licence", type=Path, help="his LICENSE file (default: the one in his repository, two "
                                                    "folders above SAVEDMODEL)")
    auth.add_argument("--dest", type=Path, help="target folder (default: the package's pretrained/author/)")
    auth.set_defaults(func=cmd_pretrained_author)
    show = pre.add_parser("show", help="print the model card")
    show.add_argument("--dest", type=Path, help="folder of the model (default: the package's pretrained/)")
    show.set_defaults(func=cmd_pretrained_show)
    return p


def main(argv: list[str] | None = None) -> int:
    """Parse the command line, read the environment once (``settings``), and run the subcommand.

    Every failure the user can cause or meet is one line on stderr, naming the file, the reason and what to
    do, and a non-zero exit code (2: bad input or a damaged file; 3: another process is busy with it; 1: an
    unexpected error, whose traceback ``--verbose`` shows).
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # quiet TensorFlow's C++ logs; before it is imported
    args = parser().parse_args(argv)
    args.settings = Settings.resolve()
    try:
        code = args.func(args)
        sys.stdout.flush()  # a closed pipe shows here, not at exit
        return code
    except BrokenPipeError:  # ``polychromify results | head -1``: the reader has all it wanted
        return _quiet_broken_pipe()
    except MissingExtra as err:
        print(err, file=sys.stderr)
        return 2
    except Busy as err:
        print(f"polychromify: {err}", file=sys.stderr)
        return 3
    except (FileNotFoundError, FileExistsError, ValueError) as err:
        print(f"polychromify: {str(err).splitlines()[0] if str(err) else type(err).__name__}", file=sys.stderr)
        return 2
    except OSError as err:  # a read-only store or cache, a full disk, a folder that cannot be made ...
        if _disk_full(err):
            return _report_disk_full(err)
        where = f"{err.filename}: " if err.filename else ""
        hint = {errno.EACCES: "; check its permissions or choose other folders (--results, $POLYCHROMIFY_CACHE)",
                errno.EROFS: "; it is on a read-only file system: choose other folders (--results, "
                             "$POLYCHROMIFY_CACHE)",
                errno.ENOSPC: "; free some space, or choose other folders"}.get(err.errno, "")
        print(f"polychromify: {where}{err.strerror or err}{hint}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("polychromify: interrupted (finished files are complete; a run resumes from its checkpoint)",
              file=sys.stderr)
        return 130
    except Exception as err:  # noqa: BLE001 - the last resort: still one line
        if args.verbose:
            raise
        print(f"polychromify: unexpected {type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''} "
              f"(run again with --verbose for the traceback, and please report it)", file=sys.stderr)
        return 1


_UNSAFE_EXIT: list = []  # an h5py write that failed: keeps its error alive until ``entry`` exits at once


def _disk_full(err: OSError) -> bool:
    """Whether an error is a full disk: ENOSPC, or h5py's text of it (its OSError carries no errno)."""
    return err.errno == errno.ENOSPC or "errno = 28" in str(err) or "No space left on device" in str(err)


def _report_disk_full(err: OSError) -> int:
    """One line for a full disk. When HDF5 (h5py) was writing, its half-written file objects crash the
    interpreter when they are finalized (a traceback per object, then a segmentation fault), so ``entry``
    ends the process at once, after this line: every file of the store was written atomically, so nothing
    is lost, and a stopped run resumes from its last checkpoint."""
    match = re.search(r"filename = '([^']+)'", str(err))
    name = err.filename or (match and match[1]) or ""
    shown = Path(*(part for part in Path(name).parts if ".partial" not in part)) if name else None
    print(f"polychromify: {shown.parent if shown else 'the disk'}: no space left on device; free some space, or "
          f"choose other folders (--results, $POLYCHROMIFY_CACHE); a stopped run resumes from its last "
          f"checkpoint", file=sys.stderr)
    if match:
        _UNSAFE_EXIT.append(err)  # alive until the process ends: freeing it would finalize h5py's objects
    return 2


def _quiet_broken_pipe() -> int:
    """After the reader of stdout went away: say nothing (stdout goes to ``os.devnull``, so Python's final flush
    is quiet too) and exit with 141, the status of a command-line tool stopped by SIGPIPE."""
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)
    except (OSError, ValueError, AttributeError):
        pass
    return 141


def _reopen_closed_streams() -> None:
    """Give a closed stdout or stderr (``2>&-``) to ``os.devnull``: the command then works and says nothing on
    it, and no file it opens later can take descriptor 1 or 2, where native code would write its logs."""
    for fd, name in ((1, "stdout"), (2, "stderr")):
        try:
            os.fstat(fd)
        except OSError:
            null = os.open(os.devnull, os.O_WRONLY)
            if null != fd:
                os.dup2(null, fd)
                os.close(null)
            setattr(sys, name, open(fd, "w", closefd=False))
        else:
            if getattr(sys, name) is None:
                setattr(sys, name, open(fd, "w", closefd=False))


def entry() -> int:
    """The ``polychromify`` command: ``main`` with TensorFlow's start-up noise filtered (not with
    ``--verbose``). ``book`` too: its notebook kernels inherit the filtered descriptor, so their TensorFlow
    start-up lines are dropped and anything else they write natively still reaches the terminal."""
    argv = sys.argv[1:]
    _reopen_closed_streams()
    if "-v" not in argv and "--verbose" not in argv:
        filter_stderr()
    code = main(argv)
    if _UNSAFE_EXIT:  # see ``_report_disk_full``: leave without finalizing h5py's broken objects
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code


if __name__ == "__main__":
    sys.exit(entry())
