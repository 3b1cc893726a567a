#!/bin/sh
# The command of the tests' PROCESS environment: a TypeScript SDK harness (see src/process_worker.ts).
exec node "$(dirname "$0")/dist/process_worker.js" "$@"
