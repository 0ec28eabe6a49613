"""dlenv: a GPU deep-learning dev environment in a container, reachable by SSH and JupyterLab."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("dlenv")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0.0.0+unknown"
