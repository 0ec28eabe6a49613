"""What a spec file asks for that opens this host, as data: the "trust decisions".

A dlenv.toml travels with repositories cloned from anyone. Settings that let someone in (SSH
keys), let the network in (a non-loopback bind), let the container write to the host (a host
directory as the workspace) or copy host secrets into it ([secrets]) need the user's consent
when they come from the file; the same settings given as flags (`--authorized-keys`, `--bind`,
`--workspace`) are the user's own choice. `dlenv up` asks (commands/up.py); this module only lists.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from dlenv.environment.host_paths import resolve_workspace, spec_key_files
from dlenv.environment.options import EnvOptions
from dlenv.ports import is_loopback
from dlenv.spec import Spec


@dataclass(frozen=True)
class TrustDecision:
    key: str  # the spec key, e.g. "ssh.authorized_keys[0]"
    value: str  # as the file gives it
    effect: str  # what accepting it does, with the resolved path where there is one

    def describe(self) -> str:
        return f"{self.key} = {self.value!r}: {self.effect}"


def trust_decisions(
    spec: Spec,
    options: EnvOptions,
    *,
    key_flags: Sequence[Path],
    cwd: Path,
    home: Path | None,
) -> tuple[TrustDecision, ...]:
    """The settings of `spec` that open the host and that no flag in `options` chose.

    A workspace that must never be mounted raises UsageError here, before anyone is asked."""
    decisions: list[TrustDecision] = []
    if not key_flags:
        for index, (text, path) in enumerate(
            zip(spec.ssh.authorized_keys, spec_key_files(spec, cwd, home), strict=True)
        ):
            decisions.append(
                TrustDecision(
                    f"ssh.authorized_keys[{index}]",
                    text,
                    f"whoever holds the private half of {path} can log in to the environment",
                )
            )
    if options.bind is None and not is_loopback(spec.run.bind):
        decisions.append(
            TrustDecision(
                "run.bind",
                spec.run.bind,
                "SSH and Jupyter listen beyond this machine's loopback: the network can reach them",
            )
        )
    if options.host is None and spec.host is not None:
        decisions.append(
            TrustDecision(
                "host",
                spec.host,
                "the environment is built and run on that machine, over SSH as you: the build "
                "context, your public keys and the Jupyter token go to it",
            )
        )
    workspace = resolve_workspace(spec.run.workspace, cwd, home)
    if options.workspace is None and workspace is not None:
        decisions.append(
            TrustDecision(
                "run.workspace",
                spec.run.workspace,
                f"the host directory {workspace} is mounted read-write into the container",
            )
        )
    # A secret copies something of the host's into the container, where the spec's packages and
    # dotfiles run: a file named by someone else (say ~/.ssh/id_ed25519) needs consent.
    for name, source in sorted(spec.secrets.items()):
        kind, _, where = source.partition(":")
        what = f"the environment variable {where}" if kind == "env" else f"the host file {where}"
        decisions.append(
            TrustDecision(
                f"secrets.{name}", source, f"{what} is copied into the container as {name}"
            )
        )
    return tuple(decisions)
