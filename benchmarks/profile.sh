#!/usr/bin/env bash
# Profiles one measurement with JDK Flight Recorder and prints its top frames as markdown
# (ProfileSummary): where the CPU samples were, by package family and by method.
#
#   benchmarks/profile.sh RUNNER QUERY [EVENTS] [SEED]
#   benchmarks/profile.sh millrace-streaming Q11 500000
#
# Build first: mvn -B -q package -DskipTests -pl benchmarks -am dependency:build-classpath \
#   -Dmdep.outputFile=target/classpath.txt
# The recording stays in benchmarks/target/profiles/RUNNER-QUERY-EVENTS.jfr.
set -euo pipefail
runner=${1:?usage: profile.sh RUNNER QUERY [EVENTS] [SEED]}
query=${2:?usage: profile.sh RUNNER QUERY [EVENTS] [SEED]}
events=${3:-1000000}
seed=${4:-42}
here=$(cd "$(dirname "$0")" && pwd)
out=$here/target/profiles
mkdir -p "$out/tmp"
recording=$out/$runner-$query-$events.jfr
classpath="$here/target/classes:$(cat "$here/target/classpath.txt")"
maven_home=$(mvn -v | sed -n 's/^Maven home: //p')
java -Xmx4g -Djava.io.tmpdir="$out/tmp" -Dbench.dir="$here" -Dmaven.home="$maven_home" \
  -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
  -XX:StartFlightRecording=filename="$recording",settings=profile \
  -cp "$classpath" dev.millrace.benchmarks.BenchmarkJob "$runner" "$query" "$events" "$seed" |
  grep '^RESULT' >&2
java -cp "$classpath" dev.millrace.benchmarks.ProfileSummary "$recording" 20
