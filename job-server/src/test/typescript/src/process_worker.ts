// The command of a PROCESS environment. The runner starts it with --id and --provision_endpoint;
// like the SDK's container boot program, it asks the provisioning service for the pipeline
// options and the control endpoint, then runs a TypeScript SDK harness until the runner stops it.
// The SDK's modules must load from its index first: they import each other in a cycle.
import "apache-beam";
import * as grpc from "@grpc/grpc-js";
import { GrpcTransport } from "@protobuf-ts/grpc-transport";
import { Struct } from "apache-beam/proto/google/protobuf/struct";
import { ProvisionServiceClient } from "apache-beam/proto/beam_provision_api.client";
import { Worker } from "apache-beam/worker/worker";
import "./pipelines";

async function main() {
  const args: { [name: string]: string } = {};
  for (const arg of process.argv.slice(2)) {
    const match = /^--([a-z_]+)=(.*)$/.exec(arg);
    if (match) {
      args[match[1]] = match[2];
    }
  }
  const provisioning = new ProvisionServiceClient(
    new GrpcTransport({ host: args.provision_endpoint, channelCredentials: grpc.credentials.createInsecure() })
  );
  // The runner tells its workers apart by this header, as it does on the control channel.
  const { info } = await provisioning.getProvisionInfo({}, { meta: { worker_id: args.id } }).response;
  const options = Struct.toJson(info!.pipelineOptions!);
  const worker = new Worker(args.id, { controlUrl: info!.controlEndpoint!.url }, options as object);
  await worker.wait();
}

main()
  .catch((e) => {
    console.error(e);
    process.exitCode = 1;
  })
  .finally(() => process.exit());
