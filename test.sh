#!/usr/bin/env bash
# Runs every test: the pure unit/property tests (*Test) and the integration tests (*IT) against a
# real kube-apiserver + etcd on loopback, built from the Kubernetes Go modules on first use; the
# real-BGP tests also run Calico's confd and status reporter (built from the calico Go module on
# first use) with Debian's BIRD in network namespaces, as root.
set -euo pipefail
cd "$(dirname "$0")"
hack/packages.sh
hack/control-plane/build.sh >/dev/null
hack/calico/build.sh >/dev/null
exec mvn -B -ntp verify "$@"
