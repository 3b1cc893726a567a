// Runs one of the pipelines in PIPELINES on a job server and prints one JSON line with the job's
// final state and user metrics. Usage:
//   node dist/run_pipeline.js --endpoint=HOST:PORT --pipeline=NAME --output=FILE
//       --environment=LOOPBACK | EXTERNAL --worker_pool=HOST:PORT | PROCESS --command=PATH
//       [--job_name=NAME]
import * as beam from "apache-beam";
import { PortableRunner } from "apache-beam/runners/portable_runner/runner";
import { JobState_Enum } from "apache-beam/proto/beam_job_api";
import * as runnerApi from "apache-beam/proto/beam_runner_api";
import { TYPESCRIPT_DEFAULT_ENVIRONMENT_URN, asExternalEnvironment } from "apache-beam/internal/environments";
import { PIPELINES } from "./pipelines";

function flags(): { [name: string]: string } {
  const parsed: { [name: string]: string } = {};
  for (const arg of process.argv.slice(2)) {
    const match = /^--([a-z_]+)=(.*)$/.exec(arg);
    if (!match) {
      throw new Error("unexpected argument " + arg);
    }
    parsed[match[1]] = match[2];
  }
  return parsed;
}

/**
 * The SDK's own runner turns its default environment into LOOPBACK or DOCKER only; this one
 * also makes it EXTERNAL (a worker pool already running) or PROCESS (a command the server runs).
 */
class EnvironmentRunner extends PortableRunner {
  constructor(endpoint: string, jobName: string, private readonly environment: (env: any) => any) {
    super({ jobEndpoint: endpoint, jobName });
  }

  async runPipeline(pipeline: runnerApi.Pipeline, options?: any) {
    const copy = runnerApi.Pipeline.clone(pipeline);
    for (const [id, env] of Object.entries(copy.components!.environments) as [string, any][]) {
      if (env.urn === TYPESCRIPT_DEFAULT_ENVIRONMENT_URN) {
        copy.components!.environments[id] = this.environment(env);
      }
    }
    return super.runPipeline(copy, options);
  }
}

function processEnvironment(env: any, command: string) {
  return {
    ...env,
    urn: "beam:env:process:v1",
    payload: runnerApi.ProcessPayload.toBinary({ os: "", arch: "", command, env: {} }),
  };
}

async function main() {
  const args = flags();
  const pipeline = PIPELINES[args.pipeline];
  if (!pipeline) {
    throw new Error("no pipeline " + args.pipeline + "; there are " + Object.keys(PIPELINES));
  }
  let runner: PortableRunner;
  switch (args.environment) {
    case "LOOPBACK":
      runner = new PortableRunner({ jobEndpoint: args.endpoint, environmentType: "LOOPBACK", jobName: args.job_name });
      break;
    case "EXTERNAL":
      runner = new EnvironmentRunner(args.endpoint, args.job_name, (env) => asExternalEnvironment(env, args.worker_pool));
      break;
    case "PROCESS":
      runner = new EnvironmentRunner(args.endpoint, args.job_name, (env) => processEnvironment(env, args.command));
      break;
    default:
      throw new Error("unknown environment " + args.environment);
  }
  const result = await runner.runAsync((root: beam.Root) => {
    pipeline(root, args.output);
  });
  const state = await result.waitUntilFinish(120_000);
  const counters = await result.counters();
  const distributions = await result.distributions();
  const jobId = (result as any).jobId;
  console.log(JSON.stringify({ state: JobState_Enum[state], jobId, counters, distributions }));
}

main()
  .catch((e) => {
    console.error(e);
    process.exitCode = 1;
  })
  .finally(() => process.exit());
