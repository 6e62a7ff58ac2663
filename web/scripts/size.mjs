// Prints the gzipped size of the JavaScript the first page load fetches (index.html's
// scripts and what they import statically) and fails above the budget of 150 KB.
import { readFileSync, readdirSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { join } from "node:path";

const BUDGET = 150 * 1024;
const dist = new URL("../dist/", import.meta.url).pathname;
const html = readFileSync(join(dist, "index.html"), "utf8");
const seen = new Set();
const queue = [...html.matchAll(/<script[^>]+src="\/([^"]+)"/g)].map((m) => m[1]);
let total = 0;
while (queue.length) {
  const f = queue.shift();
  if (seen.has(f)) continue;
  seen.add(f);
  const src = readFileSync(join(dist, f));
  const gz = gzipSync(src, { level: 9 }).length;
  total += gz;
  console.log(`  ${f}: ${(src.length / 1024).toFixed(1)} KB, ${(gz / 1024).toFixed(1)} KB gzipped`);
  for (const m of src.toString().matchAll(/(?:^|[^.\w])import\s*(?:[\w{},*\s]+from\s*)?["']\.\/([^"']+\.js)["']/g))
    queue.push(join(f, "..", m[1]));
}
const css = readdirSync(join(dist, "assets")).filter((f) => f.endsWith(".css"));
for (const f of css) {
  const gz = gzipSync(readFileSync(join(dist, "assets", f)), { level: 9 }).length;
  console.log(`  assets/${f}: ${(gz / 1024).toFixed(1)} KB gzipped (CSS)`);
}
console.log(`first load JavaScript: ${(total / 1024).toFixed(1)} KB gzipped (budget ${BUDGET / 1024} KB)`);
if (total > BUDGET) {
  console.error("over the budget");
  process.exit(1);
}
