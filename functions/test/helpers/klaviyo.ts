/** Starts the local Klaviyo sink and points the functions' config at it. */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { KlaviyoSink } = require("../../../devtools/klaviyo-sink/server");

export async function startSink(): Promise<{ url: string; sink: any; close(): Promise<void> }> {
  const sink = new KlaviyoSink({ apiKey: process.env.KLAVIYO_PRIVATE_KEY });
  const url: string = await sink.listen();
  process.env.KLAVIYO_API_URL = url;
  return { url, sink, close: () => sink.close() };
}
