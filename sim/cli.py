"""``spc``: the command-line interface.

Exit status: 0 success, 2 bad input (scenario file, --set value or argument),
1 an unexpected failure. Bad input is reported in one line per problem, naming
the file, the dotted field, the value and what is allowed; never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from . import __version__
from .argtypes import positive_int as _positive_int
from .argtypes import seed as _seed
from .config import STRUCTURES, ScenarioError, iter_parameters, load_scenario, parse_override

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


def _scenario(args) -> object:
    """The scenario with --set overrides; --days and --replications are validated as
    ``market.days`` and ``analysis.replications`` (same bounds as in a file)."""
    overrides = dict(parse_override(item) for item in (args.set or []))
    if args.days is not None:
        overrides["market.days"] = args.days
    if getattr(args, "replications", None) is not None:
        overrides["analysis.replications"] = args.replications
    return load_scenario(args.scenario, overrides)


def _check_output(path: Path, folder: bool) -> None:
    """Refuse an output path that cannot be written, before any run starts."""
    bad = None
    if folder and path.exists() and not path.is_dir():
        bad = "exists and is not a folder"
    elif not folder and path.is_dir():
        bad = "is a folder; give a file name ending in .parquet or .csv"
    else:
        parent = path if folder else path.parent
        for p in (parent, *parent.parents):
            if p.exists():
                if not p.is_dir():
                    bad = f"cannot be created: {p} is a file"
                elif not os.access(p, os.W_OK):
                    bad = f"cannot be created: {p} is not writable"
                break
    if bad:
        raise ScenarioError([f"--out {path}: {bad}"])


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenario", help="scenario TOML file, e.g. scenarios/baseline.toml")
    p.add_argument("--days", type=_positive_int, help="days to simulate (default: market.days)")
    p.add_argument("--seed", type=_seed, help="root seed (default: analysis.seed)")
    p.add_argument(
        "--set",
        action="append",
        metavar="KEY=VALUE",
        help="override a parameter by dotted key, e.g. --set customers.count=20000 (repeatable)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bars")


def cmd_run(args) -> int:
    scenario = _scenario(args)
    from .metrics import HEADLINE, summarise
    from .report import write_table
    from .runner import FOCAL_FIRM, RunSpec, measurement_start, provenance, run_one

    if args.out:
        _check_output(Path(args.out), folder=False)
    days = scenario.market.days
    seed = scenario.analysis.seed if args.seed is None else args.seed
    df = run_one(RunSpec(scenario, args.structure, seed, days))
    prov = provenance(scenario, seed, days, 1)
    prov["structure"] = str(args.structure)
    if args.out:
        path = write_table(df, args.out, prov, scenario.model_dump(mode="json"))
        print(f"wrote {len(df)} rows to {path}", file=sys.stderr)
    warm = measurement_start(scenario, days)
    s = summarise(df[(df["firm"] == FOCAL_FIRM) & (df["day"] >= warm)])
    print(f"focal firm, {args.structure}, days {warm}-{days - 1}, seed {seed}:")
    for name in HEADLINE:
        print(f"  {name:26s} {s[name]:.4g}")
    return 0


def cmd_compare(args) -> int:
    scenario = _scenario(args)
    from .report import comparison_figure, comparison_table, write_table
    from .runner import compare

    out = Path(args.out) if args.out else Path("results") / Path(args.scenario).stem
    _check_output(out, folder=True)
    result = compare(
        scenario,
        seed=args.seed,
        workers=args.workers,
        progress=not args.quiet,
        dask=args.dask,
    )
    params = scenario.model_dump(mode="json")
    write_table(result.summary, out / "summary.csv", result.provenance, params)
    write_table(result.runs, out / "runs.parquet", result.provenance, params)
    comparison_figure(result.runs, result.provenance, out / "comparison.png")
    if args.json:
        print(result.to_json())
    else:
        print(comparison_table(result.summary, result.provenance))
        print(f"\nwrote {out / 'summary.csv'}, {out / 'runs.parquet'}, {out / 'comparison.png'}")
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="spc",
        description="Service-profit-chain simulator: does it matter who hears the customer?",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("run", help="one run; write the daily metrics of every firm")
    _add_common(p)
    p.add_argument(
        "--structure",
        type=_structure,
        default="linear",
        help="focal firm's structure: linear, triangular or a direct share 0-1",
    )
    p.add_argument("--out", help="output file: .parquet (default) or .csv")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("compare", help="paired linear vs triangular comparison (focal firm)")
    _add_common(p)
    p.add_argument("--replications", type=_positive_int, help="paired replications")
    p.add_argument("--out", help="output folder (default: results/<scenario name>)")
    p.add_argument("--json", action="store_true", help="print the summary as JSON on stdout")
    p.add_argument("--workers", type=_positive_int, default=1, help="worker processes")
    p.add_argument(
        "--dask",
        nargs="?",
        const="local",
        metavar="ADDRESS",
        help="run on Dask: a scheduler address (tcp://host:8786), or alone for a local "
        "cluster of --workers processes",
    )
    p.set_defaults(func=cmd_compare)

    p = sub.add_parser("params", help="every parameter: default, range, unit, description")
    p.add_argument("scenario", nargs="?", help="also show this scenario's values")
    p.add_argument("--format", choices=("text", "markdown", "json"), default="text")
    p.set_defaults(func=cmd_params)

    p = sub.add_parser("validate", help="check scenario files; report every error")
    p.add_argument("scenarios", nargs="+", metavar="SCENARIO")
    p.set_defaults(func=cmd_validate)

    from .bench import add_bench_parser

    add_bench_parser(sub)
    from .facts import add_facts_parser

    add_facts_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except ScenarioError as exc:
        for line in exc.problems:
            print(line, file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `spc params | head`
        sys.stderr.close()
        return 0
    except OSError as exc:  # a file system problem the up-front checks could not foresee
        print(f"spc: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
