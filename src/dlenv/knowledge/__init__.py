"""Compatibility knowledge: data files (CUDA, drivers, GPUs, wheels, images) and pure queries.

    from dlenv.knowledge import load_knowledge
    k = load_knowledge()
    k.gpu_by_name("NVIDIA GeForce RTX 4090").compute_capability  # "8.9"

The tables' records are frozen msgspec structs, as the spec's tables are: a struct class is made
in C, where a dataclass costs 0.7-0.8 ms to make at import on Python 3.11, and every command
that resolves imports these modules (bench/RESULTS-doctor.md).
"""

from dlenv.knowledge.cuda import DriverFloor
from dlenv.knowledge.gpus import GpuModel
from dlenv.knowledge.load import load_knowledge
from dlenv.knowledge.model import Knowledge

__all__ = ["DriverFloor", "GpuModel", "Knowledge", "load_knowledge"]
