"""`dlenv.lock`: one resolve of every package layer with uv, kept in dlenv.lock (versions + hashes).

model: the data; compile: uv's argv and output (pure); resolver: the edge that runs uv;
fileformat: the TOML file (where: key paths and lines for its errors); validate: the rule every
value obeys, checked whenever a Lock is made; stale: does the lock still match the spec, input by
input; install: what the build runs.
"""

from dlenv.lock.fileformat import dumps, loads, read_lock, write_lock
from dlenv.lock.model import LOCK_FILENAME, Lock, LockedLayer, LockedPackage, LockInput, lock_input
from dlenv.lock.stale import stale_reasons

__all__ = [
    "LOCK_FILENAME",
    "Lock",
    "LockInput",
    "LockedLayer",
    "LockedPackage",
    "dumps",
    "loads",
    "lock_input",
    "read_lock",
    "stale_reasons",
    "write_lock",
]
