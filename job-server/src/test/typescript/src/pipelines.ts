// Pipelines the job server's end-to-end tests run from the TypeScript SDK. Each one writes its
// results, one JSON line per element, to a file the test reads back: the harness that runs the
// user code (LOOPBACK, EXTERNAL or PROCESS) is on the test's machine, so a file is the one sink
// every environment shares.
import Long from "long";
import * as beam from "apache-beam";
import { sum, max } from "apache-beam/transforms/combiners";
import { countPerElement } from "apache-beam/transforms/group_and_combine";
import { fixedWindows } from "apache-beam/transforms/windowings";
import { appendLine } from "./sink";

/** Writes each element to `path` (see sink.ts). */
function writeTo(path: string) {
  return (element: unknown) => {
    appendLine(path, element);
  };
}

/** Words of two lines, counted: `{element, count}` per word. */
function wordCount(root: beam.Root, output: string) {
  root
    .apply(beam.create(["the cat sat on the mat", "the dog sat"]))
    .flatMap(function* (line: string) {
      yield* line.split(" ");
    })
    .apply(countPerElement())
    .map(writeTo(output));
}

/**
 * Values with event times in two ten-second windows, grouped per key and window:
 * `{key, windowEnd, values}` with the values sorted.
 */
function windowedGroupByKey(root: beam.Root, output: string) {
  const events = [
    { key: "a", value: 1, at: 1000 },
    { key: "a", value: 2, at: 9000 },
    { key: "b", value: 3, at: 5000 },
    { key: "a", value: 4, at: 12000 },
    { key: "b", value: 5, at: 19999 },
  ];
  root
    .apply(beam.create(events))
    .apply(beam.assignTimestamps((e: { at: number }) => Long.fromValue(e.at)))
    .apply(beam.windowInto(fixedWindows(10)))
    .apply(beam.groupBy((e: { key: string }) => e.key))
    .map(
      (kv: { key: string; value: Iterable<{ value: number }> }, context: { window: any }) => ({
        key: kv.key,
        windowEnd: Long.fromValue(context.window.lookup().end).toNumber(),
        values: Array.from(kv.value, (e) => e.value).sort((x, y) => x - y),
      }),
      { window: beam.windowParam() }
    )
    .map(writeTo(output));
}

/** Each main-input number plus a singleton side input: `{n, plus}`. */
function sideInput(root: beam.Root, output: string) {
  const offset = root.apply(beam.withName("offset", beam.create([100])));
  root
    .apply(beam.withName("numbers", beam.create([1, 2, 3])))
    .map(
      beam.withName("addOffset", (n: number, context: { offset: any }) => ({ n, plus: n + context.offset.lookup() })),
      { offset: beam.singletonSideInput(offset) }
    )
    .map(writeTo(output));
}

/** Sales per shop, combined: `{shop, total, largest}`. */
function combinePerKey(root: beam.Root, output: string) {
  root
    .apply(
      beam.create([
        { shop: "north", amount: 5 },
        { shop: "south", amount: 7 },
        { shop: "north", amount: 11 },
        { shop: "south", amount: 1 },
        { shop: "east", amount: 4 },
      ])
    )
    .apply(beam.groupBy("shop").combining("amount", sum, "total").combining("amount", max, "largest"))
    .map(writeTo(output));
}

/** A DoFn that throws on one element: the job must fail with its message. */
function failingDoFn(root: beam.Root, output: string) {
  root
    .apply(beam.create([1, 2, 3]))
    .map((n: number) => {
      if (n == 2) {
        throw new Error("millrace-e2e: the DoFn refuses element 2");
      }
      return n;
    })
    .map(writeTo(output));
}

/** Counts and measures its elements in user metrics; `counted` and `sizes` reach GetJobMetrics. */
function userMetrics(root: beam.Root, output: string) {
  root
    .apply(beam.create(["a", "bb", "ccc", "dddd"]))
    .map(
      beam.withName("measure", (word: string, context: { counted: any; sizes: any }) => {
        context.counted.increment(1);
        context.sizes.update(word.length);
        return word;
      }),
      { counted: beam.counter("counted"), sizes: beam.distribution("sizes") }
    )
    .map(writeTo(output));
}

/** Sleeps in every element, about 10 s in all: a job to disconnect from while it runs. */
function slow(root: beam.Root, output: string) {
  root
    .apply(beam.create(Array.from({ length: 200 }, (_, i) => i)))
    .map(
      beam.withName("sleep", (n: number) => {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
        return n;
      })
    )
    .map(writeTo(output));
}

export const PIPELINES: { [name: string]: (root: beam.Root, output: string) => void } = {
  wordCount,
  windowedGroupByKey,
  sideInput,
  combinePerKey,
  failingDoFn,
  userMetrics,
  slow,
};
