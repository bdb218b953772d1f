/**
 * jest's node environment, but once a test (or hook) in a file has failed, the file's remaining tests are
 * skipped. Only under Stryker (stryker.config.mjs) and in bench/mutant-by-hand.js, never in `npm test`: a
 * mutant is killed by its first failing test, and
 * Stryker's jest runner cannot bail (jest has no programmatic bail), so every other covering test would run
 * to the end. In the klaviyo suites those wait on retries and leases: seconds per test, per mutant.
 * The initial (unmutated) run must pass whole, so nothing is skipped there.
 */
const { TestEnvironment } = require("jest-environment-node");

class FailFastEnvironment extends TestEnvironment {
  failed = false;

  async handleTestEvent(event) {
    if (event.name === "test_fn_failure" || event.name === "hook_failure") this.failed = true;
    else if (event.name === "test_start" && this.failed) event.test.mode = "skip";
  }
}

module.exports = FailFastEnvironment;
