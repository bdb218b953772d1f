// App Check for the callable. In production the page proves itself with reCAPTCHA Enterprise (score-based,
// invisible), using the site key built into the page (APP_CHECK_SITE_KEY at build time) and the web app's
// real config from Hosting's /__/firebase/init.json; the callable refuses calls without a valid token when
// ENFORCE_APP_CHECK is on. A registered debug token (APP_CHECK_DEBUG_TOKEN at build time) makes the SDK use
// the debug provider instead (self.FIREBASE_APPCHECK_DEBUG_TOKEN), e.g. for a staging site or CI against a
// real project. On the local emulators (no site key) the page sends a local debug token: the Functions
// emulator checks that a token is present but, like any emulator, cannot verify it (only Google can).
import { initializeApp } from "firebase/app";
import { CustomProvider, initializeAppCheck, ReCaptchaEnterpriseProvider } from "firebase/app-check";

const meta = (name) => document.querySelector(`meta[name="${name}"]`)?.content ?? "";
const built = (value) => (value && !value.startsWith("%") ? value : "");

const b64url = (obj) => btoa(JSON.stringify(obj)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");

/** An unsigned token shaped like App Check's (the emulator reads `sub` as the app id). Local only. */
export function localDebugToken(appId, debugToken, nowMs = Date.now()) {
  const exp = Math.floor(nowMs / 1000) + 3600;
  return `${b64url({ alg: "none", typ: "JWT" })}.${b64url({ sub: appId, iss: "rolitt-local-debug", debug: debugToken, exp })}.`;
}

const isLocalHost = (host = location.hostname) => host === "127.0.0.1" || host === "localhost" || host === "[::1]";

/** The Firebase app with App Check registered as this build and host call for; resolves once ready. */
export async function startFirebase() {
  const projectId = meta("firebase-project");
  const siteKey = built(meta("app-check-site-key"));
  const debugToken = built(meta("app-check-debug-token"));
  if (siteKey) {
    // the registered web app's config (apiKey, appId): App Check exchanges tokens for that app
    const config = await fetch("/__/firebase/init.json").then(
      (r) => (r.ok ? r.json() : null),
      () => null,
    );
    const app = initializeApp(config ?? { projectId, apiKey: "unset", appId: "unset" });
    if (debugToken) self.FIREBASE_APPCHECK_DEBUG_TOKEN = debugToken;
    initializeAppCheck(app, { provider: new ReCaptchaEnterpriseProvider(siteKey), isTokenAutoRefreshEnabled: true });
    return app;
  }
  const app = initializeApp({ projectId, apiKey: "unused-by-callables", appId: "rolitt-web" });
  if (isLocalHost()) {
    const token = debugToken || "local-debug-token";
    initializeAppCheck(app, {
      provider: new CustomProvider({
        getToken: async () => ({ token: localDebugToken(app.options.appId, token), expireTimeMillis: Date.now() + 3600_000 }),
      }),
      isTokenAutoRefreshEnabled: false,
    });
  }
  return app;
}
