"""A fake Runner that answers `ssh-keygen` as the real one does: it writes the pair at `-f`."""

from __future__ import annotations

from pathlib import Path

from dlenv.process import Command, CommandFailed, Result
from tests.support.fakes import FakeRunner

# What `ssh-keygen -t ed25519 -C dlenv` writes to the .pub (OpenSSH 9.2, Debian 12), shortened.
PUBLIC = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKeyForTestsOnly dlenv\n"


class KeygenRunner(FakeRunner):
    """On a successful `ssh-keygen ... -f PATH`, writes PATH (0600) and PATH.pub."""

    def run(self, command: Command, *, check: bool = False, timeout: float | None = None) -> Result:
        result = super().run(command, check=check, timeout=timeout)
        if command.argv[0] == "ssh-keygen" and result.ok:
            private = Path(command.argv[command.argv.index("-f") + 1])
            private.write_text("-----BEGIN OPENSSH PRIVATE KEY-----\n")
            private.chmod(0o600)
            private.with_name(private.name + ".pub").write_text(PUBLIC)
        if check and not result.ok:
            raise CommandFailed(result)
        return result
