// Stryker ignorer (stryker.config.mjs → `ignorers: ["logger-calls"]`): mutants inside a statement that only calls
// the Functions logger (`logger.info(…)`, `.warn`, `.error`, `.debug`) are reported as ignored, not tested.
// A changed log text or field is read by people, not by the shopper, Stripe or Klaviyo: not worth a test each
// (docs/mutation.md, "What is not mutated"). What a handler does around the log line is still mutated.
// Our own because @sgohlke/stryker-log-ignorer pins @stryker-mutator/api 8.2.6 and we run Stryker 9.
import { PluginKind, declareValuePlugin } from "@stryker-mutator/api/plugin";

const LEVELS = new Set(["debug", "info", "log", "warn", "error", "write"]);

export const strykerPlugins = [
  declareValuePlugin(PluginKind.Ignore, "logger-calls", {
    shouldIgnore(path) {
      if (!path.isExpressionStatement()) return undefined;
      const call = path.node.expression;
      const callee = call.type === "CallExpression" ? call.callee : undefined;
      if (
        callee?.type === "MemberExpression" &&
        callee.object.type === "Identifier" &&
        callee.object.name === "logger" &&
        callee.property.type === "Identifier" &&
        LEVELS.has(callee.property.name)
      )
        return "a log line: read by people, not behaviour a test should pin";
      return undefined;
    },
  }),
];
