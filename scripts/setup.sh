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
# -buildvcs=auto stamps the commit (rdarts version, provenance.jsonl) even
# where GOFLAGS says -buildvcs=false; go build cannot stamp inside a git
# worktree, so the commit is also passed to the linker when git knows it.
ldflags=()
if rev=$(git rev-parse HEAD 2>/dev/null); then
  dirty=false
  [ -z "$(git status --porcelain --untracked-files=no 2>/dev/null)" ] || dirty=true
  ldflags=(-ldflags "-X github.com/rdarts/rdarts/internal/provenance.linkRevision=$rev -X github.com/rdarts/rdarts/internal/provenance.linkModified=$dirty")
fi
go build -buildvcs=auto "${ldflags[@]}" -o bin/rdarts ./cmd/rdarts
echo "built bin/rdarts"
