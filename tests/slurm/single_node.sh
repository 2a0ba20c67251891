#!/usr/bin/env bash
# A real single-node SLURM for the tests and CI: `tests/slurm/single_node.sh start|stop|status`.
#
# start: installs Debian's slurm-wlm and munge if missing (root only; apt must be reachable),
# writes /etc/slurm/slurm.conf for this one machine (its real cores and memory, from
# `slurmd -C`), and starts munged, slurmctld and slurmd. Settings chosen for a container and
# for the tests:
#   - no accounting daemon (AccountingStorageType=accounting_storage/none): the SLURM
#     executor plugin must poll with squeue, as on many small clusters (issue 24);
#   - MinJobAge=3600: squeue keeps reporting a finished job for an hour, so a status poll
#     never misses one that ended between two polls;
#   - proctrack/linuxproc and task/none: no cgroups, which containers rarely delegate;
#   - select/cons_tres with cores and memory as consumable, so jobs share the node by cores.
# The state (spool, logs, pid files) lives in $LOWPREC_SLURM_STATE (default
# /var/tmp/lowprec-slurm). A slurm.conf this script did not write is never overwritten.
# stop: ends the daemons this script started (by their pid files), nothing else.
# Exit status: 0 on success; 2 when this machine cannot run it (not root and SLURM missing,
# or a foreign SLURM configuration), with one sentence saying why on stderr.
set -euo pipefail

STATE=${LOWPREC_SLURM_STATE:-/var/tmp/lowprec-slurm}
CONF=/etc/slurm/slurm.conf
MARKER="# written by lowprec tests/slurm/single_node.sh"
MUNGE_PID=/run/munge/munged.pid

say() { echo "single_node.sh: $*" >&2; }
cannot() { say "$*"; exit 2; }

install_if_missing() {
    if command -v slurmctld >/dev/null && command -v slurmd >/dev/null \
        && command -v munged >/dev/null && command -v sbatch >/dev/null; then
        return
    fi
    [ "$(id -u)" = 0 ] || cannot "SLURM (slurmctld, slurmd, munged) is not installed and installing it needs root."
    command -v apt-get >/dev/null || cannot "SLURM is not installed and this machine has no apt-get to install it."
    say "installing slurm-wlm and munge with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq || cannot "apt-get update failed: cannot install SLURM."
    apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null \
        || cannot "apt-get install slurm-wlm munge failed."
}

write_config() {
    if [ -e "$CONF" ] && ! grep -qF "$MARKER" "$CONF"; then
        cannot "$CONF exists and was not written by this script; not touching a real SLURM configuration."
    fi
    local host node
    host=$(hostname -s)
    # The node line as slurmd sees the hardware (CPUs, sockets, cores, threads, memory).
    node=$(slurmd -C | head -n 1)
    case "$node" in NodeName=*) ;; *) cannot "slurmd -C printed no node description: $node" ;; esac
    mkdir -p "$STATE/ctld" "$STATE/d" /etc/slurm
    cat >"$CONF" <<EOF
$MARKER; rewritten on every start.
ClusterName=lowprec
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/d
SlurmctldPidFile=$STATE/slurmctld.pid
SlurmdPidFile=$STATE/slurmd.pid
SlurmctldLogFile=$STATE/slurmctld.log
SlurmdLogFile=$STATE/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SchedulerType=sched/backfill
MpiDefault=none
MinJobAge=3600
ReturnToService=2
KillWait=10
$node NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
}

running() {  # a pid file whose process is alive
    [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null
}

start_munge() {
    if running "$MUNGE_PID"; then return; fi
    [ -s /etc/munge/munge.key ] || mungekey --create --keyfile=/etc/munge/munge.key
    chown munge:munge /etc/munge/munge.key 2>/dev/null || true
    chmod 0400 /etc/munge/munge.key
    mkdir -p /run/munge /var/log/munge /var/lib/munge
    chown munge:munge /run/munge /var/log/munge /var/lib/munge 2>/dev/null || true
    if id munge >/dev/null 2>&1; then
        runuser -u munge -- munged
    else
        munged --force
    fi
}

wait_for_node() {
    local state=""
    for _ in $(seq 1 60); do
        state=$(sinfo -h -N -o %T 2>/dev/null | head -n 1 || true)
        case "$state" in idle|mixed|allocated) return ;; esac
        sleep 1
    done
    cannot "the SLURM node did not come up (state '${state:-none}'); see $STATE/slurmctld.log and $STATE/slurmd.log."
}

start() {
    install_if_missing
    if running "$STATE/slurmctld.pid" && running "$STATE/slurmd.pid"; then
        wait_for_node
        say "already running"
        return
    fi
    write_config
    start_munge
    # -c: start with no jobs from an earlier run.
    running "$STATE/slurmctld.pid" || slurmctld -c
    running "$STATE/slurmd.pid" || slurmd
    wait_for_node
    say "SLURM up: $(sinfo -h -N -o '%N %c CPUs %m MB %T')"
}

stop() {
    local pidfile
    for pidfile in "$STATE/slurmd.pid" "$STATE/slurmctld.pid" "$MUNGE_PID"; do
        if running "$pidfile"; then kill "$(cat "$pidfile")"; fi
    done
}

status() {
    running "$STATE/slurmctld.pid" && running "$STATE/slurmd.pid" && sinfo -N
}

case "${1:-start}" in
    start) start ;;
    stop) stop ;;
    status) status ;;
    *) echo "usage: $0 start|stop|status" >&2; exit 64 ;;
esac
