"""Service-profit-chain simulator: does it matter who hears the customer?"""

from importlib.metadata import PackageNotFoundError, version

from .config import Scenario, ScenarioError, load_scenario
from .model import ServiceProfitChainModel

try:
    __version__ = version("service-profit-chain")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"

__all__ = ["Scenario", "ScenarioError", "ServiceProfitChainModel", "__version__", "load_scenario"]
