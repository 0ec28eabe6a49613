#!/usr/bin/env bash
# Prepares the real container engines the end-to-end tests use on the CI machine (Debian 12, root,
# cgroup v1 hybrid, no registry). Facts behind each step: shared/reference/real-engines-here.md.
# Idempotent: safe to re-run; the debootstrapped base image is cached between runs on one machine.
set -euo pipefail

cache_dir=${DLENV_CI_CACHE:-/var/cache/dlenv-ci}
base_ref=localhost/dlenv-test/debian:bookworm
mkdir -p "$cache_dir"

# Podman: crun cannot run on this host's hybrid cgroups, and the default ulimits exceed what the
# sandbox may set. These are properties of the CI sandbox, not defaults dlenv ships to users.
mkdir -p /etc/containers
cat >/etc/containers/containers.conf <<'CONF'
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
[engine]
runtime = "runc"
CONF

# The base image: a minimal Debian from Debian's mirror, since no registry is reachable. Keyed by
# month so that the cache refreshes security updates without rebuilding on every run.
rootfs_tar="$cache_dir/debian-bookworm-minbase-$(date +%Y%m).tar"
if [ ! -s "$rootfs_tar" ]; then
  rootfs=$(mktemp -d)
  debootstrap --variant=minbase bookworm "$rootfs" http://deb.debian.org/debian >"$cache_dir/debootstrap.log" 2>&1 \
    || { tail -n 30 "$cache_dir/debootstrap.log"; exit 1; }
  tar -C "$rootfs" -cf "$rootfs_tar.tmp" .
  mv "$rootfs_tar.tmp" "$rootfs_tar"
  rm -rf "$rootfs"
fi
if ! podman image exists "$base_ref"; then
  podman import "$rootfs_tar" "$base_ref" >/dev/null
fi

# Docker Engine: no systemd here, so start dockerd ourselves on a private socket.
docker_dir=${DLENV_CI_DOCKER_DIR:-/var/lib/dlenv-ci-docker}
docker_sock="$docker_dir/docker.sock"
if command -v dockerd >/dev/null 2>&1; then
  mkdir -p "$docker_dir"
  if ! DOCKER_HOST="unix://$docker_sock" docker version >/dev/null 2>&1; then
    nohup dockerd --iptables=false --ip-masq=false --data-root "$docker_dir/data" \
      --host "unix://$docker_sock" --pidfile "$docker_dir/dockerd.pid" \
      --exec-root "$docker_dir/exec" >"$docker_dir/dockerd.log" 2>&1 &
    for _ in $(seq 1 60); do
      DOCKER_HOST="unix://$docker_sock" docker version >/dev/null 2>&1 && break
      sleep 0.5
    done
    DOCKER_HOST="unix://$docker_sock" docker version >/dev/null || { tail -n 30 "$docker_dir/dockerd.log"; exit 1; }
  fi
  if ! DOCKER_HOST="unix://$docker_sock" docker image inspect "$base_ref" >/dev/null 2>&1; then
    DOCKER_HOST="unix://$docker_sock" docker import "$rootfs_tar" "$base_ref" >/dev/null
  fi
  echo "DOCKER_HOST=unix://$docker_sock"
fi
echo "DLENV_TEST_BASE_IMAGE=$base_ref"
