// Success and cancel pages: the locale's text, and the Checkout Session reference on success.
import { applyText, pickLocale } from "./i18n.js";

const t = applyText(pickLocale());
document.title = t.title;
const ref = document.getElementById("reference");
const session = new URLSearchParams(location.search).get("session_id");
if (ref && session) ref.textContent = session.slice(-12).toUpperCase();
const back = document.getElementById("back");
if (back) back.href = `/?lang=${document.documentElement.lang}`;
