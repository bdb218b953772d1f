/** The fulfilment CSV: escaping, formula neutralisation, the BOM, what ships, and the factory summary. */
import { addToSummary, BOM, cell, ordersCsv, summaryCsv, type ShippableDoc, type Summary } from "../src/admin/csv";

describe("cell", () => {
  it.each([
    ["plain", "plain"],
    ["陈大文", "陈大文"],
    ["a,b", '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ["two\nlines", '"two\nlines"'],
    ['=HYPERLINK("http://x")', '"\'=HYPERLINK(""http://x"")"'],
    ["+1 555 0100", "'+1 555 0100"],
    ["-2+3", "'-2+3"],
    ["@SUM(A1)", "'@SUM(A1)"],
    ["\tcmd", "'\tcmd"],
    [null, ""],
    [42, "42"],
  ])("%j → %s", (input, out) => expect(cell(input)).toBe(out));
});

const doc = (over: Partial<ShippableDoc>): ShippableDoc => ({
  preorderId: "p1",
  preorderNumber: "ROL-1",
  email: "a@example.com",
  color: "black",
  status: "succeeded",
  hold: null,
  createdAt: new Date("2026-11-20T08:00:00Z"),
  customer: {
    name: "陈大文",
    phone: "+852 5555 0000",
    shipping: {
      name: "陈大文",
      address: { line1: "1 Queen's Rd", line2: null, city: "Hong Kong", state: null, postal_code: null, country: "HK" },
    },
  },
  ...over,
});

async function* from<T>(xs: T[]) {
  for (const x of xs) yield x;
}

describe("ordersCsv", () => {
  it("starts with a BOM and the header, ships only paid orders without a hold, neutralises phones", async () => {
    let text = "";
    for await (const chunk of ordersCsv(
      from([
        doc({}),
        doc({ preorderNumber: "ROL-2", status: "refunded" }),
        doc({ preorderNumber: "ROL-3", hold: { reason: "dispute" } }),
        doc({ preorderNumber: "ROL-4", status: "created" }),
        doc({ preorderNumber: "ROL-5", customer: null, email: "=cmd@example.com" }),
      ]),
    ))
      text += chunk;
    expect(text.startsWith(BOM)).toBe(true);
    const lines = text.slice(1).split("\r\n");
    expect(lines[0]).toBe("preorder_number,name,email,phone,color,address_line1,address_line2,city,state,postal_code,country,ordered_at");
    expect(lines[1]).toBe("ROL-1,陈大文,a@example.com,'+852 5555 0000,black,1 Queen's Rd,,Hong Kong,,,HK,2026-11-20T08:00:00.000Z");
    expect(lines[2]).toBe("ROL-5,,'=cmd@example.com,,black,,,,,,,2026-11-20T08:00:00.000Z");
    expect(lines).toHaveLength(4); // + the empty string after the last CRLF
  });

  it("streams: rows come out while the source is still producing", async () => {
    let produced = 0;
    async function* slow() {
      for (let i = 0; i < 3; i++) {
        produced++;
        yield doc({ preorderNumber: `ROL-${i}` });
      }
    }
    const it = ordersCsv(slow());
    await it.next(); // header
    await it.next(); // first row
    expect(produced).toBe(1);
  });
});

describe("summaryCsv", () => {
  it("counts shippable orders per colour and country, with totals", () => {
    const s: Summary = new Map();
    const hk = doc({});
    const us = doc({
      color: "white",
      customer: {
        name: null,
        phone: null,
        shipping: { name: null, address: { line1: null, line2: null, city: null, state: null, postal_code: null, country: "US" } },
      },
    });
    for (const d of [hk, hk, us, doc({ status: "refunded" }), doc({ hold: { reason: "dispute" } })]) addToSummary(s, d);
    expect(summaryCsv(s)).toBe(`${BOM}color,country,quantity\r\nblack,HK,2\r\nwhite,US,1\r\nblack,ALL,2\r\nwhite,ALL,1\r\nALL,ALL,3\r\n`);
  });
});

describe("what older and thinner documents give", () => {
  it("a paid order written before `hold` existed ships", () => {
    const { hold: _hold, ...noHold } = doc({});
    const s: Summary = new Map();
    addToSummary(s, noHold as ShippableDoc);
    expect(summaryCsv(s)).toContain("black,HK,1\r\n");
  });

  it("the name on the parcel is the shipping name, else the customer's name", async () => {
    const rows = async (...docs: ShippableDoc[]) => {
      let text = "";
      for await (const chunk of ordersCsv(from(docs))) text += chunk;
      return text.split("\r\n").slice(1, -1);
    };
    const customer = doc({}).customer!;
    const [both, billingOnly, noShipping] = await rows(
      doc({ customer: { ...customer, name: "Billing Name", shipping: { ...customer.shipping!, name: "Parcel Name" } } }),
      doc({ customer: { ...customer, name: "Billing Name", shipping: { ...customer.shipping!, name: null } } }),
      doc({ customer: { ...customer, name: "Billing Name", shipping: null } }),
    );
    expect(both).toMatch(/^ROL-1,Parcel Name,/);
    expect(billingOnly).toMatch(/^ROL-1,Billing Name,.*,HK,/);
    expect(noShipping).toBe("ROL-1,Billing Name,a@example.com,'+852 5555 0000,black,,,,,,,2026-11-20T08:00:00.000Z");
  });

  it("the factory summary counts an order without a country (or a colour) under (none) and empty, not lost", () => {
    const s: Summary = new Map();
    const customer = doc({}).customer!;
    for (const d of [
      doc({ customer: null }),
      doc({ customer: { ...customer, shipping: null } }),
      doc({ customer: { ...customer, shipping: { ...customer.shipping!, address: null } } }),
      doc({ color: undefined }),
    ])
      addToSummary(s, d);
    expect(summaryCsv(s)).toBe(`${BOM}color,country,quantity\r\n,HK,1\r\nblack,(none),3\r\n,ALL,1\r\nblack,ALL,3\r\nALL,ALL,4\r\n`);
  });
});
