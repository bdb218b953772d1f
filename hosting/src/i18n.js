// Page text in the three locales the callable accepts. Edit product copy here.
export const LOCALES = ["en", "zh-HK", "zh-CN"];

export const TEXT = {
  en: {
    langName: "English",
    title: "Rolitt — preorder",
    tagline: "The rolling companion for curious kids.",
    blurb: "Rolitt rolls, wobbles and giggles. Be among the first to get one: preorder now, it ships with the first batch.",
    price: "Preorder price",
    colour: "Choose a colour",
    colours: { khaki: "Khaki", black: "Black", white: "White" },
    email: "Email",
    emailHint: "We send your receipt and shipping updates here.",
    submit: "Preorder now",
    pending: "Taking you to secure checkout…",
    errors: {
      email: "Please enter a valid email address.",
      color: "Please choose one of the colours.",
      locale: "This language is not available.",
      generic: "Something went wrong on our side. Please try again in a moment.",
    },
    secure: "Payment is handled by Stripe. We never see your card.",
    successTitle: "Thank you! Your preorder is in.",
    successBody: "We have sent a confirmation to your email. Your reference:",
    cancelTitle: "Your payment was not completed",
    cancelBody: "No money was taken. You can try again whenever you like.",
    back: "Back to Rolitt",
  },
  "zh-HK": {
    langName: "繁體中文",
    title: "Rolitt — 預購",
    tagline: "陪伴好奇孩子的滾動夥伴。",
    blurb: "Rolitt 會滾、會搖、會笑。立即預購，成為首批擁有者，隨第一批出貨。",
    price: "預購價",
    colour: "選擇顏色",
    colours: { khaki: "卡其色", black: "黑色", white: "白色" },
    email: "電郵",
    emailHint: "收據及出貨通知會寄到這裡。",
    submit: "立即預購",
    pending: "正在前往安全付款頁面…",
    errors: {
      email: "請輸入有效的電郵地址。",
      color: "請選擇其中一種顏色。",
      locale: "暫不支援此語言。",
      generic: "系統暫時出現問題，請稍後再試。",
    },
    secure: "付款由 Stripe 處理，我們不會接觸你的信用卡資料。",
    successTitle: "謝謝！預購已完成。",
    successBody: "確認電郵已寄出。你的參考編號：",
    cancelTitle: "付款尚未完成",
    cancelBody: "沒有扣款。你可以隨時再試。",
    back: "返回 Rolitt",
  },
  "zh-CN": {
    langName: "简体中文",
    title: "Rolitt — 预购",
    tagline: "陪伴好奇孩子的滚动伙伴。",
    blurb: "Rolitt 会滚、会摇、会笑。立即预购，成为首批拥有者，随第一批发货。",
    price: "预购价",
    colour: "选择颜色",
    colours: { khaki: "卡其色", black: "黑色", white: "白色" },
    email: "邮箱",
    emailHint: "收据和发货通知会发送到这里。",
    submit: "立即预购",
    pending: "正在前往安全支付页面…",
    errors: {
      email: "请输入有效的邮箱地址。",
      color: "请选择其中一种颜色。",
      locale: "暂不支持该语言。",
      generic: "系统暂时出现问题，请稍后再试。",
    },
    secure: "支付由 Stripe 处理，我们不会接触你的银行卡信息。",
    successTitle: "谢谢！预购已完成。",
    successBody: "确认邮件已发送。你的参考编号：",
    cancelTitle: "支付未完成",
    cancelBody: "没有扣款。你可以随时再试。",
    back: "返回 Rolitt",
  },
};

/** ?lang= wins, then the browser's languages (zh-TW/zh-MO read Traditional, other zh Simplified), then en. */
export function pickLocale(search = location.search, languages = navigator.languages ?? [navigator.language]) {
  const asked = new URLSearchParams(search).get("lang");
  if (LOCALES.includes(asked)) return asked;
  for (const l of languages) {
    const tag = String(l).toLowerCase();
    if (/^zh-(hk|tw|mo|hant)/.test(tag)) return "zh-HK";
    if (tag.startsWith("zh")) return "zh-CN";
    if (tag.startsWith("en")) return "en";
  }
  return "en";
}

/** Fill every [data-t] element with the locale's text and build the language switcher. */
export function applyText(locale) {
  const t = TEXT[locale];
  document.documentElement.lang = locale;
  for (const el of document.querySelectorAll("[data-t]")) {
    const value = el.dataset.t.split(".").reduce((o, k) => o?.[k], t);
    if (typeof value === "string") el.textContent = value;
  }
  const nav = document.getElementById("langs");
  if (nav) {
    nav.replaceChildren(
      ...LOCALES.map((l) => {
        const a = document.createElement("a");
        const url = new URL(location.href);
        url.searchParams.set("lang", l);
        a.href = url.pathname + url.search;
        a.textContent = TEXT[l].langName;
        a.lang = l;
        if (l === locale) a.setAttribute("aria-current", "true");
        return a;
      }),
    );
  }
  return t;
}
