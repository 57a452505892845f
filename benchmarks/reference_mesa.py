"""Plain-Mesa reference market: one ``mesa.Agent`` per customer, ``shuffle_do``.

The model lives in :mod:`sim.bench_reference` so that the installed package
(``spc bench``) can import it; this file is a thin script around it and can be
imported as a module too::

    python benchmarks/reference_mesa.py --customers 20000 --days 60
    python benchmarks/reference_mesa.py --flavour numpy

    >>> from reference_mesa import ReferenceMarketModel
    >>> ReferenceMarketModel(customers=1000, seed=1).run(10)
"""

from __future__ import annotations

import sys

from sim.bench_reference import (
    FLAVOURS,
    NumpyReferenceCustomer,
    ReferenceCustomer,
    ReferenceMarketModel,
    main,
    time_reference,
)

__all__ = [
    "FLAVOURS",
    "NumpyReferenceCustomer",
    "ReferenceCustomer",
    "ReferenceMarketModel",
    "main",
    "time_reference",
]

if __name__ == "__main__":
    sys.exit(main())
