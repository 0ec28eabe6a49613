"""Compatibility knowledge: data files (CUDA, drivers, GPUs, wheels, images) and pure queries.

    from dlenv.knowledge import load_knowledge
    k = load_knowledge()
    k.gpu_by_name("NVIDIA GeForce RTX 4090").compute_capability  # "8.9"
"""

from dlenv.knowledge.cuda import DriverFloor
from dlenv.knowledge.gpus import GpuModel
from dlenv.knowledge.load import load_knowledge
from dlenv.knowledge.model import Knowledge

__all__ = ["DriverFloor", "GpuModel", "Knowledge", "load_knowledge"]
