"""`dlenv render` states the expected size class of each flavour."""

from __future__ import annotations

import pytest

from dlenv.render.size_class import size_class
from dlenv.resolve import resolve
from dlenv.spec import Spec, apply_overrides


@pytest.mark.parametrize(
    ("flavor", "label", "base_kind"),
    [("slim", "smallest GPU image", "-base-"), ("runtime", "large", "-runtime-"),
     ("devel", "largest", "-devel-")],
)  # fmt: skip
def test_each_flavour_has_its_class_and_its_base(flavor: str, label: str, base_kind: str) -> None:
    env = resolve(apply_overrides(Spec(), {"image.flavor": flavor}))
    assert base_kind in env.base_image  # the compat resolver's choice, which the class describes
    assert size_class(env).label == label


def test_cpu_profile_is_small() -> None:
    env = resolve(apply_overrides(Spec(), {"profile": "cpu", "torch.enabled": False}))
    assert size_class(env).label == "small"


def test_own_base_image_is_named() -> None:
    env = resolve(apply_overrides(Spec(), {"image.base": "registry.example/cuda:custom"}))
    assert size_class(env).label == "set by your base image"
    assert "registry.example/cuda:custom" in size_class(env).reason
