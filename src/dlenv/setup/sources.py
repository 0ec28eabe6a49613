"""Every repository URL, key URL and package name the plans use, with the page it comes from.

Keep this the only place such strings live, so a changed upstream instruction is one edit here.

NVIDIA driver installation guide: https://docs.nvidia.com/datacenter/tesla/driver-installation-guide/
  (kernel-modules.html: open modules are Turing+ only and the default since 560; `nvidia-open` is
  the open driver meta-package, `cuda-drivers` the proprietary one; on RHEL 8/9 and Amazon Linux
  2023 `dnf module enable nvidia-driver:open-dkms` comes first; per-distro pages give the network
  repository `https://developer.download.nvidia.com/compute/cuda/repos/<distro>/<arch>/` and, for
  apt, its `cuda-keyring_1.1-1_all.deb`.)
NVIDIA Container Toolkit install guide:
  https://docs.nvidia.com/datacenter/cloud-native/container-toolkit/latest/install-guide.html
  CDI (nvidia-cdi-refresh from 1.18.0, `nvidia-ctk cdi generate` before it):
  https://docs.nvidia.com/datacenter/cloud-native/container-toolkit/latest/cdi-support.html
Docker Engine install pages: https://docs.docker.com/engine/install/{ubuntu,debian,fedora,rhel,centos}/
  post-installation steps: https://docs.docker.com/engine/install/linux-postinstall/
  rootless mode: https://docs.docker.com/engine/security/rootless/
RPM Fusion: https://rpmfusion.org/Configuration, https://rpmfusion.org/Howto/NVIDIA,
  https://rpmfusion.org/Howto/Secure%20Boot
"""

from __future__ import annotations

# --- NVIDIA driver (CUDA network repository) --------------------------------------------------

CUDA_REPO_BASE = "https://developer.download.nvidia.com/compute/cuda/repos"
# NVIDIA names its arm64 server repositories "sbsa"; other architectures keep uname -m (the
# `<arch>` of the per-distro pages' repository URLs).
CUDA_REPO_ARCH = {"x86_64": "x86_64", "aarch64": "sbsa"}
CUDA_KEYRING_DEB = "cuda-keyring_1.1-1_all.deb"
CUDA_KEYRING_PACKAGE = "cuda-keyring"
# What the .deb installs and apt then trusts for the repository (its Signed-By keyring).
CUDA_ARCHIVE_KEYRING = "usr/share/keyrings/cuda-archive-keyring.gpg"
# The key that signs NVIDIA's deb-based CUDA repositories, checked inside cuda-keyring before the
# package is installed. NVIDIA's driver installation guide, "GPG Keys Used to Sign the Packages"
# (https://docs.nvidia.com/datacenter/tesla/driver-installation-guide/
# gpg-keys-used-to-sign-the-packages.html): "deb based distributions: 3bf863cc"; apt names it
# A4B469963BF863CC (NO_PUBKEY in https://github.com/NVIDIA/nvidia-container-toolkit/issues/258);
# the full fingerprint, ending in those digits, as pinned by public provisioning code that
# fetches `<repo>/3bf863cc.pub` (found with code search: a Chef `apt_keyring ... finger`, a
# Puppet `apt::source` key id, several shell installers).
# NVIDIA publishes no checksum for cuda-keyring_1.1-1_all.deb, and the file differs per
# distribution and architecture (its sources list names the repository), so the package is
# verified by this key, not by a sha256 pinned here.
CUDA_REPO_KEY_FINGERPRINT = "EB693B3035CD5710E231E123A4B469963BF863CC"

# The key that signs NVIDIA's rpm-based CUDA repositories (RHEL, Amazon Linux 2023, SLES and
# openSUSE here): the driver installation guide, same page: "rpm based distributions: d42d0685";
# NVIDIA's own SIGNATURES.md (https://github.com/NVIDIA/cuda-repo-management/blob/main/
# SIGNATURES.md, "RPM repo method 1" and "method 2") fetches it as `<repo>/D42D0685.pub` and shows
# "Primary key fingerprint: 610C 7B14 E068 A878 070D  A4E9 9CD0 A493 D42D 0685", and dnf's
# "Importing GPG key 0xD42D0685 ... Fingerprint: 610C 7B14 E068 A878 070D A4E9 9CD0 A493 D42D
# 0685" for cuda-rhel8.repo. (That README's key table names other keys for fedora43 and debian13,
# repositories no plan here uses.)
CUDA_RPM_KEY_FILE = "D42D0685.pub"
CUDA_RPM_KEY_FINGERPRINT = "610C7B14E068A878070DA4E99CD0A493D42D0685"
CUDA_RPM_KEY = "/etc/pki/rpm-gpg/RPM-GPG-KEY-NVIDIA-CUDA"

OPEN_DRIVER_PACKAGE = "nvidia-open"
PROPRIETARY_DRIVER_PACKAGE = "cuda-drivers"
# dnf module streams on RHEL 8/9 and Amazon Linux 2023 (kernel-modules.html, tables 5 and 6).
DNF_MODULE_OPEN = "nvidia-driver:open-dkms"
DNF_MODULE_PROPRIETARY = "nvidia-driver:latest-dkms"

# SUSE: the pre-signed open KMP for use with NVIDIA's CUDA repository
# (https://software.opensuse.org/package/nvidia-open-driver-G06-signed-cuda-kmp-default: "meant
# to be used when using the CUDA repository ... opensuse15 / sles15"); nvidia-smi ships in the
# compute utils package of the same generation.
SUSE_OPEN_KMP = "nvidia-open-driver-G06-signed-cuda-kmp-default"
SUSE_COMPUTE_UTILS = "nvidia-compute-utils-G06"
# Tumbleweed has no CUDA repository; NVIDIA publishes a driver repository for it
# (https://en.opensuse.org/SDB:NVIDIA_drivers), whose open KMP drops the "-cuda" infix.
TUMBLEWEED_NVIDIA_REPO = "https://download.nvidia.com/opensuse/tumbleweed"
TUMBLEWEED_OPEN_KMP = "nvidia-open-driver-G06-signed-kmp-default"
TUMBLEWEED_PROPRIETARY_KMP = "nvidia-driver-G06-kmp-default"
# No source consulted (NVIDIA's pages, the openSUSE wiki) states the full fingerprint of the key
# that signs this repository, so none is pinned: zypper shows it and the user decides
# (suse.py, driver.repo; the plan's notes say so).

# Secure Boot: DKMS (Debian, RHEL, Amazon Linux) signs with this key and prints it for
# `mokutil --import`; akmods (Fedora) needs `kmodgenca -a` first (RPM Fusion Howto/Secure Boot).
DKMS_MOK_KEY = "/var/lib/dkms/mok.pub"
# Ubuntu's DKMS signs with shim-signed's machine key instead (made by `update-secureboot-policy
# --new-key`; /etc/dkms/framework.conf points mok_signing_key there), on 22.04 and 24.04 alike.
UBUNTU_MOK_KEY = "/var/lib/shim-signed/mok/MOK.der"
AKMODS_MOK_KEY = "/etc/pki/akmods/certs/public_key.der"

# --- RPM Fusion (Fedora) -----------------------------------------------------------------------
# The release packages carry RPM Fusion's per-release signing keys, which dnf imports on first
# use. No fingerprint is pinned: they change with every Fedora release and no source consulted
# here lists them (the plan's notes say so).

RPMFUSION_FREE = (
    "https://mirrors.rpmfusion.org/free/fedora/rpmfusion-free-release-$(rpm -E %fedora).noarch.rpm"
)
RPMFUSION_NONFREE = (
    "https://mirrors.rpmfusion.org/nonfree/fedora/"
    "rpmfusion-nonfree-release-$(rpm -E %fedora).noarch.rpm"
)
# Howto/NVIDIA: akmod-nvidia builds the module (it picks open or proprietary itself);
# xorg-x11-drv-nvidia-cuda carries nvidia-smi and the CUDA/NVML libraries.
FEDORA_DRIVER_PACKAGES = ("akmod-nvidia", "xorg-x11-drv-nvidia-cuda")
FEDORA_SECURE_BOOT_PACKAGES = ("kmodtool", "akmods", "mokutil", "openssl")

# --- RHEL and rebuilds: EPEL provides DKMS (NVIDIA driver guide, rhel.html / rocky.html) -------

EPEL_RELEASE_RPM = "https://dl.fedoraproject.org/pub/epel/epel-release-latest-{major}.noarch.rpm"

# --- NVIDIA Container Toolkit ------------------------------------------------------------------

TOOLKIT_GPG_KEY = "https://nvidia.github.io/libnvidia-container/gpgkey"
# The primary key in TOOLKIT_GPG_KEY ("NVIDIA CORPORATION (Open Source Projects)
# <cudatools@nvidia.com>"), as `gpg` shows that file in NVIDIA's own trackers:
# https://github.com/NVIDIA/libnvidia-container/issues/280 and
# https://github.com/NVIDIA/nvidia-container-toolkit/issues/1460 (`pub rsa4096 2017-09-28
# C95B321B61E88C1809C4F759DDCAE044F796ECB0`); apt reports the repository's signatures as
# NO_PUBKEY DDCAE044F796ECB0 without it (nvidia-container-toolkit issue #1478).
TOOLKIT_KEY_FINGERPRINT = "C95B321B61E88C1809C4F759DDCAE044F796ECB0"
TOOLKIT_KEYRING = "/usr/share/keyrings/nvidia-container-toolkit-keyring.gpg"
# The rpm repository file (TOOLKIT_RPM_REPO_URL) names the same key: `gpgkey=https://nvidia.github
# .io/libnvidia-container/gpgkey`, with `repo_gpgcheck=1` (copies of the file in public
# provisioning code, found with code search). dnf gets it from here, checked, via gpgkey=file://.
TOOLKIT_RPM_KEY = "/etc/pki/rpm-gpg/RPM-GPG-KEY-nvidia-container-toolkit"
TOOLKIT_RPM_REPO = "/etc/yum.repos.d/nvidia-container-toolkit.repo"
TOOLKIT_APT_LIST_URL = (
    "https://nvidia.github.io/libnvidia-container/stable/deb/nvidia-container-toolkit.list"
)
TOOLKIT_APT_LIST = "/etc/apt/sources.list.d/nvidia-container-toolkit.list"
TOOLKIT_RPM_REPO_URL = (
    "https://nvidia.github.io/libnvidia-container/stable/rpm/nvidia-container-toolkit.repo"
)
TOOLKIT_PACKAGE = "nvidia-container-toolkit"
# List files from older install instructions (per-distribution `libnvidia-container.list`, the
# nvidia-docker repository) that point at the same repository with another Signed-By and make apt
# fail with "Conflicting values set for option Signed-By" (seed-system.md, stage 3).
STALE_APT_LISTS = (
    "/etc/apt/sources.list.d/libnvidia-container.list",
    "/etc/apt/sources.list.d/nvidia-docker.list",
    "/etc/apt/sources.list.d/nvidia-container-runtime.list",
)
# Installed by older toolkit packages; it injects GPUs into every container and conflicts with CDI.
# The directory is oci-hooks(5)'s default (github.com/containers/common,
# pkg/hooks/docs/oci-hooks.5.md).
OCI_HOOK = "/usr/share/containers/oci/hooks.d/oci-nvidia-hook.json"
# cdi-support.html: `nvidia-ctk cdi generate --output=/etc/cdi/nvidia.yaml`.
CDI_STATIC_SPEC = "/etc/cdi/nvidia.yaml"
# The toolkit's configuration file (github.com/NVIDIA/nvidia-container-toolkit,
# internal/config/config.go: `configDir` /etc/ + `configFilePath`).
TOOLKIT_CONFIG = "/etc/nvidia-container-runtime/config.toml"

# --- Docker CE ---------------------------------------------------------------------------------

DOCKER_BASE = "https://download.docker.com/linux"
DOCKER_PACKAGES = (
    "docker-ce",
    "docker-ce-cli",
    "containerd.io",
    "docker-buildx-plugin",
    "docker-compose-plugin",
)
DOCKER_ROOTLESS_PACKAGE = "docker-ce-rootless-extras"
# "Uninstall old versions" on each page.
DOCKER_CONFLICTS_DEBIAN = (
    "docker.io",
    "docker-doc",
    "docker-compose",
    "podman-docker",
    "containerd",
    "runc",
)
DOCKER_CONFLICTS_UBUNTU = (*DOCKER_CONFLICTS_DEBIAN, "docker-compose-v2")
DOCKER_CONFLICTS_FEDORA = (
    "docker",
    "docker-client",
    "docker-client-latest",
    "docker-common",
    "docker-latest",
    "docker-latest-logrotate",
    "docker-logrotate",
    "docker-selinux",
    "docker-engine-selinux",
    "docker-engine",
)
DOCKER_CONFLICTS_EL = (
    "docker",
    "docker-client",
    "docker-client-latest",
    "docker-common",
    "docker-latest",
    "docker-latest-logrotate",
    "docker-logrotate",
    "docker-engine",
    "podman",
    "runc",
)
DOCKER_APT_KEY = "/etc/apt/keyrings/docker.asc"
# Docker's apt repository key (download.docker.com/linux/{ubuntu,debian}/gpg): the install
# pages said "Verify that you now have the key with the fingerprint 9DC8 5822 9FC7 DD38 854A E2D8
# 8D81 803C 0EBF CD88" (https://docs.docker.com/engine/install/debian/; docker/docs
# engine/install/debian.md, as in https://github.com/docker/docs/pull/11990).
DOCKER_APT_KEY_FINGERPRINT = "9DC858229FC7DD38854AE2D88D81803C0EBFCD88"
DOCKER_APT_LIST = "/etc/apt/sources.list.d/docker.list"
DOCKER_RPM_REPO = "/etc/yum.repos.d/docker-ce.repo"
# Docker's rpm repository key (download.docker.com/linux/{fedora,rhel,centos}/gpg, the gpgkey= of
# each docker-ce.repo): "If prompted to accept the GPG key, verify that the fingerprint matches
# `060A 61C5 1B55 8A7F 742B 77AA C52F EB6B 621E 9F35`, and if so, accept it."
# (https://docs.docker.com/engine/install/fedora/ and /rhel/, /centos/; docker/docs
# content/manuals/engine/install/fedora.md.)
DOCKER_RPM_KEY_FINGERPRINT = "060A61C51B558A7F742B77AAC52FEB6B621E9F35"
DOCKER_RPM_KEY = "/etc/pki/rpm-gpg/RPM-GPG-KEY-docker-ce"
# Docker CE has no openSUSE/SLES (x86_64) or Amazon Linux packages; those distros ship their own
# `docker` package (SLES: in the Containers Module, https://documentation.suse.com/sles/15-SP6/
# html/SLES-all/cha-docker-installation.html; AL2023: https://docs.aws.amazon.com/linux/al2023/
# ug/docker.html).
DISTRO_DOCKER_PACKAGE = "docker"

# "Linux post-installation steps for Docker Engine", "Manage Docker as a non-root user"
# (https://docs.docker.com/engine/install/linux-postinstall/; docker/docs
# content/manuals/engine/install/linux-postinstall.md): the daemon's socket is owned by root;
# "When the Docker daemon starts, it creates a Unix socket accessible by members of the `docker`
# group", so create the group (`sudo groupadd docker`; some packages already do), add the user
# (`sudo usermod -aG docker $USER`), then "Log out and log back in so that your group membership
# is re-evaluated", or run `newgrp docker`. The page's warning: "The `docker` group grants
# root-level privileges to the user." Its note points to rootless mode as the way without root.
DOCKER_POSTINSTALL_GUIDE = "https://docs.docker.com/engine/install/linux-postinstall/"
DOCKER_ROOTLESS_GUIDE = "https://docs.docker.com/engine/security/rootless/"
DOCKER_GROUP = "docker"
DOCKER_GROUP_WARNING = "The `docker` group grants root-level privileges to the user."

# The sample workload (seed-system.md, stage 5; toolkit guide "Running a Sample Workload").
SAMPLE_IMAGE = "docker.io/library/ubuntu"
