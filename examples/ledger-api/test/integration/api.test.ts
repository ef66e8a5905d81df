// The integration suite runs against an instance that is already running
// (locally, or a fresh deployment) at API_URL; it starts nothing itself.
import assert from "node:assert/strict";
import { describe, it } from "node:test";

const apiUrl = process.env.API_URL?.replace(/\/+$/, "");
if (!apiUrl) {
  console.error("API_URL is not set: point it at a running ledger-api, e.g. API_URL=http://127.0.0.1:5000 npm run test:integration");
  process.exit(2);
}

async function json(path: string, init?: RequestInit): Promise<{ status: number; body: any }> {
  const res = await fetch(`${apiUrl}${path}`, { ...init, signal: AbortSignal.timeout(10_000) });
  return { status: res.status, body: await res.json() };
}

async function balance(id: string): Promise<number> {
  const { status, body } = await json(`/v1/ledger/accounts/${id}/balance`);
  assert.equal(status, 200);
  return body.balanceCents;
}

describe("ledger-api at API_URL", () => {
  it("reports healthy with its build info", async () => {
    const { status, body } = await json("/health");
    assert.equal(status, 200);
    assert.equal(body.status, "ok");
    assert.equal(body.service, "ledger-api");
    assert.match(body.version, /^\d+\.\d+\.\d+/);
    assert.equal(typeof body.revision, "string");
    assert.equal(typeof body.uptimeSeconds, "number");
  });

  it("books a transfer and moves both balances", async () => {
    const before = [await balance("treasury"), await balance("alice")];
    const { status, body } = await json("/v1/ledger/transfers", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ from: "treasury", to: "alice", amountCents: 1, reference: "integration test" }),
    });
    assert.equal(status, 201);
    assert.match(body.id, /^tr-\d+$/);
    const after = [await balance("treasury"), await balance("alice")];
    // Other clients may book concurrently; ours moved at least one cent each way.
    assert.ok(after[0] <= before[0] - 1, `treasury balance ${before[0]} -> ${after[0]}`);
    assert.ok(after[1] >= before[1] + 1, `alice balance ${before[1]} -> ${after[1]}`);
  });

  it("refuses an invalid transfer with 400", async () => {
    const { status, body } = await json("/v1/ledger/transfers", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ from: "alice", to: "alice", amountCents: 0 }),
    });
    assert.equal(status, 400);
    assert.ok(body.details.length >= 1);
  });

  it("answers 404 for an unknown account", async () => {
    assert.equal((await json("/v1/ledger/accounts/no-such-account/balance")).status, 404);
  });
});
