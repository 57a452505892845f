"""``spc study EXPERIMENT`` and ``spc report DIR``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .. import lifecycle
from ..argtypes import add_dask_option, positive_int


def cmd_study(args) -> int:
    from ..evaluators import check_dask, usable_cpus
    from .execute import StudyInterrupted, run_study
    from .spec import Study

    study = Study.from_toml(args.experiment)
    check_dask(args.dask, "--dask")
    out = Path(args.out) if args.out else Path("results") / Path(args.experiment).stem
    workers = args.workers or usable_cpus()

    def log(msg: str) -> None:
        if not args.quiet:
            print(msg, file=sys.stderr)

    # Ctrl-C, SIGTERM and SIGHUP arrive as sim.lifecycle.Interrupted (spc installs the
    # handlers): the study stores what has finished and ends its workers
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
        # on to spc's own handling of a stop, which keeps the forced-exit timer armed:
        # the interpreter's exit joins the process pool's threads, and a pool whose
        # workers were killed mid-run has held a stopped study there for hours
        raise lifecycle.Interrupted(exc.exit_status - 128, said=True) from None
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
    add_dask_option(p)
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
