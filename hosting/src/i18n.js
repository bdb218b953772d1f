// Page text in the three locales the callable accepts.
export const LOCALES = ["en", "zh-HK", "zh-CN"];

// The offer's own words (product, colours, ship window) come from /api/offer (functions/src/offer/content.json).
export const TEXT = {
  en: {
    langName: "English",
    preorder: "preorder",
    price: "Preorder price",
    colour: "Choose a colour",
    email: "Email",
    emailHint: "We send your receipt and shipping updates here.",
    submit: "Preorder now",
    pending: "Taking you to secure checkout…",
    loading: "Loading the offer…",
    errors: {
      email: "Please enter a valid email address.",
      color: "Please choose one of the colours.",
      locale: "This language is not available.",
      generic: "Something went wrong on our side. Please try again in a moment.",
      offer: "The offer could not be loaded. Please reload the page.",
      number: "Preorder numbers look like ROL-12345678.",
      notFound: "No order matches these details.",
      rate: "Too many attempts. Please wait a minute and try again.",
      link: "This link is not valid any more. Enter your preorder number and email instead.",
    },
    secure: "Payment is handled by Stripe. We never see your card.",
    titles: {
      paid: "Thank you! Your preorder is confirmed.",
      processing: "Thank you! Your payment is being processed.",
      failed: "Your payment did not go through",
      expired: "This checkout has expired",
      refunded: "This preorder was refunded",
      notFound: "We could not find this order",
      checking: "Checking your payment…",
    },
    bodies: {
      paid: "We have sent a confirmation to your email.",
      processing: "Some payment methods take a few days to confirm. We will email you as soon as it is done.",
      failed: "No money was taken. You can try again with another payment method.",
      expired: "No money was taken. You can start a new preorder whenever you like.",
      refunded: "The money is on its way back to you.",
      notFound: "If you just paid, check your email for the confirmation, or look the order up below.",
    },
    number: "Preorder number",
    colourLabel: "Colour",
    statusLabel: "Status",
    shipsLabel: "Shipping",
    refundLabel: "Refund",
    status: { paid: "Paid", processing: "Processing", failed: "Payment failed", expired: "Expired", refunded: "Refunded" },
    refund: { none: "None", partial: "Partly refunded", full: "Refunded in full" },
    cancelTitle: "Your payment was not completed",
    cancelBody: "No money was taken. You can try again whenever you like.",
    tryAgain: "Try again",
    tryAgainIn: "Try again in {colour}",
    back: "Back to Rolitt",
    lookupLink: "Look up an order",
    lookupTitle: "Find your preorder",
    lookupIntro: "Enter your preorder number and the email you used to pay.",
    lookupSubmit: "Show my order",
  },
  "zh-HK": {
    langName: "繁體中文",
    preorder: "預購",
    price: "預購價",
    colour: "選擇顏色",
    email: "電郵",
    emailHint: "收據及出貨通知會寄到這裡。",
    submit: "立即預購",
    pending: "正在前往安全付款頁面…",
    loading: "正在載入…",
    errors: {
      email: "請輸入有效的電郵地址。",
      color: "請選擇其中一種顏色。",
      locale: "暫不支援此語言。",
      generic: "系統暫時出現問題，請稍後再試。",
      offer: "未能載入預購資料，請重新整理頁面。",
      number: "預購編號的格式為 ROL-12345678。",
      notFound: "找不到符合的訂單。",
      rate: "嘗試次數太多，請一分鐘後再試。",
      link: "此連結已失效，請輸入預購編號及電郵。",
    },
    secure: "付款由 Stripe 處理，我們不會接觸你的信用卡資料。",
    titles: {
      paid: "謝謝！你的預購已確認。",
      processing: "謝謝！你的付款正在處理中。",
      failed: "付款未成功",
      expired: "付款頁面已過期",
      refunded: "此預購已退款",
      notFound: "找不到此訂單",
      checking: "正在確認付款…",
    },
    bodies: {
      paid: "確認電郵已寄出。",
      processing: "部分付款方式需要數天確認，完成後我們會以電郵通知你。",
      failed: "沒有扣款。你可以改用其他付款方式再試。",
      expired: "沒有扣款。你可以隨時重新預購。",
      refunded: "款項正退回給你。",
      notFound: "如你剛完成付款，請查看確認電郵，或在下方查詢訂單。",
    },
    number: "預購編號",
    colourLabel: "顏色",
    statusLabel: "狀態",
    shipsLabel: "出貨",
    refundLabel: "退款",
    status: { paid: "已付款", processing: "處理中", failed: "付款失敗", expired: "已過期", refunded: "已退款" },
    refund: { none: "沒有", partial: "部分退款", full: "全數退款" },
    cancelTitle: "付款尚未完成",
    cancelBody: "沒有扣款。你可以隨時再試。",
    tryAgain: "再試一次",
    tryAgainIn: "以{colour}再試一次",
    back: "返回 Rolitt",
    lookupLink: "查詢訂單",
    lookupTitle: "查詢你的預購",
    lookupIntro: "請輸入預購編號及付款時使用的電郵。",
    lookupSubmit: "查看訂單",
  },
  "zh-CN": {
    langName: "简体中文",
    preorder: "预购",
    price: "预购价",
    colour: "选择颜色",
    email: "邮箱",
    emailHint: "收据和发货通知会发送到这里。",
    submit: "立即预购",
    pending: "正在前往安全支付页面…",
    loading: "正在加载…",
    errors: {
      email: "请输入有效的邮箱地址。",
      color: "请选择其中一种颜色。",
      locale: "暂不支持该语言。",
      generic: "系统暂时出现问题，请稍后再试。",
      offer: "未能加载预购信息，请刷新页面。",
      number: "预购编号的格式为 ROL-12345678。",
      notFound: "找不到匹配的订单。",
      rate: "尝试次数过多，请一分钟后再试。",
      link: "此链接已失效，请输入预购编号和邮箱。",
    },
    secure: "支付由 Stripe 处理，我们不会接触你的银行卡信息。",
    titles: {
      paid: "谢谢！你的预购已确认。",
      processing: "谢谢！你的付款正在处理中。",
      failed: "支付未成功",
      expired: "支付页面已过期",
      refunded: "此预购已退款",
      notFound: "找不到此订单",
      checking: "正在确认付款…",
    },
    bodies: {
      paid: "确认邮件已发送。",
      processing: "部分支付方式需要数天确认，完成后我们会通过邮件通知你。",
      failed: "没有扣款。你可以换一种支付方式再试。",
      expired: "没有扣款。你可以随时重新预购。",
      refunded: "款项正在退回给你。",
      notFound: "如果你刚完成支付，请查看确认邮件，或在下方查询订单。",
    },
    number: "预购编号",
    colourLabel: "颜色",
    statusLabel: "状态",
    shipsLabel: "发货",
    refundLabel: "退款",
    status: { paid: "已付款", processing: "处理中", failed: "支付失败", expired: "已过期", refunded: "已退款" },
    refund: { none: "无", partial: "部分退款", full: "全额退款" },
    cancelTitle: "支付未完成",
    cancelBody: "没有扣款。你可以随时再试。",
    tryAgain: "再试一次",
    tryAgainIn: "以{colour}再试一次",
    back: "返回 Rolitt",
    lookupLink: "查询订单",
    lookupTitle: "查询你的预购",
    lookupIntro: "请输入预购编号和支付时使用的邮箱。",
    lookupSubmit: "查看订单",
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
  renderLangs(locale);
  return t;
}

/** The language switcher; each link keeps the page's other parameters (colour, order link). */
export function renderLangs(locale) {
  const nav = document.getElementById("langs");
  if (!nav) return;
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
