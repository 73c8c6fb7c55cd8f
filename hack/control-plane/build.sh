#!/usr/bin/env bash
# Builds kube-apiserver, kubectl and etcd from the Go modules pinned in go.mod / go.sum.
# Output: $RR_CONTROL_PLANE_BIN (default ~/.cache/rr-control-plane/<key>/bin), where <key>
# is a hash of the pins and sources here, so a fresh clone on the same machine reuses
# the binaries and a change of pins builds afresh. Prints the bin directory on stdout.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
key="$(cat "$here/go.mod" "$here/go.sum" "$here"/cmd/*/main.go | sha256sum | cut -c1-16)"
cache_root="${RR_CONTROL_PLANE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rr-control-plane}"
bin="$cache_root/$key/bin"
binaries=(kube-apiserver kubectl etcd)

complete() {
  for b in "${binaries[@]}"; do [[ -x "$bin/$b" ]] || return 1; done
}

if complete; then
  echo "control plane binaries up to date in $bin" >&2
  echo "$bin"
  exit 0
fi

command -v go >/dev/null || { echo "build.sh: go is not on PATH; install Go >= 1.24" >&2; exit 1; }
mkdir -p "$bin"
start=$(date +%s)
cd "$here"
for b in "${binaries[@]}"; do
  if [[ ! -x "$bin/$b" ]]; then
    echo "building $b (first time on this machine takes several minutes)..." >&2
    # -trimpath and no VCS stamping keep the build reproducible; build to a temp name so an
    # interrupted build never leaves a half-written binary that looks complete.
    CGO_ENABLED=0 go build -trimpath -buildvcs=false -o "$bin/$b.tmp" "./cmd/$b"
    mv "$bin/$b.tmp" "$bin/$b"
  fi
done
echo "built control plane in $(( $(date +%s) - start ))s into $bin" >&2
echo "$bin"
