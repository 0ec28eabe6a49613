"""`dlenv compat`: does this GPU + driver + CUDA + torch + packages combination work? If not,
why not, and what does?

Planning only: nothing on this host is probed. Exit 0 compatible, 1 not, 2 bad input.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

import msgspec
import typer

from dlenv.commands.options import JsonOption
from dlenv.console import out, print_json
from dlenv.errors import UsageError
from dlenv.knowledge import Knowledge, load_knowledge
from dlenv.knowledge.choose import Choice, Gpu, Request, choose, gpu_from_model
from dlenv.knowledge.versions import as_tuple, parse_cc, parse_driver, parse_xy
from dlenv.spec.model import OPTIONAL_GROUPS

_CC_FORM = re.compile(r"sm_?[0-9]{2,3}|[0-9]{1,2}\.[0-9]", re.IGNORECASE)  # fullmatch
# Groups the chooser checks against CUDA; polars and xgboost fit every CUDA.
_CUDA_GROUPS = ("cupy", "rapids", "dali")


def register(app: typer.Typer) -> None:
    app.command("compat")(compat_command)


def compat_command(
    gpu: Annotated[
        list[str] | None,
        typer.Option(
            "--gpu", help='GPU name ("RTX 4090"), "sm_89" or compute capability "8.9"; repeatable.'
        ),
    ] = None,
    driver: Annotated[
        str | None, typer.Option("--driver", help='NVIDIA driver version, e.g. "550.54.14".')
    ] = None,
    cuda: Annotated[str | None, typer.Option("--cuda", help='CUDA "X.Y" (default: best).')] = None,
    torch: Annotated[
        str | None, typer.Option("--torch", help='PyTorch "X.Y" (default: best).')
    ] = None,
    with_: Annotated[
        list[str] | None,
        typer.Option(
            "--with", help="Package groups; repeat the option or use commas: cupy,rapids."
        ),
    ] = None,
    python: Annotated[str | None, typer.Option("--python", help='Python "X.Y".')] = None,
    as_json: JsonOption = False,
) -> None:
    """Check a GPU / driver / CUDA / PyTorch / package combination and recommend one that works."""
    knowledge = load_knowledge()
    request = build_request(knowledge, gpu or [], driver, cuda, torch, with_ or [], python)
    answer = answer_for(knowledge, request)
    if as_json:
        print_json(answer)
    else:
        _print(answer)
    if not answer["compatible"]:
        raise typer.Exit(code=1)


def build_request(
    k: Knowledge,
    gpus: list[str],
    driver: str | None,
    cuda: str | None,
    torch: str | None,
    with_: list[str],
    python: str | None,
) -> Request:
    """Command-line values -> Request; a UsageError (exit 2) for anything malformed or unknown."""
    if cuda is not None:
        parse_xy(cuda, "--cuda", "12.8")
        _known_cuda(k, cuda)
    if torch is not None:
        parse_xy(torch, "--torch", "2.9")
    if python is not None:
        parse_xy(python, "--python", "3.12")
    # `--with rapids --with cupy` and `--with rapids,cupy` mean the same.
    groups = tuple(dict.fromkeys(g.strip() for item in with_ for g in item.split(",") if g.strip()))
    for group in groups:
        if group not in OPTIONAL_GROUPS:
            raise UsageError(
                f"--with: unknown package group {group!r}",
                hint=f"Known groups: {', '.join(OPTIONAL_GROUPS)}.",
            )
    return Request(
        gpus=tuple(_gpu(k, name) for name in gpus),
        driver=parse_driver(driver, "--driver") if driver is not None else None,
        cuda=cuda or "auto",
        torch=torch or "auto",
        groups=tuple(g for g in groups if g in _CUDA_GROUPS),
        python=python,
    )


def _known_cuda(k: Knowledge, cuda: str) -> None:
    if k.cuda.release(cuda) is not None:
        return
    known = k.cuda.versions()
    # The releases either side of it within its major: "12.7" -> 12.6, 12.8.
    major = [v for v in known if as_tuple(v)[0] == as_tuple(cuda)[0]]
    below = [v for v in major if as_tuple(v) < as_tuple(cuda)][-1:]
    above = [v for v in major if as_tuple(v) > as_tuple(cuda)][:1]
    close = below + above
    hint = f"Did you mean: {' or '.join(close)}? " if close else ""
    raise UsageError(
        f"--cuda: CUDA {cuda} is not a release dlenv knows",
        hint=f"{hint}Known CUDA releases: {', '.join(known)}.",
    )


def _gpu(k: Knowledge, text: str) -> Gpu:
    if _CC_FORM.fullmatch(text.strip()):
        cc = parse_cc(text)
        model = next((m for m in k.gpus.models if m.compute_capability == cc), None)
        if model is None and not any(c.cc == cc for c in k.cuda.ccs):
            raise UsageError(
                f"--gpu: no NVIDIA GPU has compute capability {cc}",
                hint="Known: " + ", ".join(c.cc for c in k.cuda.ccs) + ".",
            )
        sm = "sm_" + cc.replace(".", "")
        return Gpu(sm, cc, model.architecture if model else "")
    model = k.gpu_by_name(text)
    if model is None:
        close = k.gpu_close_matches(text)
        hint = f"Did you mean: {', '.join(close)}?" if close else "Give its compute capability."
        raise UsageError(
            f"--gpu: unknown GPU {text!r}",
            hint=f"{hint} A compute capability also works, e.g. --gpu 8.9 or --gpu sm_89.",
        )
    return gpu_from_model(model)


def answer_for(k: Knowledge, request: Request) -> dict[str, Any]:
    """The verdict on the request as asked, plus the best combination for the same host."""
    verdict = choose(k, request)
    best = verdict
    widened = not verdict.compatible and (request.cuda != "auto" or request.torch != "auto")
    if widened:
        best = choose(k, msgspec.structs.replace(request, cuda="auto", torch="auto"))
    return {
        "compatible": verdict.compatible,
        "reasons": list(verdict.reasons),
        "warnings": list(verdict.choice.warnings) if verdict.choice else [],
        "query": _query(request),
        "recommendation": _combination(k, best.choice) if best.choice else None,
        # Why even the best choice fails, when that differs from the reasons above.
        "recommendation_reasons": list(best.reasons) if widened else [],
    }


def _query(request: Request) -> dict[str, Any]:
    return {
        "gpus": [{"name": g.name, "compute_capability": g.cc, "architecture": g.architecture}
                 for g in request.gpus],
        "driver": ".".join(f"{p:02d}" if i == 2 else str(p) for i, p in enumerate(request.driver))
        if request.driver else None,
        "cuda": request.cuda,
        "torch": request.torch,
        "groups": list(request.groups),
        "python": request.python,
    }


def _combination(k: Knowledge, choice: Choice) -> dict[str, Any]:
    floor = k.cuda_driver_floor(choice.cuda)
    wheel = choice.wheel
    return {
        "cuda": choice.cuda,
        "base_image": choice.base_image,
        "minor_version_compatibility": choice.minor_compat,
        "driver_minimum": floor.minor_compat if floor else None,
        "driver_full_support": floor.full if floor else None,
        "torch": None if wheel is None else {
            "torch": wheel.torch,
            "torchvision": wheel.torchvision,
            "torchaudio": wheel.torchaudio,
            "variant": wheel.variant,
            "index_url": wheel.index_url,
            "stable": choice.stable,
        },
        "groups": {g.group: list(g.packages) for g in choice.groups},
    }


def _print(answer: dict[str, Any]) -> None:
    if answer["compatible"]:
        out.print("[bold green]compatible[/bold green]")
    else:
        out.print("[bold red]not compatible[/bold red]")
        for reason in answer["reasons"]:
            out.print(f"  - {reason}", markup=False)
    for warning in answer["warnings"]:
        out.print(f"  [yellow]warning:[/yellow] {warning}", highlight=False)
    best = answer["recommendation"]
    if best is None:
        out.print("no combination works for this GPU, driver and packages", markup=False)
        for reason in answer["recommendation_reasons"]:
            out.print(f"  - {reason}", markup=False)
        return
    title = "chosen combination" if answer["compatible"] else "best working combination"
    out.print(f"[bold]{title}:[/bold]")
    out.print(f"  CUDA {best['cuda']}  ({best['base_image']})", markup=False)
    out.print(
        f"  driver >= {best['driver_minimum']} (all features: >= {best['driver_full_support']})",
        markup=False,
    )
    torch = best["torch"]
    if torch:
        tag = "" if torch["stable"] else ", experimental"
        out.print(
            f"  torch {torch['torch']}+{torch['variant']}, torchvision {torch['torchvision']}, "
            f"torchaudio {torch['torchaudio']}{tag}  (--index-url {torch['index_url']})",
            markup=False,
        )
    for group, packages in sorted(best["groups"].items()):
        out.print(f"  {group}: {' '.join(packages)}", markup=False)
