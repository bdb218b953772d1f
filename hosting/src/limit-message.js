// The polite answer to `resource-exhausted` from the callable: how long to wait, in the shopper's language.
const TEXT = {
  en: (n, unit) => `Lots of preorders are coming in right now. Please try again in ${n} ${unit}. Nothing has been charged.`,
  "zh-HK": (n, unit) => `現在預購的人很多，請在 ${n} ${unit}後再試。我們沒有收取任何費用。`,
  "zh-CN": (n, unit) => `现在预购的人很多，请在 ${n} ${unit}后再试。我们没有收取任何费用。`,
};
const UNITS = {
  en: { s: ["second", "seconds"], m: ["minute", "minutes"] },
  "zh-HK": { s: ["秒", "秒"], m: ["分鐘", "分鐘"] },
  "zh-CN": { s: ["秒", "秒"], m: ["分钟", "分钟"] },
};

/** "Please try again in 3 minutes" for 150 s; seconds under a minute; never 0. */
export function retryMessage(locale, retryAfterSeconds) {
  const l = TEXT[locale] ? locale : "en";
  const asked = Number(retryAfterSeconds ?? NaN);
  const secs = Math.max(1, Math.ceil(Number.isFinite(asked) ? asked : 60));
  const [n, kind] = secs < 60 ? [secs, "s"] : [Math.ceil(secs / 60), "m"];
  return TEXT[l](n, UNITS[l][kind][n === 1 ? 0 : 1]);
}
