import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import { after, before, describe, it } from "node:test";
import { createApp } from "../../src/app";
import { Ledger, seedAccounts } from "../../src/ledger";
import { type DatabaseHealth, MemoryStore, type Store } from "../../src/store";

const info = { service: "ledger-api", version: "1.0.0", revision: "deadbeef", builtAt: null };

async function listen(store: Store): Promise<{ server: Server; base: string }> {
  const server = createApp(store, info).listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

// The HTTP layer on a real server on 127.0.0.1, with a fresh ledger.
describe("HTTP API", () => {
  let server: Server;
  let base: string;
  before(async () => {
    ({ server, base } = await listen(new MemoryStore(new Ledger(seedAccounts()))));
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
    assert.equal(body.storage, "memory");
    assert.deepEqual(body.databases, {});
  });

  it("GET /v1/search/accounts finds accounts by name or id", async () => {
    const res = await fetch(`${base}/v1/search/accounts?q=ALI`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { query: "ALI", results: [{ id: "alice", name: "Alice", currency: "USD" }] });
    const reserve = await (await fetch(`${base}/v1/search/accounts?q=zig`)).json();
    assert.deepEqual(reserve.results.map((a: { id: string }) => a.id), ["zig-reserve"]);
  });

  it("answers 400 for a search without text", async () => {
    const res = await fetch(`${base}/v1/search/accounts?q=%20`);
    assert.equal(res.status, 400);
    assert.equal((await res.json()).error, "invalid search");
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

// A store whose SearchSpace is down: /health must say so, with 503, so the
// load balancer (or credex-ci's health check) does not count it healthy.
describe("GET /health with a database down", () => {
  class DownStore extends MemoryStore {
    override readonly kind = "memory";
    async databases(): Promise<Record<string, DatabaseHealth>> {
      return {
        ledgerSpace: { reachable: true, latencyMs: 2 },
        searchSpace: { reachable: false, error: "connect ECONNREFUSED searchspace:7687" },
      };
    }
  }
  let server: Server;
  let base: string;
  before(async () => {
    ({ server, base } = await listen(new DownStore(new Ledger(seedAccounts()))));
  });
  after(() => new Promise((resolve) => server.close(resolve)));

  it("answers 503 unavailable, naming the database that does not answer", async () => {
    const res = await fetch(`${base}/health`);
    assert.equal(res.status, 503);
    const body = await res.json();
    assert.equal(body.status, "unavailable");
    assert.deepEqual(body.databases.searchSpace, { reachable: false, error: "connect ECONNREFUSED searchspace:7687" });
    assert.equal(body.databases.ledgerSpace.reachable, true);
  });
});
