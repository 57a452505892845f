"""Experiments built on the public API (``sim.load_scenario``, ``sim.runner``)."""
