#!/usr/bin/env bash
# The local demo: a real control plane on loopback, 60 simulated nodes in 3 zones, the
# kube-controllers host with the route reflector controller, and the topology following the
# cluster as it grows, shrinks and loses nodes. Ctrl-C stops everything cleanly.
set -euo pipefail
cd "$(dirname "$0")"
hack/packages.sh
hack/control-plane/build.sh >/dev/null
mvn -B -q -ntp -DskipTests install
mvn -B -q -ntp -pl demo dependency:build-classpath -Dmdep.outputFile=target/classpath.txt
exec java -cp "demo/target/classes:$(cat demo/target/classpath.txt)" dev.calicorr.demo.Demo "$@"
