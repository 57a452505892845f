"""``spc``: the command-line interface.

Exit status: 0 success, 2 bad input (scenario file, --set value or argument),
1 an unexpected failure. Bad input is reported in one line per problem, naming
the file, the dotted field, the value and what is allowed; never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from . import __version__, lifecycle
from .argtypes import add_dask_option
from .argtypes import positive_int as _positive_int
from .argtypes import seed as _seed
from .config import (
    STRUCTURES,
    Scenario,
    ScenarioError,
    iter_parameters,
    load_scenario,
    parse_override,
)
from .outputs import check_output, overrides_tag, results_folder, run_record

EXIT_BAD_INPUT = 2


def _structure(text: str) -> str | float:
    if text in STRUCTURES:
        return text
    try:
        share = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a structure; allowed: linear, triangular, or a direct share 0-1"
        ) from None
    if not 0.0 <= share <= 1.0:
        raise argparse.ArgumentTypeError(f"direct share {share} must lie between 0 and 1")
    return share


def _overrides(args) -> tuple[dict, dict]:
    """--set values by dotted key, and how each was given (for messages)."""
    overrides, labels = {}, {}
    for item in args.set or []:
        key, value = parse_override(item)
        overrides[key], labels[key] = value, f"--set {item}"
    return overrides, labels


def _scenario(args) -> Scenario:
    """The scenario with --set overrides; --days and --replications are validated as
    ``market.days`` and ``analysis.replications`` (same bounds as in a file), and a
    bad value is reported against the option that gave it."""
    overrides, labels = _overrides(args)
    if args.days is not None:
        overrides["market.days"], labels["market.days"] = args.days, f"--days {args.days}"
    if getattr(args, "replications", None) is not None:
        overrides["analysis.replications"] = args.replications
        labels["analysis.replications"] = f"--replications {args.replications}"
    return load_scenario(args.scenario, overrides, labels=labels)


def _result_options(args) -> dict:
    """The options given that change results (not --workers, --quiet, ...)."""
    opts: dict = {}
    overrides, _ = _overrides(args)
    if overrides:
        opts["set"] = overrides
    for name in ("days", "replications", "seed", "structure"):
        value = getattr(args, name, None)
        if value is not None and not (name == "structure" and value == "linear"):
            opts[name] = value
    return opts


def _default_name(args) -> str:
    """``<scenario stem>``, plus a short hash of result-changing options when any are
    given: a run with --set never writes over the plain scenario's results."""
    stem = Path(args.scenario).stem
    opts = _result_options(args)
    return f"{stem}-{overrides_tag(opts)}" if opts else stem


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenario", help="scenario TOML file, e.g. scenarios/baseline.toml")
    p.add_argument("--days", type=_positive_int, help="days to simulate (default: market.days)")
    p.add_argument("--seed", type=_seed, help="root seed (default: analysis.seed)")
    p.add_argument(
        "--set",
        action="append",
        metavar="KEY=VALUE",
        help='override a parameter by dotted key; the value is TOML (true, 0.5, "text", '
        "[0.2, 0.4]; True and .5 are accepted too), e.g. --set customers.count=20000 "
        "(repeatable)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bars on stderr")


def cmd_run(args) -> int:
    scenario = _scenario(args)
    from .metrics import HEADLINE, summarise
    from .report import write_table
    from .runner import FOCAL_FIRM, RunSpec, measurement_start, provenance, run_one

    if args.out is None:
        out = Path("results") / f"{_default_name(args)}-run-{args.structure}.parquet"
    else:
        out = Path(args.out) if args.out.strip() else args.out
    check_output(out, folder=False)
    days = scenario.market.days
    seed = scenario.analysis.seed if args.seed is None else args.seed
    df = run_one(RunSpec(scenario, args.structure, seed, days))
    prov = provenance(scenario, seed, days, 1)
    prov["structure"] = str(args.structure)
    prov["overrides"] = _overrides(args)[0]
    prov.update(run_record(args.argv, args.scenario, _result_options(args)))
    path = write_table(df, out, prov, scenario.model_dump(mode="json"))
    warm = measurement_start(scenario, days)
    s = summarise(df[(df["firm"] == FOCAL_FIRM) & (df["day"] >= warm)])
    print(f"focal firm, {args.structure}, days {warm}-{days - 1}, seed {seed}:")
    for name in HEADLINE:
        print(f"  {name:26s} {s[name]:.4g}")
    print(f"wrote {len(df)} rows (every firm, every day) to {path}", file=sys.stderr)
    return 0


def cmd_compare(args) -> int:
    scenario = _scenario(args)
    from .evaluators import check_dask
    from .report import comparison_figure, comparison_table, write_table
    from .runner import compare

    check_dask(args.dask, "--dask")
    if args.out is None:
        out = Path("results") / _default_name(args)
    else:
        out = Path(args.out) if args.out.strip() else args.out
    check_output(out, folder=True)
    result = compare(
        scenario,
        seed=args.seed,
        workers=args.workers,
        progress=not args.quiet,
        dask=args.dask,
    )
    result.provenance["overrides"] = _overrides(args)[0]
    params = scenario.model_dump(mode="json")
    record = {**result.provenance, **run_record(args.argv, args.scenario, _result_options(args))}
    with results_folder(out) as tmp:
        write_table(result.summary, tmp / "summary.csv", result.provenance, params)
        write_table(result.runs, tmp / "runs.parquet", result.provenance, params)
        comparison_figure(result.runs, result.provenance, tmp / "comparison.png")
        (tmp / "provenance.json").write_text(
            json.dumps({**record, "parameters": params}, indent=2, default=str) + "\n",
            encoding="utf-8",
        )
    if args.json:
        print(result.to_json())
    else:
        print(comparison_table(result.summary, result.provenance))
    print(
        f"results in {out}/: summary.csv, runs.parquet, comparison.png, provenance.json",
        file=sys.stderr if args.json else sys.stdout,
    )
    return 0


def cmd_params(args) -> int:
    scenario = load_scenario(args.scenario) if args.scenario else None
    rows = list(iter_parameters(scenario))
    if args.format == "json":
        print(json.dumps([r.__dict__ for r in rows], indent=2, default=str))
        return 0
    if args.format == "markdown":
        from .odd import parameter_table

        print(parameter_table())
        return 0
    for r in rows:
        rng = f"[{r.low}, {r.high}]" if r.low is not None else "-"
        value = "" if scenario is None or r.value == r.default else f"  (scenario: {r.value})"
        src = f"  [{r.basis}]" if r.basis else ""
        print(f"{r.path:45s} {r.default!s:>12} {rng:>18} {r.unit:<24} {r.description}{src}{value}")
    return 0


def cmd_validate(args) -> int:
    bad = 0
    for path in args.scenarios:
        try:
            scenario = load_scenario(path)
        except ScenarioError as exc:
            bad += 1
            for line in exc.problems:
                print(line, file=sys.stderr)
        else:
            print(f"{path}: ok ({scenario.meta.name}, {scenario.digest()})")
    return EXIT_BAD_INPUT if bad else 0


class _Parser(argparse.ArgumentParser):
    """Bad arguments: one line naming the problem and where to look, exit status 2
    (not the whole usage text before the line that matters)."""

    def error(self, message: str):
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="spc",
        description="Service-profit-chain simulator: does it matter who hears the customer?",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser(
        "run",
        help="one run; print the focal firm's summary, write every firm's daily metrics",
        description="One run. Prints the focal firm's summary over the measured days and "
        "writes every firm's daily metrics (with provenance in the file metadata) to --out.",
    )
    _add_common(p)
    p.add_argument(
        "--structure",
        type=_structure,
        default="linear",
        help="focal firm's structure: linear, triangular or a direct share 0-1",
    )
    p.add_argument(
        "--out",
        help="output file, Parquet or CSV if it ends in .csv (default: "
        "results/<scenario file name>[-<hash of options>]-run-<structure>.parquet)",
    )
    p.set_defaults(func=cmd_run)

    p = sub.add_parser(
        "compare",
        help="paired linear vs triangular comparison (focal firm)",
        description="Paired linear vs triangular comparison of the focal firm on common "
        "random numbers. Prints the table and writes summary.csv, runs.parquet, "
        "comparison.png and provenance.json to --out, replacing an earlier result there "
        "as a whole. Ctrl-C or SIGTERM stops it within seconds (exit 130 / 143).",
    )
    _add_common(p)
    p.add_argument(
        "--replications",
        type=_positive_int,
        help="paired replications (default: analysis.replications)",
    )
    p.add_argument(
        "--out",
        help="output folder (default: results/<scenario file name>, or "
        "results/<scenario file name>-<hash> when --set, --days, --replications or --seed "
        "is given, so the plain scenario's results are never overwritten)",
    )
    p.add_argument("--json", action="store_true", help="print the summary as JSON on stdout")
    p.add_argument(
        "--workers",
        type=_positive_int,
        default=1,
        help="worker processes (default 1; capped at the CPUs available)",
    )
    add_dask_option(p)
    p.set_defaults(func=cmd_compare)

    p = sub.add_parser("params", help="every parameter: default, range, unit, description")
    p.add_argument("scenario", nargs="?", help="also show this scenario's values")
    p.add_argument("--format", choices=("text", "markdown", "json"), default="text")
    p.set_defaults(func=cmd_params)

    p = sub.add_parser("validate", help="check scenario files; report every error")
    p.add_argument("scenarios", nargs="+", metavar="SCENARIO")
    p.set_defaults(func=cmd_validate)

    from benchmarks.bench import add_bench_parser

    add_bench_parser(sub)
    from .survey_cli import add_survey_parsers

    add_survey_parsers(sub)
    from .study.cli import add_study_parser

    add_study_parser(sub)
    from .ui import add_ui_parser

    add_ui_parser(sub)
    from .facts import add_facts_parser

    add_facts_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    lifecycle.install_signal_handlers()
    interrupted = False
    try:
        return args.func(args)
    except ScenarioError as exc:
        for line in exc.problems:
            print(line, file=sys.stderr)
        return EXIT_BAD_INPUT
    except lifecycle.Interrupted as exc:  # SIGINT, SIGTERM, SIGHUP: workers already ended
        if not exc.said:
            print(f"spc {args.command}: {exc}; stopped", file=sys.stderr)
        interrupted = True  # the forced-exit timer stays armed through interpreter exit
        if argv is None:  # the spc command itself: no library clean-up at exit to wait for
            lifecycle.exit_now(exc.exit_status)
        return exc.exit_status
    except KeyboardInterrupt:
        print(f"spc {args.command}: interrupted; stopped", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `spc params | head`
        sys.stderr.close()
        return 0
    except OSError as exc:  # a file system problem the up-front checks could not foresee
        print(f"spc: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    finally:
        lifecycle.restore_signal_handlers(keep_timer=interrupted)


if __name__ == "__main__":
    sys.exit(main())
