#!/usr/bin/env bash
# Installs the Debian packages the build and the tests need, when they are missing (as root, with
# apt-get; elsewhere it names what to install). Called by test.sh, demo.sh and .ci/run.
set -euo pipefail

missing=()
command -v java >/dev/null 2>&1 || missing+=(openjdk-17-jdk-headless)
command -v mvn >/dev/null 2>&1 || missing+=(maven)
command -v go >/dev/null 2>&1 || missing+=(golang-go)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
# real BGP in the tests: Debian's BIRD 1.6 (bird, bird6, birdc), network and mount namespaces
command -v bird >/dev/null 2>&1 || missing+=(bird)
command -v ip >/dev/null 2>&1 || missing+=(iproute2)
command -v unshare >/dev/null 2>&1 || missing+=(util-linux)
command -v dot >/dev/null 2>&1 || missing+=(graphviz)  # GraphWriterTest renders plan -o dot
command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)  # the image's JRE base, from Debian (CI)
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
    echo "missing: ${missing[*]} (install these Debian packages, then run again)" >&2
    exit 1
  fi
  echo "installing: ${missing[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
fi
# Kubernetes 1.34 needs Go >= 1.24; a Go >= 1.21 fetches that toolchain from the module proxy itself.
go_minor=$(go env GOVERSION | sed -E 's/^go1\.([0-9]+).*/\1/')
if ((go_minor < 21)); then
  echo "Go $(go env GOVERSION) is too old to build the control plane: install Go >= 1.24" >&2
  exit 1
fi
