#!/usr/bin/env bash
# Runs the JMH benchmarks (docs/benchmarks.md). Never part of `mvn verify`.
#   ./bench.sh planner [JMH args...]   the pure planner, 1k..100k nodes; JSON in benchmarks/target/jmh-planner.json
#                                      e.g. ./bench.sh planner -prof gc
#                                           ./bench.sh planner -p nodes=5000 -p topology=MULTI replanAfterOneEvent
#   ./bench.sh scale [nodes...]        the controller process against a real control plane (default 5000 nodes)
#                                      e.g. ./bench.sh scale 5000 20000
#   ./bench.sh churn [nodes...]        writes and BGP session changes per event, pure planner (default 5000 20000)
#   ./bench.sh bgp-churn [nodes]       the same events on real BGP (confd, BIRD; root), BIRD's session changes (default 40)
set -euo pipefail
cd "$(dirname "$0")"

usage() {
    echo "usage: $0 planner [JMH args...] | $0 scale [nodes...] | $0 churn [nodes...] | $0 bgp-churn [nodes]" >&2
    exit 2
}

build_benchmarks() {
    mvn -B -ntp -q -pl benchmarks -am package -DskipTests
}

[[ $# -ge 1 ]] || usage
command=$1
shift
case "$command" in
    planner)
        build_benchmarks
        # JMH takes the benchmark regexps and options after ours; PlannerBenchmark unless others are named
        args=("$@")
        has_pattern=false
        for arg in "${args[@]+"${args[@]}"}"; do
            [[ $arg == *Benchmark* || $arg == *fullPlan* || $arg == *replanAfterOneEvent* ]] && has_pattern=true
        done
        $has_pattern || args+=("PlannerBenchmark")
        exec java -jar benchmarks/target/benchmarks.jar \
            -rf json -rff benchmarks/target/jmh-planner.json "${args[@]}"
        ;;
    churn)
        build_benchmarks
        exec java -cp benchmarks/target/benchmarks.jar dev.calicorr.benchmarks.churn.ChurnBenchmark "$@"
        ;;
    bgp-churn)
        hack/packages.sh
        hack/control-plane/build.sh >/dev/null
        hack/calico/build.sh >/dev/null
        build_benchmarks
        exec java -cp benchmarks/target/benchmarks.jar dev.calicorr.benchmarks.bgp.BgpChurnBenchmark "$@"
        ;;
    scale)
        # the runnable controller jar and the benchmark driver; the control plane comes from its cache
        bash hack/control-plane/build.sh >/dev/null
        mvn -B -ntp -q -pl deploy,benchmarks -am package -DskipTests
        exec java -cp benchmarks/target/benchmarks.jar dev.calicorr.benchmarks.scale.ScaleBenchmark "$@"
        ;;
    -h|--help|help)
        usage
        ;;
    *)
        echo "unknown benchmark: $command" >&2
        usage
        ;;
esac
