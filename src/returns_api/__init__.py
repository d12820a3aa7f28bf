"""returns-api: the returns back-end for online shops."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("returns-api")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"
