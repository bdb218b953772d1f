/** The embedded Firestore on a free port, a real client for it, and `orders` seeded with the given documents. */
import { Firestore } from "@google-cloud/firestore";
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { startFirestore } = require("../../firestore-server") as {
  startFirestore: (o?: object) => Promise<{ host: string; stop: () => void }>;
};

export async function seededFirestore(projectId: string, docs: Record<string, Record<string, unknown>>) {
  const server = await startFirestore();
  const saved = process.env.FIRESTORE_EMULATOR_HOST;
  process.env.FIRESTORE_EMULATOR_HOST = server.host;
  const db = new Firestore({ projectId });
  process.env.FIRESTORE_EMULATOR_HOST = saved;
  const batch = db.batch();
  for (const [id, data] of Object.entries(docs)) batch.set(db.collection("orders").doc(id), data);
  await batch.commit();
  return {
    db,
    stop: async () => {
      await db.terminate();
      server.stop();
    },
  };
}

export const ids = async (q: FirebaseFirestore.Query) => (await q.get()).docs.map((d) => d.id);
