"""Unit-test isolation: what rendering keeps between runs goes to the session's own directory."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True, scope="session")
def _compiled_templates_stay_in_the_session(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[None]:
    # Rendering keeps compiled templates under dlenv's cache root (render/template_cache.py),
    # asked at each use; unit tests render hundreds of contexts and must not write to ~/.cache.
    directory = tmp_path_factory.mktemp("dlenv-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("dlenv.render.context.cache_root", lambda: directory)
        yield
