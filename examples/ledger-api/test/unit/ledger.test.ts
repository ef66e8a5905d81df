import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Ledger, LedgerError, seedAccounts, validateTransfer } from "../../src/ledger";

function ledger(): Ledger {
  return new Ledger(seedAccounts(), () => new Date("2025-01-02T03:04:05.000Z"));
}

function refusal(fn: () => unknown): LedgerError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof LedgerError, `expected a LedgerError, got ${String(err)}`);
    return err;
  }
  assert.fail("expected the call to throw");
}

describe("validateTransfer", () => {
  it("accepts a well-formed transfer and keeps only known fields", () => {
    const req = validateTransfer({ from: "alice", to: "bob", amountCents: 150, reference: "rent", extra: 1 });
    assert.deepEqual(req, { from: "alice", to: "bob", amountCents: 150, reference: "rent" });
  });

  it("lists every problem of a bad request at once", () => {
    const err = refusal(() => validateTransfer({ from: "Alice!", amountCents: 1.5 }));
    assert.equal(err.status, 400);
    assert.equal(err.details.length, 3);
    assert.match(err.details.join("\n"), /from must be an account id/);
    assert.match(err.details.join("\n"), /to must be an account id/);
    assert.match(err.details.join("\n"), /amountCents must be an integer/);
  });

  for (const body of [null, [], "x", 42]) {
    it(`refuses a non-object body ${JSON.stringify(body)}`, () => {
      assert.equal(refusal(() => validateTransfer(body)).status, 400);
    });
  }

  for (const amountCents of [0, -1, 1.25, "100", 1_000_000_001]) {
    it(`refuses amountCents ${JSON.stringify(amountCents)}`, () => {
      assert.equal(refusal(() => validateTransfer({ from: "alice", to: "bob", amountCents })).status, 400);
    });
  }

  it("refuses a transfer to the same account", () => {
    const err = refusal(() => validateTransfer({ from: "alice", to: "alice", amountCents: 1 }));
    assert.deepEqual(err.details, ["from and to must be different accounts"]);
  });

  it("refuses an over-long reference", () => {
    const err = refusal(() => validateTransfer({ from: "alice", to: "bob", amountCents: 1, reference: "x".repeat(141) }));
    assert.match(err.details[0], /reference/);
  });
});

describe("Ledger", () => {
  it("moves money between two accounts and records the transfer", () => {
    const l = ledger();
    const t = l.transfer({ from: "alice", to: "bob", amountCents: 1_000 });
    assert.deepEqual(t, {
      id: "tr-1",
      from: "alice",
      to: "bob",
      amountCents: 1_000,
      currency: "USD",
      createdAt: "2025-01-02T03:04:05.000Z",
    });
    assert.equal(l.account("alice").balanceCents, 50_000_00 - 1_000);
    assert.equal(l.account("bob").balanceCents, 25_000_00 + 1_000);
    assert.equal(l.transfer({ from: "bob", to: "alice", amountCents: 1 }).id, "tr-2");
  });

  it("refuses insufficient funds without changing any balance", () => {
    const l = ledger();
    const err = refusal(() => l.transfer({ from: "bob", to: "alice", amountCents: 25_000_01 }));
    assert.equal(err.status, 422);
    assert.match(err.message, /insufficient funds in bob/);
    assert.equal(l.account("bob").balanceCents, 25_000_00);
    assert.equal(l.account("alice").balanceCents, 50_000_00);
  });

  it("refuses a transfer across currencies", () => {
    const err = refusal(() => ledger().transfer({ from: "treasury", to: "zig-reserve", amountCents: 1 }));
    assert.equal(err.status, 422);
    assert.match(err.message, /currency mismatch/);
  });

  it("answers 404 for unknown accounts", () => {
    const l = ledger();
    assert.equal(refusal(() => l.account("carol")).status, 404);
    assert.equal(refusal(() => l.transfer({ from: "carol", to: "bob", amountCents: 1 })).status, 404);
    assert.equal(refusal(() => l.transfer({ from: "bob", to: "carol", amountCents: 1 })).status, 404);
  });

  it("hands out copies, so callers cannot change balances", () => {
    const l = ledger();
    l.account("alice").balanceCents = 0;
    assert.equal(l.account("alice").balanceCents, 50_000_00);
  });
});
