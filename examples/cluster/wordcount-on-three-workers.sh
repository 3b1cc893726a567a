#!/usr/bin/env bash
# WordCount as one job on three Millrace workers that exchange through Kafka, all on this machine:
# Kafka's own in-process broker (unless MILLRACE_KAFKA names one), then three worker JVMs, each
# running the same pipeline with its own --clusterWorker. Run from the project's root after
# `mvn -B -q install -DskipTests`. Workers' output goes to target/cluster-demo/worker-N.log; the
# one that holds the last step prints the top words.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=target/cluster-demo
rm -rf "$out" && mkdir -p "$out"

if [[ -z "${MILLRACE_KAFKA:-}" ]]; then
  mvn -B -q -pl cluster dependency:build-classpath -Dmdep.includeScope=test \
    -Dmdep.outputFile="$PWD/$out/broker.classpath" >/dev/null
  java -cp "cluster/target/test-classes:$(cat "$out/broker.classpath")" \
    -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
    dev.millrace.cluster.testing.LocalBroker "$out/broker-address" >"$out/broker.log" 2>&1 &
  broker=$!
  trap 'kill $broker 2>/dev/null || true' EXIT
  for _ in $(seq 1 120); do [[ -s "$out/broker-address" ]] && break; sleep 0.5; done
  MILLRACE_KAFKA=$(cat "$out/broker-address")
fi
echo "Kafka at $MILLRACE_KAFKA"

classpath="runner/target/classes:$(cat runner/target/runtime.classpath)"
job="wordcount-$(date +%s)"
pids=()
for worker in 0 1 2; do
  java -cp "$classpath" -Dorg.slf4j.simpleLogger.log.dev.millrace.cluster.shaded.kafka=warn \
    dev.millrace.runner.examples.WordCount --runner=MillraceRunner \
    --inputFile="$PWD/examples/shakespeare-sonnets.txt" \
    --clusterBootstrap="$MILLRACE_KAFKA" --clusterJob="$job" \
    --clusterWorker=$worker --clusterWorkers=3 --parallelism=3 \
    >"$out/worker-$worker.log" 2>&1 &
  pids+=($!)
done
status=0
for worker in 0 1 2; do
  if wait "${pids[$worker]}"; then
    echo "worker $worker done"
  else
    echo "worker $worker failed: see $out/worker-$worker.log"
    status=1
  fi
done
cat "$out"/worker-*.log | sed -n '/^Top words:/,/^Done/p' | grep -v '^Done'
exit $status
