#!/usr/bin/env bash
# Python columns of the benchmarks: Beam Python queries on the Millrace job server and on Beam's
# Flink job server. Arguments go to src/main/python/python_bench.py (--help lists them).
#
# Uses the Python venv the build prepares (target/sdks/python-venv, apache-beam 2.62.0). The
# Millrace job server is a copy of job-server/target/millrace-job-server.jar taken at the start, so
# a rebuild during the run does not change it; set MILLRACE_JAR to use a jar of your own as it is.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
python="${PYTHON:-$repo/target/sdks/python-venv/bin/python}"
if [[ ! -x "$python" ]]; then
  echo "no Python venv at $python (the build prepares it; or set PYTHON)" >&2
  exit 1
fi

jar="${MILLRACE_JAR:-}"
if [[ -z "$jar" ]]; then
  built="$repo/job-server/target/millrace-job-server.jar"
  if [[ ! -f "$built" ]]; then
    echo "no $built: build the job server first" >&2
    exit 1
  fi
  jar="$(mktemp /tmp/millrace-bench-js-XXXXXX.jar)"
  trap 'rm -f "$jar"' EXIT
  cp "$built" "$jar"
fi

# The Flink column's class path, resolved here: the script runs its jobs in a network namespace
# with only loopback, where Maven cannot reach a repository.
pom="$here/flink-classpath/pom.xml"
classpath="$here/target/flink.classpath"
if [[ ! -f "$classpath" || "$classpath" -ot "$pom" ]]; then
  mkdir -p "$here/target"
  mvn -B -q -f "$pom" dependency:build-classpath -Dmdep.outputFile="$classpath"
fi

# Python stops the job servers it started on SIGTERM/SIGINT; pass them on to it.
"$python" "$here/src/main/python/python_bench.py" --millrace-jar="$jar" "$@" &
pid=$!
trap 'kill -TERM "$pid" 2>/dev/null || true' TERM INT HUP
status=0
wait "$pid" || status=$?
if kill -0 "$pid" 2>/dev/null; then  # woken by a signal: wait for it to clean up
  wait "$pid" || status=$?
fi
exit "$status"
