#!/usr/bin/env bash
# The Slurm integration test of `rdarts grid`: installs Debian's slurm-wlm and
# munge if missing, then starts a one-node cluster on localhost (munged,
# slurmctld, slurmd; a slurm.conf in a temp folder), submits a tiny grid with
# `rdarts grid run --slurm`, waits for it, checks every task's outputs and
# stops the daemons it started. Needs root. About a minute.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" != 0 ]; then
  echo "slurm-test: needs root (slurmd runs jobs as any user); run it with sudo" >&2
  exit 1
fi
if ! { command -v sbatch && [ -x /usr/sbin/munged ] && [ -x /usr/sbin/slurmctld ] && [ -x /usr/sbin/slurmd ]; } >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/dev/null
fi
RDARTS_SLURM_TEST=1 go test -count=1 -timeout 8m -run TestSlurmIntegration -v ./grid
