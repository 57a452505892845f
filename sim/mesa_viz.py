"""Mesa's own SolaraViz on this model.

SolaraViz re-creates a model on reset as ``type(model)(**params)`` and adds a
``scenario`` keyword holding Mesa's experimental Scenario object. ``KeywordModel``
is the model with keyword-only parameters that tolerates both; dotted parameters
are written with ``__`` for the dot, as in ``ServiceProfitChainModel.from_params``.

    from mesa.visualization import SolaraViz, make_plot_component
    from sim.mesa_viz import KeywordModel, model_params

    page = SolaraViz(KeywordModel(), components=[...], model_params=model_params())
"""

from __future__ import annotations

from typing import Any

from .config import Scenario, iter_parameters, load_scenario
from .model import ServiceProfitChainModel

# levers offered as SolaraViz sliders: dotted path -> (min, max, step)
VIZ_LEVERS = {
    "firm.supervisor.style": (0.0, 1.0, 0.05),
    "firm.supervisor.filter_fidelity": (0.0, 1.0, 0.05),
    "firm.supervisor.review_cadence_days": (1, 30, 1),
    "firm.policy.involvement": (0.0, 1.0, 0.05),
    "firm.policy.customer_focus": (0.0, 1.0, 0.05),
}


class KeywordModel(ServiceProfitChainModel):
    """The model built from keywords only (Mesa's Scenario object is ignored)."""

    def __init__(
        self,
        preset: str | None = None,
        structure: str | float = "linear",
        seed: int | None = None,
        scenario: Any = None,
        **params: Any,
    ):
        if isinstance(seed, str):  # SolaraViz's text input gives a string
            seed = int(seed) if seed.strip() else None
        base = scenario if isinstance(scenario, Scenario) else None
        overrides = {k.replace("__", "."): v for k, v in params.items()}
        if base is None:
            base = load_scenario(preset, overrides)
        elif overrides:
            base = base.with_overrides(overrides)
        seed = base.analysis.seed if seed is None else seed
        super().__init__(base, structure=structure, seed=seed)


def model_params() -> dict[str, Any]:
    """SolaraViz ``model_params``: the structure, the seed and the main levers."""
    info = {p.path: p for p in iter_parameters()}
    out: dict[str, Any] = {
        "structure": {
            "type": "Select",
            "value": "linear",
            "values": ["linear", "triangular"],
            "label": "Feedback structure (focal firm)",
        },
        "seed": {"type": "InputText", "value": 1, "label": "Seed"},
    }
    for path, (lo, hi, step) in VIZ_LEVERS.items():
        p = info[path]
        out[path.replace(".", "__")] = {
            "type": "SliderInt" if isinstance(step, int) else "SliderFloat",
            "value": p.default,
            "min": lo,
            "max": hi,
            "step": step,
            "label": f"{p.description} ({p.unit})",
        }
    return out
