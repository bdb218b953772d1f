#!/usr/bin/env node
// `npm run mutate`: build what the sandbox needs, run StrykerJS (stryker.config.mjs), write docs/mutation.md.
// Extra arguments go to `stryker run`, e.g. `npm run mutate -- --mutate "functions/src/preorder/**/*.ts"` or
// `--force` (ignore the incremental file). MUTATE_CONCURRENCY=1 on a shared machine (default 2).
const { spawnSync } = require("node:child_process");
const path = require("node:path");

const ROOT = path.join(__dirname, "..");
const run = (cmd, args) => {
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: "inherit" });
  if (r.status !== 0) process.exit(r.status ?? 1);
};

const started = Date.now();
// functions/lib and the compiled schemas (git-ignored) must exist before Stryker copies the project.
run("npm", ["run", "build", "--workspace", "functions"]);
run(process.execPath, [
  path.join(path.dirname(require.resolve("@stryker-mutator/core/package.json")), "bin", "stryker.js"),
  "run",
  "stryker.config.mjs",
  ...process.argv.slice(2),
]);
run(process.execPath, [path.join(__dirname, "mutation-report.js"), "--wall-ms", String(Date.now() - started)]);
