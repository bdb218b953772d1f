// StrykerJS: mutation testing of functions/src against the functions suite (`npm run mutate`, see
// docs/mutation.md). A benchmark, not part of `npm test`. Run through bench/mutate.js, which builds first
// (the sandbox needs the compiled schemas and functions/lib) and writes the report afterwards.
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const base = require("./jest.config.js");

/** 2 for a normal run; MUTATE_CONCURRENCY=1 on a machine shared with other work. */
const concurrency = Number(process.env.MUTATE_CONCURRENCY) || 2;

// The lifecycle suite's HTTP + Firestore leg replays 40 random orders per lifecycle (webhook.lifecycle.test.ts);
// under Stryker's instrumentation on 2 shared cores that alone outlasts the test timeout, and the test runs
// once per mutant it covers. 10 random orders (plus the 300 of its pure-core leg) keep every path it checks.
// The test runners are child processes and inherit this.
process.env.RANDOM_ORDERS = process.env.RANDOM_ORDERS ?? "10";

/** Test files left out, as a regex list (e.g. to measure a "before" without new suites). */
const testIgnore = (process.env.MUTATE_TEST_IGNORE ?? "").split(",").filter(Boolean);
/**
 * Only these suites (comma-separated names, e.g. "preorder.status,klaviyo.money"): a fast lane whose score is a
 * lower bound of the full suite's (more tests can only kill more mutants). Unset: every functions suite.
 */
const onlyTests = (process.env.MUTATE_TESTS ?? "").split(",").filter(Boolean);
/**
 * The fast lane names unit suites, which need no Firestore: starting the embedded one is the global setup of
 * every jest run Stryker makes (seconds per mutant). Skipped there unless MUTATE_FIRESTORE=1 (a named suite
 * that needs it fails the initial run, so a wrong choice cannot go unnoticed).
 */
const { globalSetup, globalTeardown, ...jestBase } = base;
const withFirestore = onlyTests.length === 0 || process.env.MUTATE_FIRESTORE === "1";

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: "npm",
  testRunner: "jest",
  // MUTATE_NO_CHECK=1 drops the TypeScript checker: on a busy 2-core machine it type-checks the project once
  // per mutant and becomes the bottleneck (the fast lane's test runs take about a second). Mutants tsc would
  // reject then run as transpiled JavaScript: most are killed, a few may survive that the checker would
  // have rejected (docs/mutation.md says which run used it).
  checkers: process.env.MUTATE_NO_CHECK === "1" ? [] : ["typescript"],
  tsconfigFile: "functions/tsconfig.build.json",
  // only the production code; generated validators and declarations are not ours to mutate
  mutate: ["functions/src/**/*.ts", "!functions/src/**/*.d.ts"],
  // Log lines are not mutated: bench/stryker/ignore-logger.mjs (why there) reports them as ignored.
  plugins: ["@stryker-mutator/*", "./bench/stryker/ignore-logger.mjs"],
  ignorers: ["logger-calls"],
  jest: {
    projectType: "custom",
    config: {
      ...jestBase,
      ...(withFirestore && { globalSetup, globalTeardown }),
      // A file's tests stop at its first failure (why there); MUTATE_FAIL_FAST=0 runs every covering test.
      ...(process.env.MUTATE_FAIL_FAST !== "0" && { testEnvironment: require.resolve("./bench/stryker/fail-fast-environment.cjs") }),
      rootDir: ".",
      // The functions suites only: hosting/ and devtools/ suites drive Chromium or the whole local stack,
      // are slow, and exercise functions/src only end to end (functions/test already does that through
      // the real SDKs).
      //
      // functions/src is a root too, though it holds no tests: Stryker runs a mutant's tests with jest's
      // --findRelatedTests, which follows imports only through files in the roots. With the tests alone,
      // a test that reaches the mutated file through another source file (helpers/webhook.ts → index.ts →
      // webhook/handler.ts) was not found, no test ran, and the mutant counted as survived.
      roots: ["<rootDir>/functions/test", "<rootDir>/functions/src"],
      testPathIgnorePatterns: ["/node_modules/", ...testIgnore],
      ...(onlyTests.length > 0 && { testMatch: onlyTests.map((name) => `**/${name}.test.ts`) }),
      // instrumented code on a busy machine: the suite's 60 s is too tight for its longest tests
      testTimeout: 180_000,
      // Types are checked once per mutant by the TypeScript checker; ts-jest only transpiles here, which
      // is several times faster than type-checking every test file for every mutant batch.
      transform: { "^.+\\.ts$": ["ts-jest", { tsconfig: "functions/tsconfig.json", isolatedModules: true }] },
    },
    enableFindRelatedTests: true,
  },
  coverageAnalysis: "perTest",
  // A static mutant (module-level code run only while a test file loads, outside any test) can only be tested
  // by reloading and running every related suite: ~4 min each here, hours for the lot. By default they are
  // ignored and counted as such in docs/mutation.md; MUTATE_STATIC=1 runs them too. Mutants that are also
  // reached inside a test ("hybrid", e.g. work done in a beforeAll) still run, against their covering tests.
  ignoreStatic: process.env.MUTATE_STATIC !== "1",
  // Mutated files carry type errors by design (the checker rejects the ones tsc would); ts-jest must not.
  disableTypeChecks: "functions/{src,test}/**/*.ts",
  incremental: true,
  incrementalFile: "reports/mutation/stryker-incremental.json",
  concurrency,
  // A mutant's time limit is timeoutFactor × its covering tests' time in the initial run + timeoutMS.
  // Integration tests talk gRPC and HTTP to local servers: generous by default for a busy machine. A mutant
  // that hangs a handler (a transaction retried forever, a response never sent) costs the whole limit, so
  // the integration runs on a quiet machine lower it (MUTATE_TIMEOUT_MS, MUTATE_TIMEOUT_FACTOR; see
  // docs/mutation.md). A timeout counts as detected, so too low a limit would flatter the score.
  timeoutMS: Number(process.env.MUTATE_TIMEOUT_MS) || 30_000,
  timeoutFactor: Number(process.env.MUTATE_TIMEOUT_FACTOR) || 2,
  dryRunTimeoutMinutes: 20,
  // What the sandbox does not need (copied otherwise): page builds, screenshots, earlier reports.
  ignorePatterns: ["hosting/public", "test-artifacts", ".runtime", "emulator-data", "coverage", "reports", "docs"],
  reporters: ["json", "html", "clear-text", "progress"],
  jsonReporter: { fileName: "reports/mutation/mutation.json" },
  htmlReporter: { fileName: "reports/mutation/mutation.html" },
  clearTextReporter: { allowColor: false, logTests: false, reportMutants: false },
  tempDirName: ".stryker-tmp",
  cleanTempDir: "always",
};
