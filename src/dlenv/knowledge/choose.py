"""Pick a working CUDA / base image / torch wheel / package builds for a GPU host, or say why not.

Pure: a Request (what is asked, what the host has) and the Knowledge in, a Choice or a list of
reasons out. `dlenv compat` and the resolver both ask here, so they always agree.

For `cuda = "auto"` every CUDA release with an nvidia/cuda image is a candidate; a candidate works
when the driver runs it (fully, or through minor-version compatibility within its major), it can
target every GPU, a torch wheel for it has kernels for every GPU and the requested Python, and
every requested package group ships a build for its major whose floors the host meets. Among the
working ones: PyTorch-stable variants before experimental ones, then the newest CUDA, then the
newest torch.

A CUDA asked for ("X.Y", from `--cuda` or image.cuda) names the base image. When PyTorch ships no
wheel of that CUDA that fits, the best wheel of the same CUDA major serves (see `_wheel`), and
the choice's warnings explain the pairing.
"""

from __future__ import annotations

import msgspec

from dlenv.knowledge.drivers import branch, driver_install_fix
from dlenv.knowledge.gpus import GpuModel
from dlenv.knowledge.images import CudaImage
from dlenv.knowledge.model import Knowledge
from dlenv.knowledge.packages import PackageGroup
from dlenv.knowledge.versions import Version, as_tuple, xy
from dlenv.knowledge.wheels import TorchWheel, runs_on

GROUP_TITLES = {"rapids": "RAPIDS", "dali": "DALI", "cupy": "CuPy"}


class Gpu(msgspec.Struct, frozen=True):
    """A GPU as the chooser sees it: the board name and its compute capability."""

    name: str
    cc: str
    architecture: str = ""

    @property
    def label(self) -> str:
        arch = f"{self.architecture} " if self.architecture else ""
        return f"{self.name} ({arch}{self.cc})"


class Request(msgspec.Struct, frozen=True):
    gpus: tuple[Gpu, ...] = ()
    driver: Version | None = None
    cuda: str = "auto"  # or "X.Y"
    torch: str | None = "auto"  # "auto", "X.Y", or None when torch is not installed
    groups: tuple[str, ...] = ()
    python: str | None = None  # "3.12"; None: not checked (the image's own python)
    flavor: str = "devel"


class Choice(msgspec.Struct, frozen=True):
    cuda: str  # "12.8"
    image: CudaImage
    base_image: str
    wheel: TorchWheel | None
    stable: bool  # the torch variant is one PyTorch calls stable
    minor_compat: bool  # the driver runs this CUDA only through minor-version compatibility
    groups: tuple[PackageGroup, ...]
    warnings: tuple[str, ...] = ()


class Reason(msgspec.Struct, frozen=True):
    rule: str  # "driver", "arch", "kernels", "group", "python", "availability"
    text: str


class Verdict(msgspec.Struct, frozen=True):
    choice: Choice | None
    reasons: tuple[str, ...] = ()

    @property
    def compatible(self) -> bool:
        return self.choice is not None


def gpu_from_model(model: GpuModel) -> Gpu:
    return Gpu(model.name, model.compute_capability, model.architecture)


def choose(k: Knowledge, request: Request) -> Verdict:
    blockers = _global_reasons(k, request)
    if blockers:
        return Verdict(None, tuple(blockers))
    candidates = [request.cuda] if request.cuda != "auto" else list(reversed(k.cuda.versions()))
    if request.cuda != "auto" and k.cuda.release(request.cuda) is None:
        known = ", ".join(k.cuda.versions())
        reason = f"CUDA {request.cuda} is not a release dlenv knows; use one of {known}"
        return Verdict(None, (reason,))
    working: list[Choice] = []
    failures: list[list[Reason]] = []
    for cuda in candidates:
        choice, reasons = _try_cuda(k, request, cuda)
        if choice:
            working.append(choice)
        else:
            failures.append(reasons)
    if working:
        best = max(working, key=_rank)
        return Verdict(best, ())
    return Verdict(None, tuple(_summarise(failures)))


def _rank(choice: Choice) -> tuple[bool, Version, Version]:
    torch = as_tuple(choice.wheel.torch) if choice.wheel else ()
    return choice.stable, as_tuple(choice.cuda), torch


def _summarise(failures: list[list[Reason]]) -> list[str]:
    """Distinct reasons over all candidates, newest CUDA first. Reasons are worded per CUDA
    major, so ten 12.x candidates failing one rule read as one line; "no wheel for this CUDA"
    lines are dropped when something more telling exists."""
    flat = [reason for reasons in failures for reason in reasons]
    telling = [r for r in flat if r.rule != "availability"] or flat
    seen: dict[str, None] = {}
    for reason in telling:
        seen.setdefault(reason.text, None)
    return list(seen) or ["no CUDA release fits this request"]


def _global_reasons(k: Knowledge, request: Request) -> list[str]:
    """Problems no CUDA choice can fix: they are reported alone, so the message stays short."""
    reasons: list[str] = []
    if request.driver is not None:
        floors = sorted((as_tuple(m.minor_compat_floor), m) for m in k.cuda.majors)
        if request.driver < floors[0][0]:
            lowest = floors[0][1]
            reasons.append(
                f"driver {_v(request.driver)} is older than every CUDA major dlenv can use "
                f"(CUDA {lowest.major}.x needs >= {lowest.minor_compat_floor}); "
                + driver_install_fix(lowest.minor_compat_floor)
            )
        for gpu in request.gpus:
            first = k.gpu_first_driver(k.gpus.by_name(gpu.name), gpu.architecture)
            if first and request.driver < as_tuple(first):
                driver = _v(request.driver)
                reasons.append(
                    f"driver {driver} ({branch(driver)}) does not support {gpu.label}: NVIDIA's "
                    f"driver sees it from {first} ({branch(first)}) on; "
                    + driver_install_fix(first)
                )
    for group in request.groups:
        builds = [b for b in k.packages.variants(group) if b.min_cc]
        if not builds:
            continue
        lowest_cc = min(as_tuple(b.min_cc or "0.0") for b in builds)
        for gpu in request.gpus:
            if as_tuple(gpu.cc) < lowest_cc:
                title = GROUP_TITLES.get(group, group)
                reasons.append(
                    f"{title} needs compute capability >= {_v(lowest_cc)}; {gpu.label} is below "
                    f'its floor; remove "{group}" from the groups or use a newer GPU'
                )
    if request.torch not in (None, "auto"):
        reasons += _torch_kernel_reasons(k, request.torch, request.gpus)
    return reasons


def _torch_kernel_reasons(k: Knowledge, torch: str, gpus: tuple[Gpu, ...]) -> list[str]:
    wheels = [w for w in k.torch.wheels if w.minor == torch and w.variant != "cpu"]
    if not wheels:
        known = ", ".join(k.torch.minors())
        return [f"torch {torch} has no CUDA wheels dlenv knows; use one of {known} or \"auto\""]
    reasons = []
    for gpu in gpus:
        if any(_has_kernels(k, w, gpu) for w in wheels):
            continue
        first = next(
            (w for w in k.torch.wheels if w.variant != "cpu" and _has_kernels(k, w, gpu)), None
        )
        last = [w for w in k.torch.wheels if w.variant != "cpu" and _has_kernels(k, w, gpu)]
        if first and as_tuple(first.torch) > as_tuple(wheels[-1].torch):
            fix = f"it needs torch >= {first.minor} (with a {first.variant} or newer wheel); "
            fix += f'set torch to "{first.minor}" or newer, or "auto"'
        elif last:
            fix = f'the last torch with kernels for it is {last[-1].minor} ({last[-1].variant}); '
            fix += f'set torch to "{last[-1].minor}" or older, or "auto"'
        else:
            fix = "no PyTorch wheel dlenv knows has kernels for it; use a supported GPU"
        reasons.append(f"torch {torch} has no kernels for {gpu.label}: {fix}")
    return reasons


def _has_kernels(k: Knowledge, wheel: TorchWheel, gpu: Gpu) -> bool:
    kernels = k.torch.kernels_for(wheel)
    return kernels is not None and runs_on(kernels, gpu.cc)


def _try_cuda(k: Knowledge, request: Request, cuda: str) -> tuple[Choice | None, list[Reason]]:
    reasons: list[Reason] = []
    warnings: list[str] = []
    minor_compat = False
    major = k.cuda.major(cuda)
    if request.driver is not None and major is not None:
        runs, minor_compat = k.cuda.runs_on_driver(cuda, request.driver)
        if not runs:
            reasons.append(Reason("driver", _driver_reason(k, request, cuda)))
        elif minor_compat:
            floor = k.cuda.driver_floor(cuda)
            full = floor.full if floor else "?"
            warnings.append(
                f"driver {_v(request.driver)} runs CUDA {cuda} through minor-version "
                f"compatibility (CUDA {major.major}.x needs >= {major.minor_compat_floor}; all "
                f"CUDA {cuda} features need >= {full}): code that JIT-compiles newer PTX may fail. "
                f"dlenv sets NVIDIA_DISABLE_REQUIRE=1 so the image's cuda>={cuda} check does not "
                f"refuse to start; upgrade the driver to >= {full} to drop this"
            )
    for gpu in request.gpus:
        if not k.cuda.supports_cc(cuda, gpu.cc):
            reasons.append(Reason("arch", _arch_reason(k, cuda, gpu)))
    image = k.images.newest(cuda)
    if image is None:
        text = f"no nvidia/cuda image with cuDNN for CUDA {cuda}; choose another CUDA"
        reasons.append(Reason("availability", text))
    groups, group_reasons = _groups(k, request, cuda)
    reasons += group_reasons
    wheel, stable, torch_reasons, pairing = _wheel(k, request, cuda)
    warnings += pairing
    if not any(r.rule == "arch" for r in reasons):  # else "no kernels" only repeats it
        reasons += torch_reasons
    if reasons or image is None:
        return None, reasons or torch_reasons
    choice = Choice(
        cuda=cuda,
        image=image,
        base_image=k.images.reference(image, request.flavor),
        wheel=wheel,
        stable=stable,
        minor_compat=minor_compat,
        groups=tuple(groups),
        warnings=tuple(warnings),
    )
    return choice, []


def _driver_reason(k: Knowledge, request: Request, cuda: str) -> str:
    major = k.cuda.major(cuda)
    assert major is not None and request.driver is not None
    text = (
        f"driver {_v(request.driver)} is below CUDA {major.major}.x's minimum "
        f"{major.minor_compat_floor} (its minor-version compatibility floor); "
        f"{driver_install_fix(major.minor_compat_floor)}, or use an older CUDA"
    )
    if request.gpus and all(_datacenter(k, g) for g in request.gpus):
        package = k.forward_compat.package.format(major=major.major, minor="<minor>")
        text += f" (data-center GPUs can also use forward compatibility: install {package})"
    return text


def _datacenter(k: Knowledge, gpu: Gpu) -> bool:
    model = k.gpus.by_name(gpu.name)
    return bool(model and model.datacenter)


def _arch_reason(k: Knowledge, cuda: str, gpu: Gpu) -> str:
    supported = [c for c in k.cuda.versions() if k.cuda.supports_cc(c, gpu.cc)]
    major = cuda.split(".", maxsplit=1)[0]
    if not supported:
        return f"{gpu.label} is not supported by any CUDA dlenv knows; use a newer GPU"
    if as_tuple(supported[0]) > as_tuple(cuda):
        return f"{gpu.label} needs CUDA {supported[0]} or newer (and a driver that runs it)"
    newest = supported[-1]
    return (
        f"{gpu.label} is not supported by CUDA {major}; use CUDA {xy(newest).split('.')[0]}.x "
        f"(up to {newest}) or a newer GPU"
    )


def _groups(
    k: Knowledge, request: Request, cuda: str
) -> tuple[list[PackageGroup], list[Reason]]:
    chosen: list[PackageGroup] = []
    reasons: list[Reason] = []
    major = cuda.split(".", maxsplit=1)[0]
    for name in request.groups:
        title = GROUP_TITLES.get(name, name)
        build = k.packages.for_cuda(name, cuda)
        if build is None:
            text = f"{title} has no build for CUDA {major}.x; choose another CUDA"
            reasons.append(Reason("availability", text))
            continue
        if request.driver is not None and build.driver_min and request.driver < as_tuple(
            build.driver_min
        ):
            reasons.append(Reason(
                "group",
                f"{title} for CUDA {major}.x needs driver >= {build.driver_min}; "
                f"{driver_install_fix(build.driver_min)}, or choose an older CUDA",
            ))
        for gpu in request.gpus:
            if build.min_cc and as_tuple(gpu.cc) < as_tuple(build.min_cc):
                reasons.append(Reason(
                    "group",
                    f"{title} for CUDA {major}.x needs compute capability >= {build.min_cc}; "
                    f"{gpu.label} is below it; use an older CUDA major or a newer GPU",
                ))
        if request.python and not (
            as_tuple(build.python_min) <= as_tuple(request.python) <= as_tuple(build.python_max)
        ):
            reasons.append(Reason(
                "python",
                f"{title} supports Python {build.python_min}-{build.python_max}, not "
                f"{request.python}; set python.version within that range",
            ))
        chosen.append(build)
    return chosen, reasons


def _wheel(
    k: Knowledge, request: Request, cuda: str
) -> tuple[TorchWheel | None, bool, list[Reason], list[str]]:
    """The torch wheel for the CUDA `cuda` image: (wheel, stable, reasons, warnings).

    A wheel of the image's own CUDA comes first. When `cuda` was asked for (it names the base
    image) and PyTorch ships no wheel that fits for it, a wheel built for another CUDA of the same
    major serves: it bundles its CUDA runtime libraries and runs wherever the driver runs that
    CUDA (fully, or through minor-version compatibility, which the image's major already needs).
    Like cog (replicate/cog pkg/config/compatibility.go, torchGPUPackage: "the latest cuda version
    that is at most as high as the requested cuda version"), the newest wheel CUDA at or below the
    image's is preferred, then the nearest newer one. For `cuda = "auto"` the image is chosen to
    match the wheel, so only exact pairs are candidates.
    """
    if request.torch is None:
        return None, True, [], []
    variant = _variant(cuda)
    major = cuda.split(".", maxsplit=1)[0]
    if request.cuda == "auto":
        wheels = [w for w in k.torch.wheels if w.variant == variant]
    else:
        wheels = [w for w in k.torch.wheels if w.cuda and w.cuda.split(".")[0] == major]
    if request.torch != "auto":
        wheels = [w for w in wheels if w.minor == request.torch]
    label = f"torch {request.torch}" if request.torch != "auto" else "PyTorch"
    if not wheels:
        wanted = variant if request.cuda == "auto" else f"CUDA {major}.x"
        return None, False, [Reason("availability", f"{label} has no {wanted} wheel")], []
    if request.python:
        fitting = [w for w in wheels if request.python in w.pythons]
        if not fitting:
            pythons = sorted({p for w in wheels for p in w.pythons}, key=as_tuple)
            return None, False, [Reason(
                "python",
                f"{label} CUDA {major}.x wheels are for Python {pythons[0]}-{pythons[-1]}, "
                f"not {request.python}; set python.version within that range",
            )], []
        wheels = fitting
    missing = [g for g in request.gpus if not any(_has_kernels(k, w, g) for w in wheels)]
    if missing:
        labels = ", ".join(g.label for g in missing)
        text = f"{label}'s CUDA {major}.x wheels have no kernels for {labels}"
        return None, False, [Reason("kernels", text)], []
    usable = [w for w in wheels if all(_has_kernels(k, w, g) for g in request.gpus)]
    image = as_tuple(cuda)

    def rank(w: TorchWheel) -> tuple[bool, Version, bool, Version]:
        at_or_below = as_tuple(w.cuda) <= image
        closeness = as_tuple(w.cuda) if at_or_below else tuple(-p for p in as_tuple(w.cuda))
        return at_or_below, closeness, k.torch.is_stable(w), as_tuple(w.torch)

    best = max(usable, key=rank)
    warnings = [] if best.variant == variant else [_pairing(k, request, cuda, best)]
    return best, k.torch.is_stable(best), [], warnings


def _variant(cuda: str) -> str:
    return "cu" + cuda.replace(".", "")


def _pairing(k: Knowledge, request: Request, cuda: str, wheel: TorchWheel) -> str:
    """Why a wheel of another CUDA minor runs in this image, and what to watch for."""
    text = (
        f"PyTorch ships no {_variant(cuda)} wheel that fits, so the CUDA {cuda} image gets "
        f"torch {wheel.torch}+{wheel.variant}: the wheel brings its own CUDA {wheel.cuda} "
        f"runtime libraries and needs a driver that runs CUDA {wheel.cuda}"
    )
    if request.driver is not None:
        _, minor_compat = k.cuda.runs_on_driver(wheel.cuda, request.driver)
        floor = k.cuda.driver_floor(wheel.cuda)
        if minor_compat and floor:
            text += (
                f"; driver {_v(request.driver)} runs it only through minor-version "
                f"compatibility (all CUDA {wheel.cuda} features need >= {floor.full})"
            )
        else:
            text += f", which driver {_v(request.driver)} does"
    return text + (
        f". Extensions built with the image's nvcc {cuda} are built for a different CUDA "
        f"minor than torch's {wheel.cuda}; PyTorch accepts that within one major"
    )


def _v(version: Version) -> str:
    return ".".join(f"{part:02d}" if i == 2 else str(part) for i, part in enumerate(version))
