#!/usr/bin/env node
/**
 * `node bench/mutant-by-hand.js <file under functions/src> <suite>[,<suite>…] [--module-level] [--uncovered] [--lines=A-B] [--write]`
 *
 * Re-tests the surviving mutants of one file from the last Stryker report (reports/mutation/mutation.json)
 * without Stryker: each mutant is written into the real source file, the named suites run with plain jest
 * (the project's config, embedded Firestore and all), and the file is put back. A mutant is killed when jest
 * fails.
 *
 * Why: under `coverageAnalysis: "perTest"` Stryker runs a mutant only against the tests that executed it. A
 * module loaded lazily (`require` inside a handler, as index.ts does so each function loads only its own
 * code) runs its module-level code once, inside whichever test first calls the handler; Stryker then
 * credits that code to that one test, and a mutant in it that another test would kill "survives"
 * (docs/mutation.md, "Lazily loaded modules"). `--module-level` keeps only mutants outside any function
 * body, which is where this happens. `--write` records each killed one in bench/mutation-explained.json as
 * "static, tested", naming the suite that killed it; survivors are printed and left for a test or a reason.
 * `--uncovered` also applies the mutants no test reached in the report ("no coverage"): a check that new
 * tests reach and kill them before the next Stryker run (do not `--write` those: they are not static, unless
 * `--module-level` keeps only module-level ones, which are).
 */
const { spawn } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");
const ts = require("typescript");
const { explain, loadExplanations } = require("./mutation-report");

const root = path.join(__dirname, "..");
const [file, suites, ...flags] = process.argv.slice(2);
if (!file || !suites) {
  process.stderr.write(
    "usage: node bench/mutant-by-hand.js <file under functions/src> <suite,…> [--module-level] [--uncovered] [--lines=A-B] [--write]\n",
  );
  process.exit(2);
}
if (flags.includes("--write") && flags.includes("--uncovered") && !flags.includes("--module-level")) {
  // a mutant no test reached inside a function is not static: the next Stryker run measures it, nothing is
  // recorded by hand. Module-level code no test reached (a lazily loaded module's constants) is static.
  process.stderr.write("--write records static mutants only; run --uncovered without it, or with --module-level\n");
  process.exit(2);
}
/** --lines=80-90: only the mutants that start on those lines */
const lines = flags
  .find((f) => f.startsWith("--lines="))
  ?.slice(8)
  .split("-")
  .map(Number);
const reportPath = path.join(root, "reports/mutation/mutation.json");
// reports/ is not in git: a fresh clone has no report until a lane has run (the wiring lane, index.ts only, takes
// about 90 s). Its other files' rows in docs/mutation.md are unaffected: this script writes only the explanations.
if (!fs.existsSync(reportPath)) {
  process.stderr.write(
    `no Stryker report at ${path.relative(root, reportPath)}: run the lane that covers ${file} first (npm run mutate:lanes <lane>)\n`,
  );
  process.exit(2);
}
const report = JSON.parse(fs.readFileSync(reportPath, "utf8"));
const key = `functions/src/${file}`;
const entry = report.files[key];
if (!entry) throw new Error(`${key} is not in the last report`);
const srcPath = path.join(root, key);
const original = fs.readFileSync(srcPath, "utf8");
if (original !== entry.source) throw new Error(`${key} changed since the report was written; run its lane again first`);

const explainedPath = path.join(__dirname, "mutation-explained.json");
const explained = JSON.parse(fs.readFileSync(explainedPath, "utf8"));

/** Offsets of every line start, to turn the report's 1-based line/column into a string index. */
const lineStarts = [0];
for (let i = 0; i < original.length; i++) if (original[i] === "\n") lineStarts.push(i + 1);
const at = ({ line, column }) => lineStarts[line - 1] + column - 1;

/** Function bodies: a mutant outside all of them runs when the module loads. */
const bodies = [];
(function walk(node) {
  if (ts.isFunctionLike(node) && node.body) bodies.push([node.body.getStart(), node.body.getEnd()]);
  ts.forEachChild(node, walk);
})(ts.createSourceFile(key, original, ts.ScriptTarget.Latest, true));
const moduleLevel = (start) => !bodies.some(([a, b]) => start >= a && start < b);

// the report's own matching (whitespace-insensitive, "*" for any replacement), so both agree on what is explained
const explanations = loadExplanations();
const isExplained = (m, text) => explain(explanations, file, m, text) !== null;

const mutants = entry.mutants
  .filter((m) => m.status === "Survived" || (flags.includes("--uncovered") && m.status === "NoCoverage"))
  .map((m) => ({ m, start: at(m.location.start), end: at(m.location.end) }))
  .map((x) => ({ ...x, text: original.slice(x.start, x.end) }))
  .filter((x) => !isExplained(x.m, x.text))
  .filter((x) => !flags.includes("--module-level") || moduleLevel(x.start))
  .filter((x) => !lines || (x.m.location.start.line >= lines[0] && x.m.location.start.line <= lines[1]));

const restore = () => fs.writeFileSync(srcPath, original);
// The loop below awaits each jest run, so a Ctrl-C or kill reaches these and the source is put back.
for (const signal of ["SIGINT", "SIGTERM"])
  process.on(signal, () => {
    restore();
    process.exit(130);
  });

const tests = suites.split(",").map((s) => `functions/test/${s}.test.ts`);
// The project's jest config, but ts-jest only transpiles (as under Stryker): a mutant that breaks the types
// must fail a test to count as killed, not fail to compile. A file's tests stop at its first failure, as under
// Stryker: a mutated HTTP handler that never answers would otherwise cost one test timeout per test of the file.
const jestConfig = JSON.stringify({
  ...require(path.join(root, "jest.config.js")),
  rootDir: root,
  testEnvironment: path.join(__dirname, "stryker", "fail-fast-environment.cjs"),
  transform: { "^.+\\.ts$": ["ts-jest", { tsconfig: "functions/tsconfig.json", isolatedModules: true }] },
});
/** Runs the suites; resolves to null when they pass, else the first failing test's title. */
const jest = () =>
  new Promise((resolve) => {
    // nice: a Stryker lane may be running beside this; its time limits should not feel us. --forceExit: a
    // mutant that leaves an HTTP request unanswered fails its test at the timeout, but the open socket would
    // keep jest from ever exiting
    const child = spawn("nice", ["-n", "15", "npx", "jest", "--config", jestConfig, "--ci", "--bail", "--forceExit", ...tests], {
      cwd: root,
    });
    let out = "";
    child.stderr.on("data", (b) => (out += b));
    child.stdout.on("data", (b) => (out += b));
    child.on("close", (code) =>
      resolve(code === 0 ? null : (/^\s*● (?!Console)(.+)$/m.exec(out)?.[1] ?? `exit ${code}: ${out.slice(-300)}`)),
    );
  });

async function main() {
  // A suite that fails on the real code would "kill" every mutant.
  const baseline = await jest();
  if (baseline !== null) throw new Error(`${suites} fails on the unmutated code (${baseline}); nothing to learn`);
  const results = [];
  try {
    for (const [i, x] of mutants.entries()) {
      fs.writeFileSync(srcPath, original.slice(0, x.start) + x.m.replacement + original.slice(x.end));
      const t0 = Date.now();
      const failed = await jest();
      results.push({ ...x, killed: failed !== null, failed });
      const what = `${file}:${x.m.location.start.line} ${x.m.mutatorName} ${JSON.stringify(x.text).slice(0, 60)} → ${JSON.stringify(x.m.replacement).slice(0, 40)}`;
      const secs = Math.round((Date.now() - t0) / 1000);
      process.stdout.write(`${i + 1}/${mutants.length} ${failed !== null ? `killed by "${failed}"` : "SURVIVED"}: ${what} (${secs} s)\n`);
    }
  } finally {
    restore();
  }
  return results;
}

main().then((results) => {
  const killed = results.filter((r) => r.killed);
  process.stdout.write(`\n${killed.length} of ${results.length} killed by ${suites} when applied by hand\n`);
  if (flags.includes("--write") && killed.length > 0) {
    for (const r of killed)
      explained.push({
        file,
        mutator: r.m.mutatorName,
        original: r.text,
        replacement: r.m.replacement,
        verdict: "static, tested",
        reason: `${flags.includes("--module-level") ? "module-level code of a lazily loaded module (Stryker credits it to one test); " : ""}applied by hand, ${suites} fails: "${r.failed}"`,
      });
    fs.writeFileSync(explainedPath, JSON.stringify(explained, null, 2) + "\n");
    process.stdout.write(`${killed.length} entries added to bench/mutation-explained.json\n`);
  }
});
