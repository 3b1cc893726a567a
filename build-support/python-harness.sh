#!/usr/bin/env bash
# A Python SDK harness for the job server: Beam's boot program (target/sdks/bin/python-boot, built
# by go-tools.sh) in a Python environment with apache-beam 2.62.0, the build's own
# (target/sdks/python-venv) unless MILLRACE_PYTHON_VENV names another. The boot fetches the job's
# staged files (its main session, requirements) and starts the harness.
#   PROCESS:  --environment_type=PROCESS --environment_config='{"command":"<this file>"}',
#             with the job server started with --allowed-process-commands=<this file>
#   EXTERNAL: python -m apache_beam.runners.worker.worker_pool_main --service_port=N \
#               --container_executable=<this file>
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv=${MILLRACE_PYTHON_VENV:-$root/target/sdks/python-venv}
boot="$root/target/sdks/bin/python-boot"
[ -x "$boot" ] || { echo "$boot is missing: run build-support/go-tools.sh" >&2; exit 1; }
[ -x "$venv/bin/python" ] || { echo "no Python environment at $venv" >&2; exit 1; }
# The boot would make a virtual environment of its own in /opt; the harness runs in this one.
export RUN_PYTHON_SDK_IN_DEFAULT_ENVIRONMENT=1
export PATH="$venv/bin:$PATH"
exec "$boot" "$@"
