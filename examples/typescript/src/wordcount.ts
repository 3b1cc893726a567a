// Word count on Millrace from Beam's TypeScript SDK: the pipeline goes to the Millrace job server
// (--endpoint, default localhost:8099) and its user code runs in this process (LOOPBACK), so the
// counts print here as the job computes them.
import * as fs from "fs";
import * as path from "path";
import * as beam from "apache-beam";
import { PortableRunner } from "apache-beam/runners/portable_runner/runner";
import { countPerElement } from "apache-beam/transforms/group_and_combine";

function option(name: string, fallback: string): string {
  const prefix = "--" + name + "=";
  const given = process.argv.find((arg) => arg.startsWith(prefix));
  return given ? given.substring(prefix.length) : fallback;
}

async function main() {
  const endpoint = option("endpoint", "localhost:8099");
  const input = option("input", path.join(__dirname, "..", "..", "shakespeare-sonnets.txt"));
  const lines = fs.readFileSync(input, "utf8").split("\n");
  const runner = new PortableRunner({ jobEndpoint: endpoint, environmentType: "LOOPBACK" });
  await runner.run((root: beam.Root) => {
    root
      .apply(beam.create(lines))
      .flatMap(
        beam.withName("words", function* (line: string) {
          yield* line.toLowerCase().split(/[^a-z']+/).filter((word) => word.length > 3);
        })
      )
      .apply(countPerElement())
      .map(
        beam.withName("print", (counted: { element: string; count: number }) => {
          if (counted.count >= 4) {
            console.log("COUNT " + counted.element + ": " + counted.count);
          }
        })
      );
  });
}

main()
  .catch((e) => {
    console.error(e);
    process.exitCode = 1;
  })
  .finally(() => process.exit());
