import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import { after, before, describe, it } from "node:test";
import { createApp } from "../../src/app";
import { Ledger, seedAccounts } from "../../src/ledger";

// The HTTP layer on a real server on 127.0.0.1, with a fresh ledger.
describe("HTTP API", () => {
  let server: Server;
  let base: string;
  before(async () => {
    const info = { service: "ledger-api", version: "1.0.0", revision: "deadbeef", builtAt: null };
    server = createApp(new Ledger(seedAccounts()), info).listen(0, "127.0.0.1");
    await new Promise((resolve) => server.once("listening", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise((resolve) => server.close(resolve)));

  const post = (body: string) =>
    fetch(`${base}/v1/ledger/transfers`, { method: "POST", headers: { "content-type": "application/json" }, body });

  it("GET /health answers the build info", async () => {
    const res = await fetch(`${base}/health`);
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.equal(body.status, "ok");
    assert.equal(body.revision, "deadbeef");
    assert.equal(typeof body.uptimeSeconds, "number");
  });

  it("POST /v1/ledger/transfers books a transfer that the balance shows", async () => {
    const res = await post(JSON.stringify({ from: "alice", to: "bob", amountCents: 250 }));
    assert.equal(res.status, 201);
    assert.equal((await res.json()).amountCents, 250);
    const balance = await (await fetch(`${base}/v1/ledger/accounts/bob/balance`)).json();
    assert.deepEqual(balance, { accountId: "bob", currency: "USD", balanceCents: 25_000_00 + 250 });
  });

  it("answers 400 with details for an invalid transfer", async () => {
    const res = await post(JSON.stringify({ from: "alice", to: "bob", amountCents: -5 }));
    assert.equal(res.status, 400);
    const body = await res.json();
    assert.equal(body.error, "invalid transfer");
    assert.match(body.details[0], /amountCents/);
  });

  it("answers 400 for a body that is not JSON", async () => {
    const res = await post("{not json");
    assert.equal(res.status, 400);
    assert.equal((await res.json()).error, "request body is not valid JSON");
  });

  it("answers 404 for an unknown account and an unknown route", async () => {
    assert.equal((await fetch(`${base}/v1/ledger/accounts/carol/balance`)).status, 404);
    assert.equal((await fetch(`${base}/nope`)).status, 404);
  });
});
