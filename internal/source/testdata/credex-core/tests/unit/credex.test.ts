import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { balance, convert, ratesURL, type Credex } from "../../src/core/credex";

const credexes: Credex[] = [
  { issuer: "ada", receiver: "bo", amount: 1250, denomination: "USD" },
  { issuer: "bo", receiver: "cy", amount: 300, denomination: "USD" },
  { issuer: "cy", receiver: "ada", amount: 50, denomination: "USD" },
];

describe("balance", () => {
  it("adds what an account received and subtracts what it issued", () => {
    assert.equal(balance("ada", credexes), -1200);
    assert.equal(balance("bo", credexes), 950);
    assert.equal(balance("cy", credexes), 250);
  });

  it("is zero for an account with no credexes", () => {
    assert.equal(balance("dee", credexes), 0);
  });
});

describe("convert", () => {
  const perUSD = { USD: 1, ZAR: 18.5, ZWG: 26.7, CXX: 1 };

  it("converts through the dollar and rounds half away from zero", () => {
    assert.equal(convert(1000, "USD", "ZAR", perUSD), 18500);
    assert.equal(convert(18500, "ZAR", "USD", perUSD), 1000);
    assert.equal(convert(-1, "USD", "ZAR", perUSD), -19);
  });

  it("refuses a denomination without a rate", () => {
    assert.throws(() => convert(1, "USD", "ZAR", { ...perUSD, ZAR: 0 }), RangeError);
  });
});

describe("ratesURL", () => {
  it("carries the configured API key, encoded", () => {
    const url = new URL(ratesURL());
    assert.equal(url.searchParams.get("app_id"), process.env.OPEN_EXCHANGE_RATES_API);
  });
});
