// An EXTERNAL environment's worker pool: starts a TypeScript SDK harness for each worker the
// runner asks for, with the test pipelines loaded so their closures can be rebuilt. Prints
// "worker pool at HOST:PORT" once it listens; runs until killed.
// The SDK's modules must load from its index first: they import each other in a cycle.
import "apache-beam";
import { ExternalWorkerPool } from "apache-beam/worker/external_worker_service";
import "./pipelines";

new ExternalWorkerPool("localhost:0").start().then((address) => {
  console.log("worker pool at " + address);
});
