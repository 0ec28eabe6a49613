"""The edge that runs a Plan on this host through the Runner.

Each step: run its check (done -> skip); otherwise run its commands one at a time, with sudo when
the step needs root and dlenv is not root, and stop at the first failure with the command, its
output and what to try next. A step that needs a reboot ends the run; running again re-checks
every step and so resumes after it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from dlenv.errors import DlenvError
from dlenv.process import Command, Runner
from dlenv.setup.plan import After, Plan, Step


class Status(StrEnum):
    DONE = "done"  # its check passes
    TODO = "todo"  # its check fails: it will run
    ALWAYS = "always"  # no check (verification): runs every time, changes nothing


class StepFailed(DlenvError):
    def __init__(self, step: Step, command: str, returncode: int, output: str):
        hint = step.hint or "fix the cause shown above"
        super().__init__(
            f"setup step {step.id} failed: `{command}` exited {returncode}",
            hint=f"{hint}; then run `dlenv setup` again: finished steps are skipped",
            details=output[-4000:] or None,
        )
        self.step = step


@dataclass
class Outcome:
    """What a run did: steps skipped as done, steps run, and why it stopped early (if it did)."""

    skipped: list[str] = field(default_factory=list)
    ran: list[str] = field(default_factory=list)
    reboot_after: str | None = None  # the step after which the user must reboot
    left_to_user: Step | None = None  # an interactive step the user must run by hand
    relogin: bool = False


@dataclass(frozen=True)
class Privilege:
    """How to reach root: nothing when already root, else sudo."""

    is_root: bool

    def wrap(self, step: Step, script: str, *, changes_host: bool = False) -> Command:
        """`changes_host`: a step's command, not its check; an interrupt lets it finish (a package
        manager stopped half-way can leave the package database for the user to repair).

        Without sudo it runs in a session of its own, out of reach of the terminal's Ctrl-C.
        With sudo it stays in dlenv's: sudo asks for the password on the controlling terminal,
        and its cached credentials are kept per terminal (sudoers(5), `timestamp_type`), so in a
        session with no terminal it could not ask. There the terminal's Ctrl-C reaches the
        command too, as it would without dlenv, and dlenv still waits for it to end."""
        argv: tuple[str, ...] = ("bash", "-euo", "pipefail", "-c", script)
        sudo = step.needs_root and not self.is_root
        if sudo:
            argv = ("sudo", *argv)
        own_session = changes_host and not sudo
        return Command(argv, finish_on_interrupt=changes_host, own_session=own_session)


def survey(plan: Plan, runner: Runner, privilege: Privilege) -> dict[str, Status]:
    """Run every check, changing nothing, to show what is done and what would run."""
    return {step.id: _status(step, runner, privilege) for step in plan.steps}


def _status(step: Step, runner: Runner, privilege: Privilege) -> Status:
    if step.check is None:
        return Status.ALWAYS
    result = runner.run(privilege.wrap(step, step.check))
    return Status.DONE if result.ok else Status.TODO


def apply(
    plan: Plan, runner: Runner, privilege: Privilege, on_event: Callable[[str], None]
) -> Outcome:
    outcome = Outcome()
    for step in plan.steps:
        status = _status(step, runner, privilege)
        if status is Status.DONE:
            on_event(f"{step.id}: already done")
            outcome.skipped.append(step.id)
            continue
        if step.interactive:
            # It asks for a password on the terminal; the runner has none to give it.
            outcome.left_to_user = step
            return outcome
        on_event(f"{step.id}: {step.reason}")
        for command in step.commands:
            on_event(f"  $ {command}")
            result = runner.stream(
                privilege.wrap(step, command, changes_host=True),
                lambda line: on_event(f"    {line}"),
            )
            if not result.ok:
                raise StepFailed(step, command, result.returncode, result.stdout + result.stderr)
        outcome.ran.append(step.id)
        if step.after is After.RELOGIN:
            outcome.relogin = True
        if step.after is After.REBOOT:
            outcome.reboot_after = step.id
            return outcome
    return outcome
