#!/usr/bin/env bash
# Regenerates the pictures of docs/topologies.md from real plan output: for each line
# `NAME ARGS...` of docs/pictures/pictures.txt, `kube-controllers plan ARGS -o dot` goes to
# docs/pictures/NAME.dot and Graphviz renders it to docs/pictures/NAME.svg. Commit both;
# DocsPicturesTest fails when they are out of date with the plan command.
# Needs Java 17, Maven and Graphviz (Debian: apt-get install -y graphviz).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v dot >/dev/null || { echo "generate.sh: dot is not on PATH; apt-get install -y graphviz" >&2; exit 1; }
mvn -B -q -ntp -pl deploy -am package -DskipTests
jar=deploy/target/kube-controllers.jar
while read -r name args; do
  [[ -z "$name" || "$name" == \#* ]] && continue
  # shellcheck disable=SC2086 # the arguments are split at spaces, as DocsPicturesTest splits them
  java -jar "$jar" plan $args -o dot > "docs/pictures/$name.dot"
  dot -Tsvg "docs/pictures/$name.dot" > "docs/pictures/$name.svg"
  echo "docs/pictures/$name.svg: plan $args" >&2
done < docs/pictures/pictures.txt
