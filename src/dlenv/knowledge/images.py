"""nvidia/cuda base images: which tags exist and how a tag is spelled for a CUDA version."""

from __future__ import annotations

import msgspec

from dlenv.knowledge.versions import as_tuple, xy


class CudaImage(msgspec.Struct, frozen=True):
    cuda: str  # "12.8.1"
    cudnn_tag: str  # "cudnn", "cudnn9", "cudnn8"
    os: str  # "ubuntu24.04"
    source: str = ""
    as_of: str = ""


class ImageTable(msgspec.Struct, frozen=True):
    repository: str
    preferred_os: tuple[str, ...]
    flavors: dict[str, str]  # spec flavor -> tag flavor template
    images: tuple[CudaImage, ...]

    def newest(self, cuda_xy: str) -> CudaImage | None:
        """The newest point release of X.Y on the most preferred OS that has it."""
        for os_name in self.preferred_os:
            rows = [i for i in self.images if i.os == os_name and xy(i.cuda) == cuda_xy]
            if rows:
                return max(rows, key=lambda i: as_tuple(i.cuda))
        return None

    def reference(self, image: CudaImage, flavor: str) -> str:
        kind = self.flavors[flavor].format(cudnn=image.cudnn_tag)
        return f"{self.repository}:{image.cuda}-{kind}-{image.os}"
