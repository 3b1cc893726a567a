# Sourced by the build's Go steps: Go's module and build caches in the build tree (<root>/target/sdks/go),
# and the module of go/ (Beam's Go SDK v2.62.0 and what its tests and boot programs need) as the
# working module.
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
sdks="$root/target/sdks"
export GOPATH="$sdks/go/path" GOMODCACHE="$sdks/go/mod" GOCACHE="$sdks/go/cache"
# Module files are read-only by default, which would keep `mvn clean` from deleting them.
export GOFLAGS=-modcacherw
go_module="$root/build-support/go"
