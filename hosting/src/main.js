// The landing page: pick a colour, type an email, go to Stripe Checkout.
import { getFunctions, httpsCallableFromURL } from "firebase/functions";
import { applyText, pickLocale } from "./i18n.js";
import { startFirebase } from "./appcheck.js";
import { captureAttribution } from "./attribution.js";
import { consentGiven, renderConsent } from "./consent.js";
import { retryMessage } from "./limit-message.js";
import { renderOffer } from "./offer-view.js";

const locale = pickLocale();
const t = applyText(locale);
renderConsent(locale);
const attribution = captureAttribution();

// Same-origin through the Hosting rewrite: the Functions emulator locally, Cloud Functions in production.
// App Check is registered first (appcheck.js), so every call carries its token.
const callable = startFirebase().then((app) => httpsCallableFromURL(getFunctions(app), `${location.origin}/api/create-checkout-session`));
const createCheckoutSession = async (data) => (await callable)(data);

const form = document.getElementById("preorder");
const button = document.getElementById("submit");
const status = document.getElementById("status");
// no preorder before the shopper has seen the live price and colours
button.disabled = true;
renderOffer(locale, t).then(
  () => (button.disabled = false),
  () => undefined,
);
const fieldError = (field, message) => {
  const el = document.getElementById(`${field}-error`);
  const input = field === "email" ? form.email : null;
  if (el) el.textContent = message ?? "";
  if (input) input.setAttribute("aria-invalid", message ? "true" : "false");
};

form.addEventListener("submit", async (e) => {
  e.preventDefault();
  if (button.disabled) return; // one preorder per press
  fieldError("email");
  fieldError("color");
  status.textContent = "";
  button.disabled = true;
  button.textContent = t.pending;
  try {
    const { data } = await createCheckoutSession({
      email: form.email.value,
      color: form.color.value,
      locale,
      marketingConsent: consentGiven(),
      ...(attribution && { attribution }),
    });
    location.assign(data.url);
  } catch (err) {
    const field = err?.details?.field;
    if (err?.code === "functions/invalid-argument" && (field === "email" || field === "color")) {
      fieldError(field, t.errors[field]);
      (field === "email" ? form.email : form.querySelector('input[name="color"]')).focus();
    } else if (err?.code === "functions/resource-exhausted") {
      status.textContent = retryMessage(locale, err?.details?.retryAfterSeconds);
    } else {
      status.textContent = t.errors.generic;
    }
    button.disabled = false;
    button.textContent = t.submit;
  }
});
