"""dlenv-jupyter-lab defers `rfc3987_syntax` without changing an answer: run against the real
jsonschema and rfc3987-syntax (dev dependencies), in a fresh interpreter each time."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from dlenv.engine.caps import BuilderCaps
from dlenv.render.context import CONFIG_PATHS, RenderInput, render_context
from dlenv.resolve import resolve
from dlenv.spec.model import Spec
from tests.support.index_config import TEST_INDEXES

# The checks jsonschema makes with rfc3987_syntax: IRIs and IRI references, valid and not.
CHECKS = """
from jsonschema import FormatChecker
checker = FormatChecker()
answers = [
    checker.conforms(value, kind)
    for value, kind in [
        ("http://例え.jp/ü?q=1#f", "iri"), ("not an iri", "iri"),
        ("/relative/ü", "iri-reference"), ("http://[::1", "iri-reference"),
    ]
]
"""


def launcher(tmp_path: Path) -> Path:
    env = resolve(Spec(), indexes=TEST_INDEXES)
    files = render_context(RenderInput(env, BuilderCaps(), uid=1000, gid=1000)).files
    text = files[CONFIG_PATHS["jupyter_lab.py"]]
    path = tmp_path / "dlenv-jupyter-lab"
    path.write_text(text)
    return path


def python(code: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=60
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout.splitlines()[-1])
    return result


def deferred(path: Path, body: str) -> str:
    """`body` run after the launcher's set-up (its finder first on sys.meta_path)."""
    return (
        "import json, runpy, sys\n"
        f"sys.meta_path.insert(0, runpy.run_path({str(path)!r})['DEFERRED_FINDER'])\n" + body
    )


def test_the_import_is_deferred_and_every_answer_is_the_same(tmp_path: Path) -> None:
    path = launcher(tmp_path)
    plain = python("import json\n" + CHECKS + "print(json.dumps({'answers': answers}))")
    with_launcher = python(
        deferred(
            path,
            "import jsonschema._format\n"  # what jupyter_events' validators import
            "loaded_at_import = 'rfc3987_syntax.syntax_helpers' in sys.modules\n"
            + CHECKS
            + "print(json.dumps({'answers': answers, 'loaded_at_import': loaded_at_import,"
            " 'loaded_after': 'rfc3987_syntax.syntax_helpers' in sys.modules}))",
        )
    )
    assert with_launcher["loaded_at_import"] is False
    assert with_launcher["loaded_after"] is True
    assert with_launcher["answers"] == plain["answers"] == [True, False, True, False]


def test_a_submodule_and_any_other_name_still_import(tmp_path: Path) -> None:
    path = launcher(tmp_path)
    got = python(
        deferred(
            path,
            "import rfc3987_syntax.utils\n"  # through the stand-in's __path__
            "import rfc3987_syntax\n"
            "terms = rfc3987_syntax.RFC3987_SYNTAX_TERMS\n"  # a name the stand-in lacks
            "print(json.dumps({'terms': len(terms),"
            " 'real': sys.modules['rfc3987_syntax'].__file__ is not None}))",
        )
    )
    assert got["terms"] and got["real"] is True


def test_a_module_that_is_not_installed_stays_missing(tmp_path: Path) -> None:
    path = launcher(tmp_path)
    got = python(
        deferred(
            path,
            "sys.path = [p for p in sys.path if 'site-packages' not in p]\n"
            "try:\n    import rfc3987_syntax\n    found = True\n"
            "except ModuleNotFoundError:\n    found = False\n"
            "print(json.dumps({'found': found}))",
        )
    )
    assert got["found"] is False


@pytest.mark.parametrize("line", ["from jupyterlab.labapp import main", "sys.exit(main())"])
def test_it_starts_jupyterlab_as_the_console_script_does(tmp_path: Path, line: str) -> None:
    # The `jupyter-lab` console script (jupyterlab's pyproject: jupyterlab.labapp:main).
    assert line in launcher(tmp_path).read_text()
