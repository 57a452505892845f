"""Experiments: declarative sweeps and sensitivity studies over the model (or any model).

A *study* samples factors (dotted parameter paths with ranges or levels) by a design
(full factorial, Latin hypercube, Sobol, Morris), runs every point under both
feedback structures on common random numbers for a number of replications, stores
one summary row per run in a resumable Parquet store, and analyses the paired
difference (triangular - linear): Sobol and Morris indices, heatmaps, convergence
over replications and PRIM scenario discovery.

    from sim.study import Factor, Study

    study = Study(factors=[Factor("firm.supervisor.style", 0, 1),
                           Factor("customers.harshness", 0, 1)], design="sobol", n=64)
    study.run(out="results/my_study")       # or .run(evaluator, out=...)
    result = study.analyze()

``Study.from_toml("experiments/structure_sobol.toml")`` reads the same from a file.
"""

from .spec import Factor, Study

__all__ = ["Factor", "Study"]
