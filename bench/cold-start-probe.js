"use strict";
// One fresh process: load a function target as Cloud Functions does (the whole index, FUNCTION_TARGET set),
// or the floor; optionally also the modules its first request loads. Prints JSON.
const path = require("node:path");
const [target, phase = "load"] = process.argv.slice(2);
const LIB = path.join(__dirname, "..", "functions", "lib");
const HANDLER = {
  createCheckoutSession: "checkout/handler.js",
  stripeWebhook: "webhook/handler.js",
  onPreorderWritten: "klaviyo/handler.js",
};

const t0 = process.hrtime.bigint();
if (target === "floor") {
  require("./floor");
} else {
  process.env.FUNCTION_TARGET = target;
  const index = require(path.join(LIB, "index.js"));
  if (typeof index[target] !== "function") throw new Error(`no export ${target}`);
  if (phase === "first-request") {
    // what the first invocation loads on top: the handler and the SDKs it uses
    require(path.join(LIB, HANDLER[target]));
    require("firebase-admin/firestore");
    if (target !== "onPreorderWritten") require("stripe");
  }
}
const ms = Number(process.hrtime.bigint() - t0) / 1e6;
const loaded = Object.keys(require.cache);
const has = (re) => loaded.some((f) => re.test(f));
process.stdout.write(
  JSON.stringify({
    target,
    phase,
    ms,
    rssMiB: process.memoryUsage().rss / 2 ** 20,
    maxRssMiB: process.resourceUsage().maxRSS / 1024,
    loads: {
      stripe: has(/node_modules\/stripe\//),
      ajv: has(/node_modules\/ajv(-formats)?\//),
      klaviyo: has(/lib\/klaviyo\//),
      firestore: has(/@google-cloud\/firestore\//),
    },
  }),
);
