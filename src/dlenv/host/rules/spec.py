"""The resolved environment against the host: driver vs CUDA, GPUs vs wheel kernels and RAPIDS
floors, disk space vs image size, shared memory."""

from __future__ import annotations

from dlenv.errors import DlenvError
from dlenv.host.findings import Finding, Group, fail, ok, warn
from dlenv.host.gpus import HostGpu, resolver_facts
from dlenv.host.inventory import Inventory
from dlenv.host.parse.kernel import parse_mem_size
from dlenv.knowledge import Knowledge
from dlenv.knowledge.drivers import driver_install_fix
from dlenv.knowledge.versions import as_tuple
from dlenv.knowledge.wheels import KernelSet, runs_on
from dlenv.resolve import HostFacts, ResolvedEnv, resolve
from dlenv.spec import Spec

S, R = Group.SPEC, Group.RESOURCES
GIB = 1024**3

# Compressed image sizes of the reference workflow (seed-system.md, Stage 6): base 4.5 GB, torch
# 10.2 GB, rapids 16.6 GB. The CPU estimate (no CUDA libraries) is ours.
IMAGE_GB = {"base": 4.5, "torch": 10.2, "rapids": 16.6, "cpu": 3.0}
# DataLoader workers crash with "Bus error" below this (pytorch/pytorch#5040, #16979).
MIN_SHM = GIB


def resolve_for_host(
    spec: Spec, inv: Inventory, gpus: list[HostGpu]
) -> tuple[ResolvedEnv | None, Finding | None]:
    """Resolve with the host's facts. When nothing fits, resolve the spec alone, so the checks
    below can say which rule the host breaks; the resolver's own reasons come back as a finding."""
    facts = resolver_facts(gpus, inv.driver_version, inv.arch)
    try:
        return resolve(spec, facts), None
    except DlenvError as error:
        problem = fail(
            "spec.unresolvable",
            S,
            f"the spec does not fit this host: {error.message}",
            error.details or "",
            fix=error.hint or "",
        )
    try:
        return resolve(spec, HostFacts(arch=facts.arch)), problem
    except DlenvError:
        return None, problem


def spec_findings(
    env: ResolvedEnv, inv: Inventory, gpus: list[HostGpu], knowledge: Knowledge, source: str
) -> list[Finding]:
    found = [ok("spec.resolved", S, f"spec ({source}): {_describe(env)}")]
    if env.is_gpu and env.cuda and gpus:
        found.extend(_driver_vs_cuda(env.cuda, inv.driver_version, knowledge))
        for gpu in gpus:
            found.extend(_gpu_vs_env(env, gpu, knowledge))
        if "rapids" in env.spec.python.groups:
            found.extend(_rapids(env.cuda, inv.driver_version, gpus, knowledge))
    shm = parse_mem_size(env.spec.run.shm_size)
    if shm is not None and shm < MIN_SHM:
        found.append(
            warn(
                "spec.shm_size",
                S,
                f"run.shm_size = {env.spec.run.shm_size!r} is below 1 GiB",
                "PyTorch DataLoader workers crash with `Bus error` on a small /dev/shm "
                "(pytorch/pytorch#5040, #16979).",
                fix='set run.shm_size = "8g" in dlenv.toml',
            )
        )
    return found


def _describe(env: ResolvedEnv) -> str:
    parts = [f"profile {env.spec.profile}", f"base {env.base_image}"]
    if env.cuda:
        parts.append(f"CUDA {env.cuda}")
    if env.torch_variant:
        parts.append(f"torch {env.torch_variant}")
    return ", ".join(parts)


def _driver_vs_cuda(cuda: str, driver: str | None, knowledge: Knowledge) -> list[Finding]:
    floor = knowledge.cuda_driver_floor(cuda)
    if driver is None or floor is None:
        return []
    best = knowledge.max_cuda_for_driver(driver)
    if as_tuple(driver) < as_tuple(floor.minor_compat):
        return [
            fail(
                "driver.too_old",
                S,
                f"driver {driver} is too old for CUDA {cuda} (needs {floor.minor_compat}+)",
                "The image refuses to start: `unsatisfied condition: cuda>=...` / "
                "`compatibility mode is UNAVAILABLE` (NVIDIA/nvidia-docker#1479, "
                "replicate/cog#1411).",
                fix=driver_install_fix(floor.minor_compat)
                + (f', or set image.cuda = "{best}" in dlenv.toml' if best else ""),
            )
        ]
    if as_tuple(driver) < as_tuple(floor.full):
        return [
            warn(
                "driver.minor_compat",
                S,
                f"driver {driver} runs CUDA {cuda} only through minor-version compatibility",
                f"Full CUDA {cuda} support needs driver {floor.full}+; PTX JIT of newer PTX "
                "and some "
                "APIs are unavailable until then.",
                fix=driver_install_fix(floor.full)
                + (f', or set image.cuda = "{best}" in dlenv.toml' if best else ""),
            )
        ]
    return [ok("driver.cuda", S, f"driver {driver} supports CUDA {cuda}")]


def _gpu_vs_env(env: ResolvedEnv, gpu: HostGpu, knowledge: Knowledge) -> list[Finding]:
    cc = gpu.compute_capability
    if cc is None or env.cuda is None:
        return []
    if not knowledge.cuda_supports_cc(env.cuda, cc):
        return [
            fail(
                "gpu.cuda_unsupported",
                S,
                f"CUDA {env.cuda} cannot target GPU {gpu.index} ({gpu.name}, compute "
                f"capability {cc})",
                "CUDA 13 dropped Maxwell, Pascal and Volta; CUDA 12 dropped Kepler "
                "(compat-facts §2).",
                fix='set image.cuda = "12.6" in dlenv.toml (the last CUDA with kernels for it)',
            )
        ]
    kernels = _wheel_kernels(env, knowledge)
    if kernels is not None and not runs_on(kernels, cc):
        return [
            fail(
                "gpu.no_wheel_kernels",
                S,
                f"torch {env.torch_variant} wheels have no kernels for GPU {gpu.index} "
                f"({gpu.name}, compute capability {cc})",
                "PyTorch would fail with `no kernel image is available for execution on the "
                "device` "
                "(pytorch/pytorch#149845, #167244). Wheel architectures: "
                + ", ".join(kernels.sass),
                fix='set image.cuda = "12.6" (cu126 covers 5.0-9.0)'
                if as_tuple(cc) < (7, 5)
                else 'set image.cuda = "12.8" or newer (cu128+ covers Blackwell)',
            )
        ]
    return []


def _wheel_kernels(env: ResolvedEnv, knowledge: Knowledge) -> KernelSet | None:
    """The kernel architectures of the torch wheel the resolver chose (knowledge data)."""
    if not env.torch_version or not env.torch_variant:
        return None
    wheel = next(
        (
            w
            for w in knowledge.torch.wheels
            if w.torch == env.torch_version and w.variant == env.torch_variant
        ),
        None,
    )
    return knowledge.torch.kernels_for(wheel) if wheel else None


def _rapids(
    cuda: str, driver: str | None, gpus: list[HostGpu], knowledge: Knowledge
) -> list[Finding]:
    build = knowledge.packages.for_cuda("rapids", cuda)
    if build is None or build.min_cc is None or build.driver_min is None:
        return []
    min_cc, min_driver = build.min_cc, build.driver_min
    found = []
    for gpu in gpus:
        if gpu.compute_capability and as_tuple(gpu.compute_capability) < as_tuple(min_cc):
            found.append(
                fail(
                    "spec.rapids_gpu",
                    S,
                    f"RAPIDS on CUDA {cuda} needs compute capability {min_cc}+; "
                    f"GPU {gpu.index} has {gpu.compute_capability}",
                    "docs.rapids.ai/platform-support",
                    fix='remove "rapids" from python.groups',
                )
            )
    if driver and as_tuple(driver) < as_tuple(min_driver):
        found.append(
            fail(
                "spec.rapids_driver",
                S,
                f"RAPIDS on CUDA {cuda} needs driver {min_driver}+; host has {driver}",
                "docs.rapids.ai/platform-support",
                fix=driver_install_fix(min_driver),
            )
        )
    return found


def image_size_gb(env: ResolvedEnv) -> float:
    if not env.is_gpu:
        return IMAGE_GB["cpu"]
    if "rapids" in env.spec.python.groups:
        return IMAGE_GB["rapids"]
    return IMAGE_GB["torch"] if env.spec.torch.enabled else IMAGE_GB["base"]


def resource_findings(inv: Inventory, env: ResolvedEnv | None) -> list[Finding]:
    found: list[Finding] = []
    need_gb = image_size_gb(env) if env else IMAGE_GB["torch"]
    for engine in inv.engines:
        if not engine.ok or engine.disk is None:
            continue
        free_gb = engine.disk.free / 1e9
        text = f"{engine.name} image storage {engine.storage}: {free_gb:.0f} GB free"
        detail = (
            f"The image is about {need_gb:g} GB compressed; pulling and unpacking it needs "
            "about twice that."
        )
        if free_gb < need_gb:
            found.append(
                fail(
                    "disk.space",
                    R,
                    f"{text}; the image needs about {need_gb:g} GB",
                    detail,
                    fix=f"free space on {engine.storage}: `{engine.name} system prune`",
                )
            )
        elif free_gb < 2 * need_gb:
            found.append(
                warn(
                    "disk.space",
                    R,
                    f"{text}; tight for a {need_gb:g} GB image",
                    detail,
                    fix=f"free space on {engine.storage}: `{engine.name} system prune`",
                )
            )
        else:
            found.append(ok("disk.space", R, text))
    if inv.shm is not None and inv.shm.total < MIN_SHM:
        found.append(
            warn(
                "shm.host",
                R,
                f"host /dev/shm is {inv.shm.total // 2**20} MiB",
                "Containers sharing the host IPC namespace (--ipc=host) get this size; DataLoader "
                "workers need more (pytorch/pytorch#5040).",
                fix="`sudo mount -o remount,size=8G /dev/shm` (and set it in /etc/fstab)",
            )
        )
    return found
