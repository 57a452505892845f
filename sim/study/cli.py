"""``spc study EXPERIMENT`` and ``spc report DIR``."""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path

from ..argtypes import positive_int


def cmd_study(args) -> int:
    from .execute import StudyInterrupted, run_study
    from .spec import Study

    study = Study.from_toml(args.experiment)
    out = Path(args.out) if args.out else Path("results") / Path(args.experiment).stem
    workers = args.workers or os.cpu_count() or 1

    def log(msg: str) -> None:
        if not args.quiet:
            print(msg, file=sys.stderr)

    def on_term(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, on_term)
    try:
        info = run_study(
            study,
            out,
            workers=workers,
            dask=args.dask,
            progress=not args.quiet,
            extend=args.extend,
            log=log,
        )
    except StudyInterrupted as exc:
        print(str(exc), file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGTERM, previous)
    print(
        f"{study.name}: {info['planned']} runs planned, {info['stored_before']} were stored, "
        f"{info['ran']} ran now ({info['failed']} failed); results in {out}"
    )
    if not args.no_report:
        from .report import write_report

        path = write_report(out)
        print(f"report: {path}")
    else:
        print(f"report: spc report {out}")
    return 0


def cmd_report(args) -> int:
    from .report import write_report

    path = write_report(args.dir, args.out)
    print(f"report: {path}")
    return 0


def add_study_parser(sub) -> None:
    p = sub.add_parser(
        "study",
        help="run an experiment file: a design over factors, paired structures, resumable",
        description="Run every run of an experiment (experiments/*.toml) not yet in the store "
        "--out DIR; killed or interrupted, the same command resumes.",
    )
    p.add_argument("experiment", help="experiment TOML file, e.g. experiments/policy_grid.toml")
    p.add_argument("--out", help="store folder (default: results/<experiment file stem>)")
    p.add_argument(
        "--workers",
        type=positive_int,
        help="local worker processes (default: all cores; 1 = serial)",
    )
    p.add_argument(
        "--dask",
        nargs="?",
        const="local",
        metavar="ADDRESS",
        help="run on Dask: a scheduler address (tcp://host:8786), or alone for a local "
        "cluster of --workers processes",
    )
    p.add_argument(
        "--extend",
        action="store_true",
        help="add a changed or different experiment to an existing store",
    )
    p.add_argument("--no-report", action="store_true", help="skip the report at the end")
    p.add_argument("--quiet", action="store_true", help="no progress bar or messages")
    p.set_defaults(func=cmd_study)

    p = sub.add_parser(
        "report",
        help="figures and a Markdown report of a study's store",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("dir", help="the study's store folder (spc study --out)")
    p.add_argument("--out", help="report folder (default: DIR/_report)")
    p.add_argument("--quiet", action="store_true", help="(no progress output to silence)")
    p.set_defaults(func=cmd_report)
