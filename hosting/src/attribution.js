// Where the shopper came from: utm_source/medium/campaign/content from the landing URL and the referring page.
// The referrer is kept only when it is another site, and only as origin + path: its query string and fragment
// can carry tokens (password-reset links, OAuth codes) that are none of our business. Values are trimmed to
// what the callable accepts (utm ≤ 100 printable characters, referrer ≤ 500), so a long or odd link never
// costs a shopper their preorder. The first capture in a tab is kept, so switching language (a link to our
// own page, which resets document.referrer) loses nothing.
const UTM = ["utm_source", "utm_medium", "utm_campaign", "utm_content"];
const KEY = "rolitt-attribution";
// eslint-disable-next-line no-control-regex -- removing control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

export function captureAttribution(href = location.href, referrer = document.referrer, storage = safeSessionStorage()) {
  const here = new URL(href);
  const found = {};
  for (const k of UTM) {
    const v = (here.searchParams.get(k) ?? "").replace(CONTROL, "").trim().slice(0, 100);
    if (v) found[k] = v;
  }
  try {
    const from = new URL(referrer);
    if ((from.protocol === "https:" || from.protocol === "http:") && from.origin !== here.origin) {
      found.referrer = `${from.origin}${from.pathname}`.slice(0, 500);
    }
  } catch {
    // no referrer, or not a URL
  }
  let kept = {};
  try {
    kept = JSON.parse(storage?.getItem(KEY) ?? "{}") ?? {};
  } catch {
    kept = {};
  }
  const merged = { ...kept, ...found };
  storage?.setItem(KEY, JSON.stringify(merged));
  return Object.keys(merged).length ? merged : null;
}

function safeSessionStorage() {
  try {
    return window.sessionStorage;
  } catch {
    return null; // storage blocked: attribution of this page view only
  }
}
