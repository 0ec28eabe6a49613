"""Property-based fuzzing of the engine JSON dlenv reads (Hypothesis): `docker/podman info` as
`engine_host` turns it into run flags, and `container inspect` / image labels through `CliEngine`
with a fake runner. Any output gives a result or an EngineError, never another exception."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dlenv.engine.caps import BuilderCaps
from dlenv.engine.cli_engine import CliEngine, EngineKind
from dlenv.engine.host import engine_host
from dlenv.errors import DlenvError
from dlenv.host.parse.toolkit import CdiSpec
from tests.support.fakes import FakeRunner
from tests.support.fuzz import json_object, json_text, json_values

FUZZ = settings(
    max_examples=200,
    deadline=None,
    database=None,  # no .hypothesis directory in the tree; failures print their input
    suppress_health_check=[HealthCheck.too_slow],
)

INFO_KEYS = [
    "ServerVersion", "Runtimes", "SecurityOptions", "CDISpecDirs", "host", "security",
    "rootless", "selinuxEnabled", "version", "Version",
]  # fmt: skip
INSPECT_KEYS = ["State", "Status", "Config", "Image", "Labels", "Name"]
CDI = st.builds(
    CdiSpec,
    st.just("/etc/cdi/nvidia.yaml"),
    st.none() | st.sampled_from(["nvidia.com/gpu", "x"]),
    st.lists(st.text(max_size=8), max_size=3).map(tuple),
    st.just(()),
    st.none() | st.text(max_size=10),
)


@FUZZ
@given(st.sampled_from(["docker", "podman"]), json_text(json_object(INFO_KEYS)), st.lists(CDI))
def test_engine_host(program: str, info: str, specs: list[CdiSpec]) -> None:
    facts = engine_host(program, info, specs)
    assert facts.version is None or isinstance(facts.version, str)
    assert all(isinstance(d, str) for d in facts.cdi_devices)


def _engine(program: str, returncode: int, stdout: str) -> CliEngine:
    runner = FakeRunner({(program,): (returncode, stdout, "")})
    return CliEngine(EngineKind(program, BuilderCaps()), runner)


INSPECT = json_object(INSPECT_KEYS) | st.lists(json_object(INSPECT_KEYS), max_size=2)


@FUZZ
@given(st.sampled_from(["docker", "podman"]), st.sampled_from([0, 1, 125]), json_text(INSPECT))
def test_container_inspect(program: str, returncode: int, stdout: str) -> None:
    try:
        info = _engine(program, returncode, stdout).container("demo")
    except DlenvError:
        return
    if info is not None:
        assert isinstance(info.state, str) and isinstance(info.image, str)
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in info.labels.items())


@FUZZ
@given(json_text(json_values() | st.dictionaries(st.text(max_size=8), json_values())))
def test_image_labels(stdout: str) -> None:
    try:
        labels = _engine("podman", 0, stdout).image_labels("localhost/dlenv/x:1")
    except DlenvError:
        return
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in labels.items())


def test_an_empty_inspect_list_is_no_container() -> None:
    """`podman container inspect` printed `[]`: regression (IndexError before)."""
    assert _engine("podman", 0, "[]").container("demo") is None


def test_inspect_output_that_is_not_json_is_an_engine_error() -> None:
    """Regression: a JSONDecodeError traceback before."""
    try:
        _engine("docker", 0, "Error: no such object").container("demo")
    except DlenvError as error:
        assert "container inspect" in error.message
    else:
        raise AssertionError("expected an EngineError")
