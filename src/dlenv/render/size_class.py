"""The expected size class of an image, stated by `dlenv render` before anything is built.

Sizes depend on the packages, so these are classes with their reasons, not promises. Sources:
- the nvidia/cuda flavours: base = libcudart only; runtime = + all CUDA shared libraries;
  devel = + compiler toolchain, headers and static libraries
  (https://gitlab.com/nvidia/container-images/cuda, README "Overview of Images");
- devel is typically 2-4 GB larger than runtime (https://tally.wharflab.com/rules/tally/gpu/prefer-runtime-final-stage);
- the tutorial's devel-based images: torch 10.2 GB, rapids 16.6 GB compressed
  (shared/reference/anchors.md, stage 6); PyTorch's CUDA wheels bring their own CUDA and cuDNN
  libraries from PyPI (the nvidia-* wheels), which is why slim needs no CUDA toolkit in the base.
"""

from __future__ import annotations

from dataclasses import dataclass

from dlenv.resolve import ResolvedEnv


@dataclass(frozen=True)
class SizeClass:
    label: str  # "small", "large", "largest"
    reason: str


_GPU = {
    "slim": SizeClass(
        "smallest GPU image",
        "CUDA `base` image (libcudart only); the PyTorch wheels bring the CUDA libraries, "
        "so nothing is duplicated; no nvcc",
    ),
    "runtime": SizeClass(
        "large",
        "CUDA `runtime` image: all CUDA shared libraries, which the wheels' own CUDA libraries "
        "partly duplicate; no nvcc",
    ),
    "devel": SizeClass(
        "largest",
        "CUDA `devel` image: runtime + nvcc, headers and static libraries (typically 2-4 GB more "
        'than runtime); for compiling CUDA extensions, else use flavor = "slim"',
    ),
}


def size_class(env: ResolvedEnv) -> SizeClass:
    if not env.is_gpu:
        return SizeClass("small", "plain OS base and CPU wheels: no CUDA libraries at all")
    if env.spec.image.base != "auto":
        return SizeClass(
            "set by your base image",
            f"{env.base_image}; image.flavor only chooses among the nvidia/cuda images",
        )
    return _GPU[env.spec.image.flavor]
