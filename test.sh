#!/usr/bin/env bash
# Runs every test: the pure unit/property tests (*Test) and the integration tests (*IT) against a
# real kube-apiserver + etcd on loopback, built from the Kubernetes Go modules on first use.
set -euo pipefail
cd "$(dirname "$0")"
hack/control-plane/build.sh >/dev/null
exec mvn -B -ntp verify "$@"
