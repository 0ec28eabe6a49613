"""What an engine's failure output means, recognised in one place.

Each recogniser reads the text an engine or a build printed and says whether it shows one known
cause; the environment layer turns that into the message and the fix. The samples behind every
string are real captures in tests/fixtures/captured (build-failures/, engine-errors/).
"""

from __future__ import annotations

# ENOSPC as each layer words it: the kernel's strerror ("No space left on device": dd, apt,
# tar, the storage driver), Python's OSError ("[Errno 28] No space left on device": pip, uv),
# and the errno name some Go and Rust tools print.
_NO_SPACE = ("no space left on device", "[errno 28]", "enospc")

# The docker client's wording when nothing answers on its socket ("Cannot connect to the Docker
# daemon at unix:///...sock. Is the docker daemon running?").
_DAEMON_DOWN = ("cannot connect to the docker daemon", "is the docker daemon running")


def shows_no_space(text: str) -> bool:
    lowered = text.lower()
    return any(marker in lowered for marker in _NO_SPACE)


def shows_daemon_down(text: str) -> bool:
    lowered = text.lower()
    return any(marker in lowered for marker in _DAEMON_DOWN)


def daemon_gone_hint(program: str) -> str:
    return (
        f"The {program.capitalize()} daemon went away (stopped, crashed or restarted). Start it "
        f"again (`sudo systemctl start {program}`, or however this host runs it), check it with "
        f"`{program} info`, then run the same dlenv command again: nothing was changed, and a "
        "build resumes from the layers it had cached."
    )


def no_space_hint(program: str) -> str:
    return (
        f"The disk where {program} keeps images and build layers is full. `{program} system df` "
        f"shows what uses it; `{program} image prune` and `{program} builder prune` (docker) or "
        f"`{program} system prune` remove what no container uses. Then run the same dlenv "
        "command again: it resumes from the layers already built."
    )
