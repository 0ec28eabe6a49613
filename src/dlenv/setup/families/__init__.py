"""One module per distro family; each builds the driver, toolkit and engine steps for its
package manager and vendor repositories. The registry maps a family to its builders."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from dlenv.host.os_release import Family
from dlenv.setup.context import Context
from dlenv.setup.families import amazon, apt, fedora, rhel, suse
from dlenv.setup.plan import Step

StepBuilder = Callable[[Context], list[Step]]


@dataclass(frozen=True)
class FamilySteps:
    driver: StepBuilder
    toolkit: StepBuilder
    engine: StepBuilder
    # None when every version of the family is planned; else a reason for an unsupported one.
    unsupported: Callable[[Context], str | None]


REGISTRY: dict[Family, FamilySteps] = {
    Family.UBUNTU: FamilySteps(apt.driver, apt.toolkit, apt.engine, apt.unsupported),
    Family.DEBIAN: FamilySteps(apt.driver, apt.toolkit, apt.engine, apt.unsupported),
    Family.FEDORA: FamilySteps(fedora.driver, fedora.toolkit, fedora.engine, fedora.unsupported),
    Family.RHEL: FamilySteps(rhel.driver, rhel.toolkit, rhel.engine, rhel.unsupported),
    Family.SUSE: FamilySteps(suse.driver, suse.toolkit, suse.engine, suse.unsupported),
    Family.AMAZON: FamilySteps(amazon.driver, amazon.toolkit, amazon.engine, amazon.unsupported),
}
