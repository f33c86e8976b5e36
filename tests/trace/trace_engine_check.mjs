// Loads chrome-format traces with a third-party consumer, the Chrome DevTools trace engine
// (npm @paulirish/trace_engine: the model behind the DevTools Performance panel), and exits
// non-zero if it fails to parse one, or if it did not see what the file holds: every "X"
// slice of the file as an entry of its thread, and every flow arrow.
//
//   node trace_engine_check.mjs NODE_MODULES_DIR TRACE.json...
import * as fs from 'node:fs';
import * as path from 'node:path';
import {pathToFileURL} from 'node:url';

const [modules, ...files] = process.argv.slice(2);
if (!modules || files.length === 0) {
  console.error('usage: node trace_engine_check.mjs NODE_MODULES_DIR TRACE.json...');
  process.exit(2);
}
const entry = path.join(modules, '@paulirish', 'trace_engine', 'analyze-trace.mjs');
if (!fs.existsSync(entry)) {
  console.error(`SKIP: ${entry} not found (bash .ci/deps installs it)`);
  process.exit(77);
}
const engine = await import(pathToFileURL(entry).href);

// DevTools logs what it cannot pair (e.g. "Begin/End events mismatch") with console.error:
// count those as failures too.
let complaints = [];
const origError = console.error;
console.error = (...args) => { complaints.push(args.join(' ')); };

let failed = 0;
for (const file of files) {
  complaints = [];
  const raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  const events = raw.traceEvents ?? raw;
  const slices = events.filter((e) => e.ph === 'X').length;
  // Arrows: flow ids with both a start and an end.
  const starts = new Set(events.filter((e) => e.ph === 's').map((e) => e.id));
  const arrows = events.filter((e) => e.ph === 'f' && starts.has(e.id)).length;
  const t0 = Date.now();
  let parsed;
  try {
    ({parsedTrace: parsed} = await engine.analyzeEvents(events));
  } catch (e) {
    origError(`FAIL ${file}: the trace engine threw: ${e && e.stack || e}`);
    failed++;
    continue;
  }
  const ms = Date.now() - t0;
  let threads = 0, entries = 0;
  for (const [, proc] of parsed.data.Renderer.processes) {
    for (const [, thread] of proc.threads) {
      threads++;
      entries += thread.entries.filter((e) => e.ph === 'X').length;
    }
  }
  const flows = parsed.data.Flows?.flows?.length ?? 0;
  const problems = [];
  if (complaints.length) problems.push(`${complaints.length} complaint(s), first: ${complaints[0]}`);
  if (entries !== slices) problems.push(`${entries} slices seen of ${slices}`);
  if (flows !== arrows) problems.push(`${flows} flows seen of ${arrows}`);
  if (threads === 0) problems.push('no thread');
  if (problems.length) {
    origError(`FAIL ${file}: ${problems.join('; ')}`);
    failed++;
  } else {
    console.log(`ok ${file}: ${events.length} events, ${threads} threads, ${entries} slices, ${flows} flows (${ms} ms)`);
  }
}
console.error = origError;
process.exit(failed ? 1 : 0);
