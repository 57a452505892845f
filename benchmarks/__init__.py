"""Performance benchmarks, kept out of the simulator package ``sim``.

``spc bench`` (registered by :func:`benchmarks.bench.add_bench_parser`) and
``python -m benchmarks`` run them; :mod:`benchmarks.reference_mesa` is the plain-Mesa
reference market the model is compared with.
"""
