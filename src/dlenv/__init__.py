"""dlenv: a GPU deep-learning dev environment in a container, reachable by SSH and JupyterLab."""

__version__ = "0.1.0"
