"""Mutation testing as a habit: run mutmut over the mechanisms, summaries and config
validation, and write the score and the surviving mutants to results/mutation/.

    python tools/mutation.py                      # every target mutant (slow: hours)
    python tools/mutation.py --sample 40          # a random sample (MUTATE_SAMPLE, MUTATE_SEED)
    python tools/mutation.py --only 'sim.metrics.*' --only 'sim.runner.x_paired_summary*'
    python tools/mutation.py --report             # rewrite the report from results so far
    python tools/mutation.py --show NAME          # a mutant's change and fingerprint

mutmut (configured under [tool.mutmut] in pyproject.toml) copies the project into
mutants/, runs the fast tests once to learn which tests call which function, then runs
each mutant against those tests only. The regression pins are not among them: a mutant
counts as killed only if a behavioural test fails.

Score = killed / (mutants checked - documented equivalents). Mutants reviewed and found
equivalent (no test could tell them apart from the original) are listed with the reason
in tools/equivalent_mutants.txt; they are reported but not counted.
"""

from __future__ import annotations

import argparse
import ast
import difflib
import fnmatch
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MUTANTS = ROOT / "mutants"
OUT = ROOT / "results" / "mutation"
EQUIVALENT = ROOT / "tools" / "equivalent_mutants.txt"

# What is mutated: the mechanism modules whole, and of the runner only the summaries
# (its evaluators schedule runs and are tested end to end by the CLI tests).
TARGETS = (
    "sim.choice.*",
    "sim.encounter.*",
    "sim.routing.*",
    "sim.word_of_mouth.*",
    "sim.engagement.*",
    "sim.workforce.*",
    "sim.finance.*",
    "sim.metrics.*",
    "sim.runner.x_paired_summary*",
    "sim.runner.x_measurement_start*",
    "sim.runner.x_compare*",
    "sim.config.*",
)

# Functions that run only while a module is imported (building the schema's fields):
# mutmut switches a mutant on in a process forked after import, so their mutants can
# never take effect. Left out of the score; their behaviour is tested through the
# schema (tests/test_config.py: bounds of every field).
IMPORT_TIME = (
    "sim.config.x_P__*",
    "sim.config.x_R__*",
    "sim.config.x_RangeType__*",
    "sim.config.x__range_checker__*",
    "sim.config.x__basis__*",
    "sim.config.x__partial__*",
)

# The per-agent passes are compiled with numba by a call after their definition
# (sim/jit.py): with JIT disabled the same functions run as Python, so mutmut's
# trampolines inside them work and its mutants take effect. mutmut runs the stats
# collection, the clean run and every mutant in processes forked from this one, so
# they all inherit the variable.
MUTMUT_ENV = {"NUMBA_DISABLE_JIT": "1"}

# mutmut's exit-code classes (mutmut.stats.status_by_exit_code)
KILLED = {1: "killed", 3: "killed"}
TIMEOUT = {36, 24, -24, 152, 255}
SURVIVED, NO_TESTS = {0}, {5, 33}


def status(code: int | None) -> str:
    if code is None:
        return "not checked"
    if code in KILLED:
        return "killed"
    if code in TIMEOUT:
        return "timeout"  # an infinite loop or a huge slowdown: counted as killed
    if code in SURVIVED:
        return "survived"
    if code in NO_TESTS:
        return "no tests"
    return f"other ({code})"


def mutmut() -> list[str]:
    exe = shutil.which("mutmut", path=str(Path(sys.executable).parent)) or shutil.which("mutmut")
    if exe is None:
        sys.exit("mutmut is not installed: pip install -e '.[mutation]' (make mutate does this)")
    return [exe]


def compiled_passes() -> tuple[str, ...]:
    """Name patterns of the compiled passes' mutants: every ``name = compiled(name)``
    at the top level of a target module (the convention of sim/jit.py)."""
    found = []
    for target in TARGETS:
        module = target.split(".x_")[0].rstrip(".*")
        path = ROOT / (module.replace(".", "/") + ".py")
        if not path.exists() or not target.endswith(".*"):
            continue
        for node in ast.parse(path.read_text()).body:
            call = node.value if isinstance(node, ast.Assign) else None
            if (
                isinstance(call, ast.Call)
                and isinstance(call.func, ast.Name)
                and call.func.id == "compiled"
                and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name)
            ):
                found.append(f"{module}.x_{node.targets[0].id}__mutmut_*")
    return tuple(found)


def all_mutants() -> dict[str, int | None]:
    """Every generated mutant and its last exit code, from mutmut's .meta files."""
    found: dict[str, int | None] = {}
    for meta in sorted(MUTANTS.rglob("*.py.meta")):
        found.update(json.loads(meta.read_text())["exit_code_by_key"])
    return found


def targeted(names, patterns) -> list[str]:
    def match(n, pats):
        return any(fnmatch.fnmatch(n, p) for p in pats)

    return sorted(n for n in names if match(n, patterns) and not match(n, IMPORT_TIME))


def _functions(module: str) -> dict[str, str]:
    """Source of every function (and method) in the mutated copy of ``module``."""
    path = MUTANTS / (module.replace(".", "/") + ".py")
    if not path.exists():
        return {}
    src = path.read_text()
    return {
        node.name: ast.get_source_segment(src, node) or ""
        for node in ast.walk(ast.parse(src))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    }


def mutant_diff(name: str, cache: dict | None = None) -> list[str]:
    """The lines a mutant changes (``-`` original, ``+`` mutated), without the name."""
    module, _, func = name.rpartition(".")
    base = func.rpartition("__mutmut_")[0]
    cache = {} if cache is None else cache
    if module not in cache:
        cache[module] = _functions(module)
    funcs = cache[module]
    orig, mut = funcs.get(f"{base}__mutmut_orig"), funcs.get(func)
    if orig is None or mut is None:
        return []
    orig = orig.replace(f"{base}__mutmut_orig", base, 1).splitlines()
    mut = mut.replace(func, base, 1).splitlines()
    return [
        line[0] + line[1:].strip()
        for line in difflib.unified_diff(orig, mut, lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("---", "+++"))
    ]


def fingerprint(name: str, cache: dict | None = None) -> str:
    """What the mutant changes, hashed: mutmut numbers a function's mutants in order, so
    editing the function renumbers them and a documented name can come to mean another
    mutant. The fingerprint ties the review to the change itself."""
    diff = mutant_diff(name, cache)
    if not diff:
        return ""
    return hashlib.sha1("\n".join(diff).encode()).hexdigest()[:10]


def equivalents() -> dict[str, tuple[str, str]]:
    """Documented equivalents: name -> (fingerprint, reason)."""
    out = {}
    if EQUIVALENT.exists():
        for line in EQUIVALENT.read_text().splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                name, _, rest = line.partition(" ")
                mark, _, why = rest.strip().partition(" ")
                out[name] = (mark, why.strip())
    return out


def reviewed_equivalent(names, results) -> tuple[set[str], list[str]]:
    """Names among ``names`` documented as equivalent whose change is still the one
    reviewed, and documented names that no longer exist or now mean another change
    (review them again)."""
    cache: dict = {}
    equiv, ok, stale = equivalents(), set(), []
    for name, (mark, _) in sorted(equiv.items()):
        if name not in results or fingerprint(name, cache) != mark:
            stale.append(name)
        elif name in names:
            ok.add(name)
    return ok, stale


def generate() -> None:
    """Create mutants/ without running any test: mutmut's own generation step."""
    code = (
        "import mutmut.__main__ as m\n"
        "from mutmut.configuration import config\n"
        "import os\n"
        "os.makedirs('mutants', exist_ok=True)\n"
        "m.copy_src_dir(); m.copy_also_copy_files(); m.setup_source_paths()\n"
        "m.create_mutants(1)\n"
    )
    subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
        env=os.environ | MUTMUT_ENV,
    )


def run(names: list[str], jobs: int) -> None:
    # mutmut re-runs every mutant named explicitly, so pass the selection as names
    # (or as patterns for whole modules, which it resumes where it left off)
    cmd = [*mutmut(), "run", "--max-children", str(jobs), *names]
    subprocess.run(cmd, cwd=ROOT, check=False, env=os.environ | MUTMUT_ENV)


def report(patterns, sample: list[str] | None) -> int:
    results = all_mutants()
    names = sample if sample is not None else targeted(results, patterns)
    equiv, stale = reviewed_equivalent(set(names), results)
    by = {n: status(results.get(n)) for n in names}
    counts = Counter(by.values())
    documented = [n for n in names if n in equiv]
    checked = [n for n in names if by[n] != "not checked"]
    killed = [n for n in checked if by[n] in ("killed", "timeout")]
    survivors = [n for n in checked if by[n] not in ("killed", "timeout") and n not in equiv]
    denominator = len(checked) - len([n for n in documented if by[n] != "not checked"])
    score = len(killed) / denominator if denominator else float("nan")
    modules = Counter(n.split(".x_")[0].split(".xǁ")[0] for n in checked)
    OUT.mkdir(parents=True, exist_ok=True)
    summary = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "selection": "sample" if sample is not None else list(patterns),
        "mutants": len(names),
        "checked": len(checked),
        "status_counts": dict(counts),
        "documented_equivalent": len(documented),
        "killed": len(killed),
        "score": round(score, 4) if score == score else None,
        "checked_by_module": dict(sorted(modules.items())),
        "survivors": survivors,
        "stale_equivalents": stale,
    }
    (OUT / "score.json").write_text(json.dumps(summary, indent=2) + "\n")
    cache: dict = {}
    lines = [
        f"{n}\t{by[n]}\t{fingerprint(n, cache)}\t{' | '.join(mutant_diff(n, cache))}"
        for n in survivors
    ]
    (OUT / "survivors.txt").write_text("\n".join(lines) + ("\n" if lines else ""))
    print(
        f"mutation score {summary['score']}: {len(killed)} killed of {denominator} "
        f"checked non-equivalent mutants ({len(documented)} documented equivalent, "
        f"{counts.get('not checked', 0)} not checked); {len(survivors)} survivors listed in "
        f"{(OUT / 'survivors.txt').relative_to(ROOT)}"
    )
    if summary["stale_equivalents"]:
        print(
            f"note: {len(stale)} documented equivalents no longer exist or now mean another "
            "change (review again): " + ", ".join(stale)
        )
    return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sample", type=int, default=int(os.environ.get("MUTATE_SAMPLE", 0) or 0))
    ap.add_argument("--seed", type=int, default=int(os.environ.get("MUTATE_SEED", 0) or 0))
    ap.add_argument("--only", action="append", help="mutant name pattern (repeatable)")
    ap.add_argument(
        "--compiled",
        action="store_true",
        help="only the compiled passes (name = compiled(name)), with any --only patterns",
    )
    ap.add_argument("--jobs", type=int, default=int(os.environ.get("MUTATE_JOBS", 1)))
    ap.add_argument("--report", action="store_true", help="only rewrite the report")
    ap.add_argument("--show", metavar="NAME", action="append", help="print a mutant's change")
    ap.add_argument(
        "--reuse-stats",
        action="store_true",
        help="keep mutmut's record of which tests call which function (only tests were added)",
    )
    args = ap.parse_args(argv)
    patterns = tuple(args.only) if args.only else TARGETS
    if args.compiled:
        patterns = (*(args.only or ()), *compiled_passes())
    if args.show:
        for name in args.show:
            diff = mutant_diff(name)
            print(name, fingerprint(name) or "(no such mutant: run mutmut once to generate)")
            print("\n".join(f"  {line}" for line in diff))
        return 0
    if args.report:
        return report(patterns, None)
    if not args.reuse_stats:
        # mutmut keeps the record for tests it has seen even when the code they call
        # changed; a stale record sends mutants to too few tests (false survivors)
        (MUTANTS / "mutmut-stats.json").unlink(missing_ok=True)
    generate()
    names = targeted(all_mutants(), patterns)
    if not names:
        sys.exit(f"no mutants match {patterns}")
    if args.sample:
        sample = sorted(random.Random(args.seed).sample(names, min(args.sample, len(names))))
        print(f"sampled {len(sample)} of {len(names)} mutants (seed {args.seed})")
        run(sample, args.jobs)
        return report(patterns, sample)
    run(names, args.jobs)
    return report(patterns, None)


if __name__ == "__main__":
    sys.exit(main())
