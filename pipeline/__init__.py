"""lowprec: how many significand bits does a simulation need, and does stochastic rounding
let it go lower? See README.md and ARCHITECTURE.md."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("lowprec-pipeline")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"
