/** What the shopper's order page says for each state and refund (publicOrder, pure). */
import { colorContent, OFFER_CONTENT } from "../src/offer/content";
import { publicOrder } from "../src/order/public-view";
import type { Preorder } from "../src/preorder/types";

// undefined: a document written before amountRefunded existed
const order = (status: Preorder["status"], amountRefunded?: number) =>
  publicOrder({ preorderNumber: "ROL-ABC123", status, color: "khaki", amount: 9900, amountRefunded: amountRefunded as number });

describe("publicOrder", () => {
  it.each<[Preorder["status"], number | undefined, string, string]>([
    ["created", undefined, "processing", "none"],
    ["succeeded", undefined, "paid", "none"],
    ["succeeded", 0, "paid", "none"],
    ["failed", undefined, "failed", "none"],
    ["expired", undefined, "expired", "none"],
    ["refunded", undefined, "refunded", "full"],
    ["refunded", 9900, "refunded", "full"],
    // a partial refund: still paid, the page says part of it came back
    ["succeeded", 1, "paid", "partial"],
    ["succeeded", 9899, "paid", "partial"],
    // partial refunds that add up to the whole, before the refunded event: shown refunded already
    ["succeeded", 9900, "refunded", "full"],
    ["succeeded", 10_000, "refunded", "full"],
  ])("%s with %p refunded → %s, refund %s", (status, refunded, shown, refund) => {
    expect(order(status, refunded)).toMatchObject({ status: shown, refund });
  });

  it("gives the number, the colour's words and the ship window, and nothing else", () => {
    expect(order("succeeded")).toEqual({
      preorderNumber: "ROL-ABC123",
      status: "paid",
      color: colorContent("khaki"),
      shipWindow: OFFER_CONTENT.shipWindow,
      refund: "none",
    });
  });
});
