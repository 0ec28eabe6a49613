#!/usr/bin/env bash
# A real single-node Slurm cluster for the `dlenv slurm` end-to-end tests, without systemd:
# Debian's slurm-wlm and munge (22.05). Recipe measured on this CI machine:
# shared/reference/real-engines-here.md ("Slurm"). Idempotent: a running cluster is left alone.
set -euo pipefail

if sinfo --noheader --states=idle 2>/dev/null | grep -q .; then
  exit 0
fi
conf_dir=/etc/slurm
state_dir=${DLENV_CI_SLURM_DIR:-/var/lib/dlenv-ci-slurm}
mkdir -p "$conf_dir" "$state_dir/ctld" "$state_dir/d" /var/log/munge /run/munge

# munge: a 1024-byte random key owned by munge, mode 0400, then the daemon.
if [ ! -s /etc/munge/munge.key ]; then
  dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
fi
chown munge:munge /etc/munge/munge.key /var/log/munge /run/munge
chmod 0400 /etc/munge/munge.key
pgrep -x munged >/dev/null || runuser -u munge -- munged

node=$(hostname -s)
cpus=$(nproc)
# RealMemory below the machine's (MiB), so that slurmd registers the node.
memory=$(( $(awk '/MemTotal/ {print int($2 / 1024)}' /proc/meminfo) * 3 / 4 ))
cat >"$conf_dir/slurm.conf" <<CONF
ClusterName=dlenv-ci
SlurmctldHost=$node
SlurmUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
StateSaveLocation=$state_dir/ctld
SlurmdSpoolDir=$state_dir/d
SlurmctldPidFile=$state_dir/slurmctld.pid
SlurmdPidFile=$state_dir/slurmd.pid
SlurmctldLogFile=$state_dir/slurmctld.log
SlurmdLogFile=$state_dir/slurmd.log
ReturnToService=2
NodeName=$node CPUs=$cpus RealMemory=$memory State=UNKNOWN
PartitionName=debug Nodes=$node Default=YES MaxTime=INFINITE State=UP
CONF

pgrep -x slurmctld >/dev/null || slurmctld -c
pgrep -x slurmd >/dev/null || slurmd
for _ in $(seq 1 60); do
  sinfo --noheader --states=idle 2>/dev/null | grep -q . && exit 0
  sleep 0.5
done
echo "slurm did not come up" >&2
tail -n 20 "$state_dir/slurmctld.log" "$state_dir/slurmd.log" >&2 || true
exit 1
