"""The `migrator convert` command line: its options and how they become `Options`."""

from __future__ import annotations

import argparse
from pathlib import Path

from migrator.convert import TARGETS, Options
from migrator.errors import UsageError
from migrator.storage import is_remote, location_arg, unreadable


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    c = sub.add_parser(
        "convert",
        help="convert legacy artifacts to current formats, validated, into OUT/<model>/<format>/vN",
    )
    c.add_argument(
        "src",
        type=location_arg,
        nargs="?",
        help="an artifact, or a folder to convert every artifact in (a path or an fsspec URL)",
    )
    c.add_argument(
        "-o",
        "--out",
        type=location_arg,
        default=Path("migrated"),
        help="output root, a folder or an fsspec URL (default: ./migrated)",
    )
    c.add_argument(
        "--to",
        action="append",
        default=[],
        metavar="TARGET",
        help="keras, saved-model, weights or mlflow (an MLflow folder again; repeat or "
        "comma-separate; default: the natural target of each artifact)",
    )
    c.add_argument(
        "--custom-objects",
        action="append",
        default=[],
        metavar="MODULE",
        help="import this module of yours for custom Keras classes (repeatable)",
    )
    c.add_argument(
        "--model-factory",
        metavar="MODULE:FUNCTION",
        help="build the architecture of weights-only files with your code",
    )
    c.add_argument("--arch", type=Path, metavar="FILE", help="architecture JSON/YAML for weights")
    c.add_argument(
        "--unsafe",
        action="store_true",
        help="allow Lambda layers (runs Python code stored in the artifact)",
    )
    c.add_argument(
        "--tolerance",
        type=float,
        default=1e-5,
        help="max abs output difference allowed for float32 (default 1e-5)",
    )
    c.add_argument("--inputs", type=Path, metavar="NPZ", help="validation inputs to use")
    c.add_argument("--tags", help="MetaGraph tags of a TF1 SavedModel (comma-separated)")
    c.add_argument("--signature", help="signature of a TF1 SavedModel to serve")
    c.add_argument(
        "--input-tensors",
        metavar="NAME:0,...",
        help="graph tensors to feed, for Saver checkpoints and frozen graphs whose inputs "
        "cannot be inferred (comma-separated; default: inferred)",
    )
    c.add_argument(
        "--output-tensors",
        metavar="NAME:0,...",
        help="graph tensors to serve as outputs (comma-separated; default: inferred)",
    )
    c.add_argument(
        "--timeout",
        type=float,
        default=900.0,
        help="seconds per load/convert/run before a worker is stopped (default 900)",
    )
    c.add_argument(
        "--jobs",
        type=int,
        default=1,
        metavar="N",
        help="convert N artifacts at once (default 1, and one per cluster CPU with --backend ray; "
        "the output is the same for any N)",
    )
    c.add_argument(
        "--retry-failed",
        action="store_true",
        help="convert again what failed in an earlier run into the same OUT (the ledger in OUT "
        "otherwise reports it without retrying)",
    )
    c.add_argument(
        "--status",
        type=location_arg,
        metavar="OUT",
        help="summarise the ledger of an output folder (what is converted, failed, unfinished)",
    )
    c.add_argument(
        "--repack",
        action="store_true",
        help="for archives (model.tar.gz...): also write the converted SavedModels as "
        "OUT/<model>/tarball/vN/model.tar.gz in SageMaker's TF Serving layout (1/, code/)",
    )
    c.add_argument("--report", type=Path, metavar="FILE", help="write the JSON report here")
    c.add_argument("--json", action="store_true", help="print the JSON report, not the table")


def options_from_args(args: argparse.Namespace) -> Options:
    if args.src is None:
        raise UsageError("convert needs SRC (an artifact or a folder), or --status OUT")
    if args.jobs < 1:
        raise UsageError(f"--jobs must be >= 1; received {args.jobs}")
    targets = tuple(t.strip() for value in args.to for t in value.split(",") if t.strip())
    unknown = [t for t in targets if t not in TARGETS]
    if unknown:
        raise UsageError(f"unknown --to {', '.join(unknown)}; choose from {', '.join(TARGETS)}")
    if is_remote(args.src):  # s3://...: the store must answer for it (migrator.storage)
        problem = unreadable(args.src)
        if problem is not None:
            raise UsageError(problem)
    elif not args.src.exists() and not args.src.parent.is_dir():
        raise UsageError(f"{args.src}: no such file or folder; check the path")
    if args.tolerance < 0:
        raise UsageError("--tolerance must be >= 0")
    for path in (args.arch, args.inputs):
        if path is not None and not path.is_file():
            raise UsageError(f"{path}: no such file; check the path")
    return Options(
        targets=tuple(dict.fromkeys(targets)),
        custom_objects=tuple(args.custom_objects),
        model_factory=args.model_factory,
        architecture=args.arch,
        unsafe=args.unsafe,
        tolerance=args.tolerance,
        inputs=args.inputs,
        tags=tuple(t for t in (args.tags or "").split(",") if t),
        signature=args.signature,
        input_tensors=_names(args.input_tensors),
        output_tensors=_names(args.output_tensors),
        timeout=args.timeout,
        repack=args.repack,
    )


def _names(value: str | None) -> tuple[str, ...]:
    return tuple(dict.fromkeys(t.strip() for t in (value or "").split(",") if t.strip()))


def render_status(out_root: Path, *, as_json: bool) -> str:
    """`migrator convert --status OUT`: what the ledger in OUT records, as text or JSON."""
    import json

    from migrator.convert import ledger

    try:
        data = ledger.summary(out_root)
    except FileNotFoundError:
        raise UsageError(
            f"{out_root}: no conversion ledger ({ledger.FILENAME}) here; give the -o folder of "
            "an earlier `migrator convert`"
        ) from None
    except Exception as exc:  # a damaged database file: one line, not a traceback
        raise UsageError(f"{ledger.path_of(out_root)}: cannot read the ledger ({exc})") from None
    from migrator.storage.recovery import describe, logged

    data["cleaned"] = logged(out_root)  # what publishes removed after killed runs (a store)
    if as_json:
        return json.dumps(data, indent=2) + "\n"
    counts = data["counts"]
    lines = [
        f"{data['ledger']}: {data['sources']} source(s): {counts['converted']} converted, "
        f"{counts['skipped']} skipped, {counts['failed']} failed, {counts['running']} unfinished "
        "(interrupted; the next run redoes them)",
        f"migrator version(s): {', '.join(data['migrator_versions']) or '-'}",
    ]
    for entry in data["entries"]:
        if entry["status"] == "converted":
            detail = ", ".join(p for p in entry["outputs"] if p)
        else:
            detail = entry["reason"]
        lines.append(f"  {entry['status']:<9} {entry['path']}" + (f"  {detail}" if detail else ""))
    lines += [f"  cleaned   {describe(record)}" for record in data["cleaned"]]
    return "\n".join(lines) + "\n"
