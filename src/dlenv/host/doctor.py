"""Inventory (+ spec) -> findings, in report order. Pure: the same inventory gives the same list."""

from __future__ import annotations

from dlenv.host.findings import Finding, Severity
from dlenv.host.gpus import host_gpus
from dlenv.host.inventory import Inventory
from dlenv.host.rules.gpu import driver_findings, gpu_findings, system_findings
from dlenv.host.rules.runtime import engine_findings, toolkit_findings
from dlenv.host.rules.spec import resolve_for_host, resource_findings, spec_findings
from dlenv.knowledge import Knowledge
from dlenv.spec import Spec


def diagnose(inv: Inventory, spec: Spec, spec_source: str, knowledge: Knowledge) -> list[Finding]:
    gpus = host_gpus(inv, knowledge)
    findings = [
        *system_findings(inv),
        *gpu_findings(inv, gpus, knowledge),
        *driver_findings(inv, gpus, knowledge),
    ]
    # GPU runtime plumbing matters only for the GPU profile.
    runtime_gpus = gpus if spec.profile == "gpu" else []
    findings += toolkit_findings(inv, runtime_gpus)
    findings += engine_findings(inv, runtime_gpus)
    resolved, problem = resolve_for_host(spec, inv, gpus)
    checks = spec_findings(resolved, inv, gpus, knowledge, spec_source) if resolved else []
    findings += checks
    # The resolver's refusal adds nothing when a specific check already names the cause.
    if problem and not any(f.severity is Severity.FAIL for f in checks):
        findings.append(problem)
    findings += resource_findings(inv, resolved)
    return findings
