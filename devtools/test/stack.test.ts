/**
 * How the local stack (`npm start`, the smoke and browser tests) starts: ports that cannot clash, and a
 * clear failure instead of a stack whose every function answers 404.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { startStack, pickPorts } = require("../stack") as {
  startStack: (o: object) => Promise<{ stop: () => Promise<void> }>;
  pickPorts: (o: object) => Promise<Record<string, number>>;
};

it("dynamic ports: 5,000 stacks' worth, never one port twice in a stack", async () => {
  // Closing each probe port before asking for the next let the kernel repeat one in about 1 set in 300.
  let repeats = 0;
  let size = 0;
  for (let i = 0; i < 5000; i++) {
    const ports = Object.values(await pickPorts({ dynamicPorts: true }));
    size = ports.length;
    if (new Set(ports).size < ports.length) repeats++;
  }
  expect(size).toBe(8);
  expect(repeats).toBe(0);
}, 60_000);

it("refuses to start, naming the missing functions and the emulator's reason, when our code does not load", async () => {
  // A discovery timeout of 1 ms stands in for a machine too loaded to load the code in time.
  const started = startStack({
    projectId: "demo-rolitt-noload",
    dynamicPorts: true,
    firestoreHost: process.env.FIRESTORE_EMULATOR_HOST,
    relay: false,
    hosting: false,
    env: { FUNCTIONS_DISCOVERY_TIMEOUT: "0.001" },
  });
  const err = await started.then(
    async (stack) => {
      await stack.stop();
      return null;
    },
    (e: Error & { code?: string }) => e,
  );
  expect(err).toMatchObject({ code: "FUNCTIONS_NOT_LOADED" });
  expect(err?.message).toMatch(/does not serve createCheckoutSession, stripeWebhook/);
  expect(err?.message).toMatch(/Failed to load function definition/);
}, 180_000);
