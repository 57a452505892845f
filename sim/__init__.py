"""Service-profit-chain simulator: does it matter who hears the customer?"""

from importlib.metadata import PackageNotFoundError, version

from .config import Scenario, ScenarioError, load_scenario

try:
    __version__ = version("service-profit-chain")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"

__all__ = ["Scenario", "ScenarioError", "ServiceProfitChainModel", "__version__", "load_scenario"]


def __getattr__(name: str):
    # Mesa and the model load on first use, so `spc validate` and error reports
    # answer without paying for importing the simulation stack.
    if name == "ServiceProfitChainModel":
        from .model import ServiceProfitChainModel

        return ServiceProfitChainModel
    raise AttributeError(f"module 'sim' has no attribute {name!r}")
