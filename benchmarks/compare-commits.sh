#!/usr/bin/env bash
# Measures a commit against the working tree in one run: builds both side by side (the commit in a
# git worktree under target/), then runs the benchmark suite of each in turn, before, after, before,
# after..., so drift of a shared machine falls on both alike. Each run's table goes to
# target/compare/<before|after>-<n>.md; compare medians across them.
#
#   benchmarks/compare-commits.sh COMMIT [RUNS] [SUITE ARGS]
#   benchmarks/compare-commits.sh aa5b7ff 3 "--quick --runners=plain-java,millrace,millrace-streaming"
set -euo pipefail
commit=${1:?usage: compare-commits.sh COMMIT [RUNS] [SUITE ARGS]}
runs=${2:-3}
args=${3:---quick}
root=$(cd "$(dirname "$0")/.." && pwd)
before=$root/target/compare-worktree
out=$root/target/compare
mkdir -p "$out"

if [ -e "$before" ]; then
  git -C "$root" worktree remove --force "$before"
fi
git -C "$root" worktree add --detach "$before" "$commit" >/dev/null

build() {
  (cd "$1" && mvn -B -q package -DskipTests -pl benchmarks -am \
    dependency:build-classpath -Dmdep.outputFile=target/classpath.txt)
}
build "$before"
build "$root"

maven_home=$(mvn -v | sed -n 's/^Maven home: //p')
suite() {
  local tree=$1 label=$2 n=$3
  echo "run $n: $label" >&2
  java -Dbench.dir="$tree/benchmarks" -Dmaven.home="$maven_home" \
    -classpath "$tree/benchmarks/target/classes:$(cat "$tree/benchmarks/target/classpath.txt")" \
    dev.millrace.benchmarks.BenchmarkSuite $args >"$out/$label-$n.md" ||
    echo "run $n of $label: a measurement failed (its table says which); going on" >&2
}
for n in $(seq 1 "$runs"); do
  suite "$before" before "$n"
  suite "$root" after "$n"
done
git -C "$root" worktree remove --force "$before"
echo "tables in $out" >&2
