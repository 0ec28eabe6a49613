"""Running a plan: skip what is done, stop at the first failure, stop for a reboot, resume.

The fake runner models a host as the set of step checks that pass; running a step's commands
makes its check pass, as the real commands would (the executor checks a step just before it
runs its commands, so the last check asked names the step being run).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from dlenv.host.os_release import read_os_release
from dlenv.process import Command, Result
from dlenv.setup.context import SetupOptions
from dlenv.setup.executor import Privilege, Status, StepFailed, apply, survey
from dlenv.setup.host_state import HostState
from dlenv.setup.plan import Component, Engine, Plan
from dlenv.setup.planner import build_plan

FIXTURES = Path(__file__).parents[2] / "fixtures" / "os-release"


class FakeHost:
    def __init__(self, plan: Plan, done: set[str] | None = None, failing: str | None = None):
        self.checks = {s.check: s.id for s in plan.steps if s.check}
        self.current: str | None = None
        self.done = set(done or ())
        self.failing = failing
        self.ran: list[tuple[str, ...]] = []
        self.checked: list[Command] = []
        self.streamed: list[Command] = []

    def _script(self, command: Command) -> str:
        return command.argv[-1]

    def run(self, command: Command, *, check: bool = False, timeout: float | None = None) -> Result:
        step = self.checks[self._script(command)]
        self.checked.append(command)
        self.current = step
        return Result(command, 0 if step in self.done else 1, "", "")

    def stream(self, command: Command, on_line: Callable[[str], None]) -> Result:
        self.ran.append(command.argv)
        self.streamed.append(command)
        script = self._script(command)
        if script == self.failing:
            on_line("E: Unable to locate package podman")
            return Result(command, 100, "E: Unable to locate package podman", "")
        if self.current is not None:
            self.done.add(self.current)
        return Result(command, 0, "", "")

    def which(self, program: str) -> str | None:
        return f"/usr/bin/{program}"


def _plan(*components: Component, engine: Engine = Engine.PODMAN) -> Plan:
    host = HostState(read_os_release(FIXTURES / "debian-12"), "x86_64", (0x2684,), False)
    return build_plan(host, SetupOptions(engine=engine, components=components, user="dev"))


ROOT = Privilege(is_root=True)


def test_second_run_skips_every_step_and_runs_nothing() -> None:
    plan = _plan(Component.TOOLKIT, Component.ENGINE)
    host = FakeHost(plan)
    first = apply(plan, host, ROOT, lambda _: None)
    assert first.ran == [s.id for s in plan.steps]
    commands_after_first = len(host.ran)
    second = apply(plan, host, ROOT, lambda _: None)
    assert second.ran == []
    assert second.skipped == [s.id for s in plan.steps]
    assert len(host.ran) == commands_after_first
    assert set(survey(plan, host, ROOT).values()) == {Status.DONE}


@pytest.mark.parametrize("is_root", [True, False])
def test_only_commands_that_change_the_host_finish_when_interrupted(is_root: bool) -> None:
    plan = _plan(Component.TOOLKIT, Component.ENGINE)
    host = FakeHost(plan)
    apply(plan, host, Privilege(is_root=is_root), lambda _: None)
    assert host.streamed
    assert all(command.finish_on_interrupt for command in host.streamed)
    assert host.checked
    assert not any(command.finish_on_interrupt for command in host.checked)
    assert not any(command.own_session for command in host.checked)
    # A session of its own only without sudo: sudo needs the terminal to ask for a password.
    for command in host.streamed:
        assert command.own_session is (command.argv[0] != "sudo")
    assert {command.argv[0] for command in host.streamed} == {"bash" if is_root else "sudo"}


def test_step_whose_check_passes_is_skipped() -> None:
    plan = _plan(Component.TOOLKIT)
    host = FakeHost(plan, done={"toolkit.repo"})
    outcome = apply(plan, host, ROOT, lambda _: None)
    assert "toolkit.repo" in outcome.skipped and "toolkit.repo" not in outcome.ran
    assert all("nvidia-container-toolkit.list" not in argv[-1] for argv in host.ran)


def test_first_failure_stops_with_command_and_output() -> None:
    plan = _plan(Component.ENGINE, Component.RUNTIME)
    failing = "DEBIAN_FRONTEND=noninteractive apt-get install -y podman"
    host = FakeHost(plan, failing=failing)
    with pytest.raises(StepFailed) as raised:
        apply(plan, host, ROOT, lambda _: None)
    error = raised.value
    assert error.step.id == "engine.podman"
    assert failing in error.message and "exited 100" in error.message
    assert error.details is not None and "Unable to locate package" in error.details
    assert error.hint is not None and "run `dlenv setup` again" in error.hint
    assert not any("oci-nvidia-hook" in argv[-1] for argv in host.ran)  # nothing after it ran


def test_reboot_step_ends_the_run_and_a_rerun_resumes_after_it() -> None:
    plan = _plan(Component.DRIVER, Component.TOOLKIT)
    host = FakeHost(plan)
    first = apply(plan, host, ROOT, lambda _: None)
    assert first.reboot_after == "driver.install"
    assert first.ran == ["driver.contrib", "driver.repo", "driver.install"]
    # After the reboot nouveau is gone and the module is loaded: their checks pass.
    host.done |= {"driver.nouveau", "driver.loaded"}
    second = apply(plan, host, ROOT, lambda _: None)
    assert second.skipped[:3] == ["driver.contrib", "driver.repo", "driver.install"]
    assert second.ran == ["toolkit.stale-lists", "toolkit.repo", "toolkit.install"]
    assert second.reboot_after is None


def test_not_root_runs_root_steps_through_sudo() -> None:
    plan = _plan(Component.ENGINE)
    host = FakeHost(plan)
    apply(plan, host, Privilege(is_root=False), lambda _: None)
    assert host.ran and all(argv[:2] == ("sudo", "bash") for argv in host.ran)


def test_interactive_step_is_left_to_the_user() -> None:
    host_state = HostState(read_os_release(FIXTURES / "fedora-41"), "x86_64", (), True)
    plan = build_plan(host_state, SetupOptions(components=(Component.DRIVER,)))
    host = FakeHost(plan)
    outcome = apply(plan, host, ROOT, lambda _: None)
    assert outcome.left_to_user is not None
    assert outcome.left_to_user.id == "driver.mok-enroll"
    assert not any("mokutil --import" in argv[-1] for argv in host.ran)


def test_verification_always_runs() -> None:
    plan = _plan(Component.VERIFY)
    assert survey(plan, FakeHost(plan), ROOT) == {"verify.sample-workload": Status.ALWAYS}
    assert not plan.steps[0].needs_root  # rootless Podman runs it as the user
