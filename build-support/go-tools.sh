#!/usr/bin/env bash
# Builds, from Beam's Go module (v2.62.0), into target/sdks/bin: Beam's boot program for Python
# harnesses (PROCESS environments and worker pools' --container_executable, through
# python-harness.sh) and the Go SDK's wordcount example. Skips what is built.
set -euo pipefail
source "$(dirname "$0")/go-env.sh"
bin="$sdks/bin"
mkdir -p "$bin"
cd "$go_module"
build() {
  if [ ! -x "$bin/$1" ]; then
    echo "Building $bin/$1 from $2"
    go build -o "$bin/$1" "$2"
  fi
}
build python-boot github.com/apache/beam/sdks/v2/python/container
build go-wordcount github.com/apache/beam/sdks/v2/go/examples/wordcount
