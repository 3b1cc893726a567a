#!/usr/bin/env bash
# The Go SDK's integration tests (primitives, synthetic, wordcount and regression of
# github.com/apache/beam/sdks/v2 v2.62.0) against a Millrace job server, in LOOPBACK, with
# Millrace's own exclusions (the tests' runner-specific filters are off: --runner=universal).
# Go's module and build caches live in the build tree.
# Usage: run-suite.sh <job server jar> <reports dir> [--ignore-exclusions] [--only=<regexp>]
#   --ignore-exclusions runs the excluded tests too; --only runs the tests whose names match.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
jar=$(realpath "$1")
mkdir -p "$2"
reports=$(cd "$2" && pwd)
shift 2
ignore_exclusions=false
only='.*'
for arg in "$@"; do
  case "$arg" in
    --ignore-exclusions) ignore_exclusions=true ;;
    --only=*) only=${arg#--only=} ;;
    *) echo "unknown argument $arg"; exit 2 ;;
  esac
done
source "$here/../../../../build-support/go-env.sh"
# Go's builds and the SDK's workers leave temporary directories behind: in the build tree, not /tmp.
export TMPDIR="$reports/tmp"
mkdir -p "$TMPDIR"
cd "$go_module"

packages=(
  github.com/apache/beam/sdks/v2/go/test/integration/primitives
  github.com/apache/beam/sdks/v2/go/test/integration/synthetic
  github.com/apache/beam/sdks/v2/go/test/integration/wordcount
  github.com/apache/beam/sdks/v2/go/test/regression
)
echo "Building the Go SDK's integration tests"
bin="$reports/go-tests"
mkdir -p "$bin"
for package in "${packages[@]}"; do
  go test -c -o "$bin/$(basename "$package").test" "$package" > "$reports/go-build.log" 2>&1 \
    || { cat "$reports/go-build.log"; exit 1; }
done

# "TestName | reason" lines: the tests not run.
declare -A excluded=()
while IFS='|' read -r name reason; do
  name=$(echo "$name" | tr -d ' ')
  [ -z "$name" ] || [ "${name:0:1}" = "#" ] && continue
  excluded[$name]=$reason
done < "$here/../resources/sdk-exclusions/go.txt"

server_log="$reports/go-job-server.log"
java -Xmx2g -Djava.io.tmpdir="$TMPDIR" -Dorg.slf4j.simpleLogger.defaultLogLevel=info -jar "$jar" \
  --job-host=localhost --job-port=0 --artifact-port=0 --expansion-port=-1 --ui-port=0 > "$server_log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null || true' EXIT
endpoint=""
for _ in $(seq 1 120); do
  endpoint=$(grep -o 'JobService started on [^ ]*' "$server_log" | awk '{print $4}' || true)
  [ -n "$endpoint" ] && break
  kill -0 $server 2>/dev/null || { cat "$server_log"; exit 1; }
  sleep 0.5
done
[ -n "$endpoint" ] || { echo "The job server did not start"; cat "$server_log"; exit 1; }
echo "Job server on $endpoint"

# Each test in a process of its own, so that a hang fails that test only (go test's -timeout
# would end the whole package); in its package's directory, as go test runs it.
log="$reports/go-suite.log"
: > "$log"
passed=0; failed=0; skipped=0; seen=()
for package in "${packages[@]}"; do
  binary="$bin/$(basename "$package").test"
  directory=$(go list -f '{{.Dir}}' "$package")
  for test in $(cd "$directory" && "$binary" -test.list '.*' | grep '^Test'); do
    seen+=("$test")
    [[ "$test" =~ $only ]] || continue
    if [ -n "${excluded[$test]+x}" ] && [ "$ignore_exclusions" = false ]; then
      echo "--- SKIP: $test (excluded:${excluded[$test]})" | tee -a "$log"
      skipped=$((skipped + 1))
      continue
    fi
    set +e
    (cd "$directory" && timeout --kill-after=10 300 "$binary" -test.run "^$test\$" -test.v -test.timeout 280s \
      --runner=universal --endpoint="$endpoint" --environment_type=LOOPBACK) >> "$log" 2>&1
    status=$?
    set -e
    if [ $status -eq 0 ] && ! grep -q "^--- SKIP: $test " "$log"; then
      passed=$((passed + 1))
    elif [ $status -eq 0 ]; then
      echo "--- SKIP: $test (skipped by the test itself)"
      skipped=$((skipped + 1))
    else
      [ $status -ge 124 ] && echo "--- FAIL: $test (timed out after 300 s)" >> "$log"
      echo "--- FAIL: $test"
      failed=$((failed + 1))
    fi
  done
done

# An exclusion that names no test of the suite is stale.
for name in "${!excluded[@]}"; do
  printf '%s\n' "${seen[@]}" | grep -qx "$name" || { echo "go.txt excludes $name, which is no test of the suite"; exit 1; }
done
echo "Go suite: $passed passed, $failed failed, $skipped skipped of ${#seen[@]}. Log: $log"
[ $failed -eq 0 ]
