#!/usr/bin/env bash
# The Python virtual environment the build's Python tests use, in the build tree: made once per
# requirements file (a stamp holds its checksum), with pip from the machine's python3.
# Usage: python-venv.sh <venv dir> <requirements file>
set -euo pipefail
venv=$1
requirements=$2
stamp="$venv/.requirements.sha256"
want=$(sha256sum "$requirements" | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
# Serialises two modules' builds that make it at once (mvn -T): the second waits, then finds it made.
mkdir -p "$(dirname "$venv")"
exec 9>"$(dirname "$venv")/.python-venv.lock"
flock 9
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
echo "Making the Python environment $venv from $requirements"
rm -rf "$venv"
python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"
echo "$want" > "$stamp"
