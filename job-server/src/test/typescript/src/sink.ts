// Where the test pipelines write their results. Registered for serialization by its file name,
// so a closure that calls appendLine is sent to workers as a reference to this module (which
// every worker of the tests loads) instead of as the Node file-system module, which cannot be
// serialized.
import { appendFileSync } from "fs";
import { requireForSerialization } from "apache-beam/serialization";

/** Appends an element to a file as one JSON line; the bundles of several workers may interleave. */
export function appendLine(path: string, element: unknown) {
  appendFileSync(path, JSON.stringify(element) + "\n");
}

requireForSerialization(__filename, { appendLine });
