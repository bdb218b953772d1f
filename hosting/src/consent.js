// The marketing-email consent box: unticked by default, worded from functions/src/offer/consent.json, the one
// file the callable also reads (it stores that file's `version` with the answer).
import CONSENT from "../../functions/src/offer/consent.json";

export const CONSENT_VERSION = CONSENT.version;

/** Put the locale's wording beside the box; the box itself starts (and stays) unticked until the shopper ticks it. */
export function renderConsent(locale) {
  const text = document.getElementById("consent-text");
  if (text) text.textContent = CONSENT.text[locale] ?? CONSENT.text.en;
}

export const consentGiven = () => document.getElementById("marketing-consent")?.checked === true;
