#!/usr/bin/env bash
# Installs what rdarts needs on Debian (as root or with sudo) and builds it.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
need=()
dpkg -s libopenblas-dev >/dev/null 2>&1 || need+=(libopenblas-dev)
dpkg -s dataset-fashion-mnist >/dev/null 2>&1 || need+=(dataset-fashion-mnist)
command -v gcc >/dev/null 2>&1 || need+=(gcc)
command -v dot >/dev/null 2>&1 || need+=(graphviz)
if [ ${#need[@]} -gt 0 ]; then
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
mkdir -p bin
go build -o bin/rdarts ./cmd/rdarts
echo "built bin/rdarts"
