/**
 * getOrderStatus (public, GET/POST /api/order-status): the public view of one order, for
 *  - the success page: `?session_id=cs_…&preorder_id=…` (the preorder's own session id must match; without
 *    preorder_id, the preorder is found by `stripe.sessionId`, a single-field query);
 *  - a signed link: `?id={preorderId}&sig=…` (see order/link.ts);
 *  - the lookup form: POST `{ number, email }` — JSON body, so the email never sits in a URL or a CDN log.
 * Anything that does not match answers the same 404 after the same Firestore reads, so the endpoint tells
 * nothing about which numbers or emails exist. Never returns personal data (order/public-view.ts).
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { Request } from "firebase-functions/v2/https";
import type { Response } from "express";
import { logger } from "firebase-functions/logger";
import { orderLinkSecret } from "../config";
import { normalizeEmail, type Preorder } from "../preorder/types";
import { COLLECTIONS, db } from "../shared/firestore";
import { verifyOrderSignature } from "./link";
import { publicOrder } from "./public-view";
import { WindowLimiter } from "./rate-limit";

const SESSION_ID = /^cs_(test|live)_[A-Za-z0-9]{8,200}$/;
const DOC_ID = /^[A-Za-z0-9]{1,64}$/;
const NUMBER = /^ROL-\d{8}$/;
// number + email guesses: 10 per minute per client address per instance
const lookups = new WindowLimiter(10, 60_000);

class BadRequest extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

const NOT_FOUND = { error: { code: "not_found", message: "No order matches these details." } };
const digest = (s: string): Buffer => createHash("sha256").update(s).digest();
const sameEmail = (a: string, b: string): boolean => timingSafeEqual(digest(normalizeEmail(a)), digest(normalizeEmail(b)));

const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

function clientKey(req: Request): string {
  const forwarded = str(req.headers["x-forwarded-for"])?.split(",")[0]?.trim();
  return forwarded || req.ip || "unknown";
}

async function preorderById(id: string): Promise<Preorder | null> {
  const snap = await db().collection(COLLECTIONS.preorders).doc(id).get();
  return snap.exists ? (snap.data() as Preorder) : null;
}

async function bySession(sessionId: string, preorderId: string | undefined): Promise<Preorder | null> {
  if (!SESSION_ID.test(sessionId)) throw new BadRequest("session_id", "session_id is not a Checkout Session id");
  if (preorderId !== undefined) {
    if (!DOC_ID.test(preorderId)) throw new BadRequest("preorder_id", "preorder_id is malformed");
    const p = await preorderById(preorderId);
    return p && p.stripe?.sessionId === sessionId ? p : null;
  }
  const q = await db().collection(COLLECTIONS.preorders).where("stripe.sessionId", "==", sessionId).limit(1).get();
  return q.empty ? null : (q.docs[0].data() as Preorder);
}

async function bySignedLink(id: string, sig: string): Promise<Preorder | null> {
  if (!DOC_ID.test(id)) throw new BadRequest("id", "id is malformed");
  if (!verifyOrderSignature(id, sig, orderLinkSecret())) return null;
  return preorderById(id);
}

async function byNumberAndEmail(rawNumber: string, rawEmail: string): Promise<Preorder | null> {
  const number = rawNumber.trim().toUpperCase();
  if (!NUMBER.test(number)) throw new BadRequest("number", "The preorder number looks like ROL-12345678");
  if (rawEmail.length > 254 || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(rawEmail.trim()))
    throw new BadRequest("email", "Please enter a valid email address");
  // Two reads whatever the outcome: the number's reservation, then its preorder (or a name that never exists).
  const reservation = await db().collection(COLLECTIONS.preorderNumbers).doc(number).get();
  const preorderId = reservation.exists ? str(reservation.get("preorderId")) : undefined;
  const p = await preorderById(preorderId ?? "~none~");
  const stored = p?.email ?? "nobody@invalid.invalid";
  const match = sameEmail(stored, rawEmail) && p !== null && p.preorderNumber === number;
  return match ? p : null;
}

export async function getOrderStatus(req: Request, res: Response): Promise<void> {
  res.set("Cache-Control", "no-store");
  try {
    let preorder: Preorder | null;
    if (req.method === "GET") {
      const q = req.query as Record<string, unknown>;
      const session = str(q.session_id);
      const id = str(q.id);
      if (session !== undefined) preorder = await bySession(session, str(q.preorder_id));
      else if (id !== undefined) preorder = await bySignedLink(id, str(q.sig) ?? "");
      else throw new BadRequest("session_id", "Give session_id, or id and sig; number and email go in a POST body");
    } else if (req.method === "POST") {
      const body = (req.body ?? {}) as Record<string, unknown>;
      const number = str(body.number);
      const email = str(body.email);
      if (number === undefined) throw new BadRequest("number", "number is required");
      if (email === undefined) throw new BadRequest("email", "email is required");
      if (!lookups.take(clientKey(req))) {
        res.set("Retry-After", "60");
        res.status(429).json({ error: { code: "rate_limited", message: "Too many lookups, please wait a minute." } });
        return;
      }
      preorder = await byNumberAndEmail(number, email);
    } else {
      res.set("Allow", "GET, POST");
      res.status(405).json({ error: { code: "method_not_allowed", message: "Use GET or POST" } });
      return;
    }
    if (!preorder) {
      res.status(404).json(NOT_FOUND);
      return;
    }
    res.status(200).json(publicOrder(preorder));
  } catch (err) {
    if (err instanceof BadRequest) {
      res.status(400).json({ error: { code: "invalid_argument", field: err.field, message: err.message } });
      return;
    }
    logger.error("order status lookup failed", { error: String(err) });
    res.status(503).json({ error: { code: "unavailable", message: "Please try again in a moment." } });
  }
}
