/** One jest run for every suite: unit (pure modules), integration (real SDKs against local peers), browser. */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/functions/test", "<rootDir>/hosting/test", "<rootDir>/devtools/test"],
  testMatch: ["**/*.test.ts"],
  transform: { "^.+\\.ts$": ["ts-jest", { tsconfig: "functions/tsconfig.json" }] },
  globalSetup: "<rootDir>/functions/test/setup/global-setup.js",
  globalTeardown: "<rootDir>/functions/test/setup/global-teardown.js",
  setupFiles: ["<rootDir>/functions/test/setup/env.js"],
  testTimeout: 60_000,
  verbose: false,
};
