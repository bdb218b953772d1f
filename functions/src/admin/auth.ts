/**
 * Who may use the console: a signed-in Firebase Auth user whose ID token carries the `admin` custom claim
 * (granted by `npm run admin -- grant EMAIL`). Every admin function checks it on the server; the page's own
 * check only decides what to draw.
 */
import { HttpsError } from "firebase-functions/v2/https";
import { maskEmail } from "../preorder/types";

export interface Admin {
  uid: string;
  /** masked, for audit records and logs */
  email: string;
}

interface TokenLike {
  uid?: string;
  admin?: unknown;
  email?: unknown;
}

/** Pure: the admin behind a decoded token, or the callable error a caller gets. */
export function adminOf(auth: { uid: string; token: TokenLike } | undefined | null): Admin {
  if (!auth?.uid) throw new HttpsError("unauthenticated", "Sign in to use the console");
  if (auth.token.admin !== true) throw new HttpsError("permission-denied", "This account is not a console admin");
  return { uid: auth.uid, email: typeof auth.token.email === "string" ? maskEmail(auth.token.email) : "(no email)" };
}

/**
 * For onRequest functions (the CSV stream): verifies `Authorization: Bearer <ID token>` with the Admin SDK
 * (which accepts the Auth emulator's tokens when FIREBASE_AUTH_EMULATOR_HOST is set) and checks the claim.
 * Returns the HTTP status to answer with when the caller is not an admin.
 */
export async function adminOfRequest(authorization: string | undefined): Promise<Admin | { status: 401 | 403; message: string }> {
  const token = /^Bearer (\S+)$/.exec(authorization ?? "")?.[1];
  if (!token) return { status: 401, message: "Sign in to use the console" };
  /* eslint-disable @typescript-eslint/no-require-imports */
  const app = require("firebase-admin/app") as typeof import("firebase-admin/app");
  const { getAuth } = require("firebase-admin/auth") as typeof import("firebase-admin/auth");
  /* eslint-enable @typescript-eslint/no-require-imports */
  const def = app.getApps().find((a) => a.name === "[DEFAULT]") ?? app.initializeApp();
  let decoded;
  try {
    decoded = await getAuth(def).verifyIdToken(token);
  } catch {
    return { status: 401, message: "Sign in again: the session is not valid" };
  }
  try {
    return adminOf({ uid: decoded.uid, token: decoded });
  } catch {
    return { status: 403, message: "This account is not a console admin" };
  }
}
