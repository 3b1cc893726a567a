#!/usr/bin/env bash
# Builds, from Beam's Go module (v2.62.0), into target/sdks/bin: Beam's boot program for Python
# harnesses (PROCESS environments and worker pools' --container_executable, through
# python-harness.sh) and the Go SDK's wordcount example, skipping what is built; and the Millrace
# Go boot (go/goboot: Go harnesses on this host, PROCESS and EXTERNAL), rebuilt when its sources
# or the module's requirements changed.
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
if [ ! -x "$bin/go-boot" ] || [ -n "$(find goboot go.mod go.sum -newer "$bin/go-boot" -print -quit)" ]; then
  echo "Building $bin/go-boot from $go_module/goboot"
  go build -o "$bin/go-boot" ./goboot
fi
