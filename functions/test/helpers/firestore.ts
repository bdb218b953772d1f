import { db } from "../../src/shared/firestore";

/** Documents in a collection, counted by the server (the shared test database holds every suite's documents). */
export const count = async (collection: string): Promise<number> => (await db().collection(collection).count().get()).data().count;

export async function counts(...collections: string[]): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const c of collections) out[c] = await count(c);
  return out;
}

export const isRealEmulator = (): boolean => process.env.ROLITT_REAL_FIRESTORE_EMULATOR === "1";
