// The benchmark's baseline: the cheapest onRequest function the emulator can serve. Never deployed.
const { onRequest } = require("firebase-functions/v2/https");

exports.trivial = onRequest((req, res) => {
  res.status(200).json({ ok: true });
});
