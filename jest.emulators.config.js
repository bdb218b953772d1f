/** `npm run test:emulators`: the suites that need the real Firestore emulator (see devtools/test-emulators.js). */
const base = require("./jest.config");

module.exports = {
  ...base,
  roots: ["<rootDir>/functions/test"],
  testMatch: ["**/emulator/*.emu.ts", "**/webhook.concurrency.test.ts"],
  transform: { "^.+\\.ts$": ["ts-jest", { tsconfig: "functions/tsconfig.json" }] },
};
