/** An express app (our onRequest handlers mounted as Cloud Functions serves them) on a free local port. */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Express } from "express";

export async function serve(app: Express): Promise<{ url: string; close(): Promise<void> }> {
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, "127.0.0.1", () => resolve(s));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => closeServer(server),
  };
}

/** Stops `server`; a request still unanswered (a handler that never responds) would hold it until its client gave up. */
export const closeServer = (server: Server): Promise<void> =>
  new Promise((r) => {
    server.close(() => r());
    server.closeAllConnections();
  });
