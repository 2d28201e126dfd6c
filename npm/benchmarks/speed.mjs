// Decisions per second through the npm package on the standard mix (`mix` prints it):
// single requests (`decide`, one call per request) and batches (`decideMany` of the whole
// mix), each for a few seconds. Usage (from a project that installed the package):
//   node speed.mjs MIX.jsonl [SECONDS]
import { readFileSync } from "node:fs";
import { decide, decideMany } from "onbehalf";

const mix = readFileSync(process.argv[2], "utf8").trim().split("\n").map((l) => JSON.parse(l));
const seconds = Number(process.argv[3] ?? 3);

function rate(run) {
  run(); // warm up
  let done = 0;
  const start = performance.now();
  while (performance.now() - start < seconds * 1000) {
    run();
    done += mix.length;
  }
  return done / ((performance.now() - start) / 1000);
}

const fmt = (n) => Math.round(n).toLocaleString("en-US");
console.log(`npm single: ${fmt(rate(() => { for (const r of mix) decide(r); }))} decisions/s`);
console.log(`npm batch of ${mix.length}: ${fmt(rate(() => decideMany(mix)))} decisions/s`);
