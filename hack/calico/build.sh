#!/usr/bin/env bash
# Builds the Calico parts of the real-BGP tests from the calico Go module pinned in go.mod/go.sum:
# confd, calico-node's BGP status reporter, calicoctl and calico-kube-controllers. Next to the
# binaries it keeps what they read from the same module: confd's templates and conf.d, and the
# CRDs of that Calico version (tests run Calico's parts against Calico's own schemas).
# Output: $RR_CALICO_DIR (default ~/.cache/rr-calico/<key>), <key> a hash of the pins and sources
# here, with bin/, confd/ and crds/. Prints that directory on stdout.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
key="$(cat "$here/go.mod" "$here/go.sum" "$here/build.sh" "$here"/cmd/*/main.go | sha256sum | cut -c1-16)"
cache_root="${RR_CALICO_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rr-calico}"
out="$cache_root/$key"
calico=github.com/projectcalico/calico
# name → package; the status reporter is our ten-line main around node/pkg/status.Run.
declare -A packages=(
  [confd]="$calico/confd"
  [calico-node-status]="./cmd/calico-node-status"
  [calicoctl]="$calico/calicoctl/calicoctl"
  [kube-controllers]="$calico/kube-controllers/cmd/kube-controllers"
)

complete() {
  for b in "${!packages[@]}"; do [[ -x "$out/bin/$b" ]] || return 1; done
  [[ -f "$out/confd/.complete" && -f "$out/crds/.complete" ]]
}

if complete; then
  echo "calico binaries up to date in $out" >&2
  echo "$out"
  exit 0
fi

command -v go >/dev/null || { echo "hack/calico/build.sh: go is not on PATH; install Go >= 1.23" >&2; exit 1; }
cd "$here"
# -mod=mod: the module graph has a Windows-only dependency the proxy refuses; nothing built here
# needs it, and go.sum pins everything that is.
export GOFLAGS=-mod=mod CGO_ENABLED=0
start=$(date +%s)
module_dir="$(go list -m -f '{{.Dir}}' "$calico")"
if [[ -z "$module_dir" || ! -d "$module_dir" ]]; then
  go mod download "$calico"
  module_dir="$(go list -m -f '{{.Dir}}' "$calico")"
fi
mkdir -p "$out/bin"
for b in confd calico-node-status calicoctl kube-controllers; do
  if [[ ! -x "$out/bin/$b" ]]; then
    echo "building $b (first time on this machine takes a few minutes)..." >&2
    # Build to a temp name so an interrupted build never leaves a half-written binary.
    go build -trimpath -buildvcs=false -o "$out/bin/$b.tmp" "${packages[$b]}"
    mv "$out/bin/$b.tmp" "$out/bin/$b"
  fi
done
# Copies of the module's files, readable (the module cache is read-only) and complete or absent.
copy_tree() { # from to
  rm -rf "$2.tmp" && mkdir -p "$2.tmp" && cp -r "$1"/. "$2.tmp"/ && chmod -R u+w "$2.tmp"
  touch "$2.tmp/.complete" && rm -rf "$2" && mv "$2.tmp" "$2"
}
[[ -f "$out/confd/.complete" ]] || copy_tree "$module_dir/confd/etc/calico/confd" "$out/confd"
[[ -f "$out/crds/.complete" ]] || copy_tree "$module_dir/libcalico-go/config/crd" "$out/crds"
echo "built calico parts in $(( $(date +%s) - start ))s into $out" >&2
echo "$out"
