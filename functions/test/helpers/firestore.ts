import { db } from "../../src/shared/firestore";

export const count = async (collection: string): Promise<number> => (await db().collection(collection).get()).size;

export async function counts(...collections: string[]): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const c of collections) out[c] = await count(c);
  return out;
}

export const isRealEmulator = (): boolean => process.env.ROLITT_REAL_FIRESTORE_EMULATOR === "1";
