#!/usr/bin/env bash
# Beam's portable runner suite (flink_runner_test.py of the apache-beam wheel) against Millrace job
# servers, in LOOPBACK. Each test class starts its own server on free loopback ports and stops it
# after its tests; timeout signals the whole process group, servers included, if the suite hangs.
# Usage: run-suite.sh <venv> <job server jar> <reports dir> [pytest arguments...]
#   --millrace-ignore-exclusions runs the excluded tests too; -k <expr> narrows the run.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
venv=$1
jar=$2
reports=$3
shift 3
mkdir -p "$reports"
export MILLRACE_JOB_SERVER_JAR=$jar
export PYTHONDONTWRITEBYTECODE=1
# Beam's tests and LOOPBACK workers leave temporary directories behind: in the build tree, not /tmp.
export TMPDIR="$(cd "$reports" && pwd)/tmp"
rm -rf "$TMPDIR"
mkdir -p "$TMPDIR"
# The job servers the tests start are Java: their temporary files (RocksDB's native library) too.
export JAVA_TOOL_OPTIONS="-Djava.io.tmpdir=$TMPDIR"
cd "$here"
set +e
timeout --kill-after=30 2400 "$venv/bin/python" -m pytest \
  -p millrace_suite_plugin millrace_portable_runner_test.py \
  --test-pipeline-options="--environment_type=LOOPBACK" \
  --millrace-exclusions="$here/../resources/sdk-exclusions/python.txt" \
  -o timeout=300 -p no:cacheprovider -q -rfEs \
  --junitxml="$reports/python-suite.xml" "$@" > "$reports/python-suite.log" 2>&1
status=$?
set -e
# The summary: failures first, then the counts. The whole log is beside the JUnit XML.
grep -E "^(FAILED|ERROR) |^[0-9]+ (passed|failed)|(passed|failed|skipped).* in [0-9.]+s" "$reports/python-suite.log" | tail -60
echo "Log: $reports/python-suite.log (exit $status)"
exit $status
