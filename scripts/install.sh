#!/bin/sh
# Installs dlenv from this checkout for the current user, on distros whose system Python refuses
# `pip install` (PEP 668, "externally-managed-environment": Debian 12+, Ubuntu 23.04+, Fedora
# 38+): a venv of dlenv's own under ~/.local/share/dlenv/venv, and ~/.local/bin/dlenv linked to
# it. Needs only python3 (3.11+) with its venv module; no root, no pipx, no uv.
# Re-running it upgrades dlenv in place. POSIX sh: it runs before anything else is installed.
set -eu

say() { printf 'dlenv install: %s\n' "$*"; }
die() {
  printf 'dlenv install: error: %s\n' "$1" >&2
  [ -z "${2-}" ] || printf 'dlenv install: fix: %s\n' "$2" >&2
  exit 1
}

src=$(cd "$(dirname "$0")/.." && pwd)
if [ ! -f "$src/pyproject.toml" ] || [ ! -d "$src/src/dlenv" ]; then
  die "$src is not a dlenv checkout" "run scripts/install.sh from the dlenv repository"
fi

# Under sudo this would install for root, and dlenv acts for the user who runs it: decline.
if [ "$(id -u)" = 0 ] && [ -n "${SUDO_USER-}" ]; then
  die "run the installer as yourself, not with sudo (it installs into your home)" \
    "sh scripts/install.sh   (then: sudo ~/.local/bin/dlenv setup)"
fi
[ -n "${HOME-}" ] || die "HOME is not set" "run it from a login session"

python=${PYTHON:-python3}
command -v "$python" >/dev/null 2>&1 \
  || die "$python is not installed" "install python3 (3.11 or newer) with your package manager"
"$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
  || die "dlenv needs Python 3.11 or newer; $python is $("$python" -V 2>&1)" \
    "install a newer python3, then run: PYTHON=python3.11 sh scripts/install.sh"
# Debian and Ubuntu ship the venv module without ensurepip; `python3 -m venv` then fails with a
# message that names the versioned package. Say it before anything is created.
"$python" -c 'import ensurepip, venv' >/dev/null 2>&1 \
  || die "$python cannot make virtual environments (its venv module is not installed)" \
    "sudo apt install python3-venv   (Debian, Ubuntu; elsewhere: your distribution's python3 venv package)"

data=${XDG_DATA_HOME:-$HOME/.local/share}/dlenv
venv=$data/venv
bin=$HOME/.local/bin
link=$bin/dlenv

# A venv from an older system Python (a distro upgrade) no longer runs: make it afresh.
if [ -e "$venv" ] && ! "$venv/bin/python" -c '' >/dev/null 2>&1; then
  say "the venv in $venv no longer runs; making it again"
  "$python" -m venv --clear "$venv"
elif [ ! -e "$venv" ]; then
  mkdir -p "$data"
  "$python" -m venv "$venv"
fi

say "installing dlenv from $src into $venv"
# pip always reinstalls from a directory (it cannot tell that the code is unchanged), so a
# re-run upgrades; a failed one leaves the installed dlenv as it was.
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$src" \
  || die "pip could not install dlenv into $venv (its output is above)" \
    "behind a TLS-intercepting proxy, set PIP_CERT=/path/to/ca-bundle.pem and run it again"

mkdir -p "$bin"
# Never replace a program that is not ours: only a missing file or a symlink.
if [ -e "$link" ] && [ ! -L "$link" ]; then
  die "$link exists and is not a link dlenv made" "remove or rename it, then run the installer again"
fi
ln -sf "$venv/bin/dlenv" "$link"
say "$("$link" --version) is installed: $link"

case ":${PATH-}:" in
  *":$bin:"*) ;;
  *) say "$bin is not on your PATH: log in again (Debian's and Ubuntu's ~/.profile add it once it exists), or add to your shell profile:"
     say "  export PATH=\"\$HOME/.local/bin:\$PATH\"" ;;
esac
# sudo runs programs with its own secure_path, which leaves out ~/.local/bin.
say "for root's steps, give sudo the full path: sudo $link setup"
