/**
 * Who may use the console, before any token is verified (adminOf, pure; adminOfRequest's header check).
 * Verification with real ID tokens from the Auth emulator: admin.export.
 */
import { adminOf, adminOfRequest } from "../src/admin/auth";

describe("adminOf (callables)", () => {
  it("no signed-in user → unauthenticated, telling them to sign in", () => {
    for (const auth of [undefined, null, { uid: "", token: {} }]) {
      expect(() => adminOf(auth)).toThrow(expect.objectContaining({ code: "unauthenticated", message: "Sign in to use the console" }));
    }
  });

  it("a user without the admin claim → permission-denied, saying the account is not an admin", () => {
    for (const admin of [undefined, false, "true", 1]) {
      expect(() => adminOf({ uid: "u1", token: { admin } })).toThrow(
        expect.objectContaining({ code: "permission-denied", message: "This account is not a console admin" }),
      );
    }
  });

  it("an admin → uid and a masked email for the audit trail", () => {
    expect(adminOf({ uid: "u1", token: { admin: true, email: "ops.lead@example.com" } })).toEqual({ uid: "u1", email: "o***@example.com" });
    expect(adminOf({ uid: "u1", token: { admin: true } })).toEqual({ uid: "u1", email: "(no email)" });
  });
});

describe("adminOfRequest (the CSV export's Authorization header)", () => {
  it.each([undefined, "", "Bearer", "Bearer ", "bearer abc", "Basic Bearer abc", "Bearer abc def", "Bearer abc\n"])(
    "%p is not a bearer token → 401, sign in (no token is verified)",
    async (header) => {
      expect(await adminOfRequest(header)).toEqual({ status: 401, message: "Sign in to use the console" });
    },
  );
});
