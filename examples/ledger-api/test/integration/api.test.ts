// The integration suite runs against an instance that is already running
// (locally, or a fresh deployment) at API_URL; it starts nothing itself.
//
// When the API reports that it keeps its data in Neo4j (storage "neo4j" in
// GET /health), the database cases run too; given the NEO_4J_* variables
// (as `dagger call deploy --env=local` binds them into the suite's
// container), they also look inside LedgerSpace and SearchSpace directly.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import neo4j, { type Driver } from "neo4j-driver";
import { neo4jConfig } from "../../src/neo4j";

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
    assert.match(body.id, /^tr-[0-9a-f-]+$/);
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

  it("finds a seeded account by name", async () => {
    const { status, body } = await json("/v1/search/accounts?q=alic");
    assert.equal(status, 200);
    assert.ok(body.results.some((a: { id: string }) => a.id === "alice"), JSON.stringify(body));
  });
});

describe("ledger-api's databases", () => {
  let storage = "unknown";
  let ledgerSpace: Driver | undefined;
  let searchSpace: Driver | undefined;
  // Why the direct checks cannot run here, if they cannot.
  let noDirectAccess = "";

  before(async () => {
    storage = (await json("/health")).body.storage;
    const config = neo4jConfig(process.env);
    if (!config) {
      noDirectAccess = "no NEO_4J_* variables in the suite's environment, so LedgerSpace and SearchSpace cannot be read directly";
      return;
    }
    const open = (c: { url: string; user: string; password: string }) =>
      neo4j.driver(c.url, neo4j.auth.basic(c.user, c.password), { disableLosslessIntegers: true, connectionTimeout: 5_000 });
    ledgerSpace = open(config.ledgerSpace);
    searchSpace = open(config.searchSpace);
  });
  after(async () => {
    await Promise.allSettled([ledgerSpace?.close(), searchSpace?.close()]);
  });

  // skip says why a database case cannot run; "" when it can.
  const skip = (direct: boolean): string => {
    if (storage !== "neo4j") {
      return `the API reports no databases (storage: ${storage}); run it with the NEO_4J_* variables set, e.g. dagger call deploy --env=local`;
    }
    return direct ? noDirectAccess : "";
  };

  it("reports LedgerSpace and SearchSpace reachable in /health", async (t) => {
    const why = skip(false);
    if (why) {
      t.skip(why);
      return;
    }
    const { status, body } = await json("/health");
    assert.equal(status, 200);
    for (const db of ["ledgerSpace", "searchSpace"]) {
      assert.equal(body.databases[db]?.reachable, true, `${db}: ${JSON.stringify(body.databases[db])}`);
      assert.equal(typeof body.databases[db].latencyMs, "number");
    }
  });

  it("records a booked transfer in LedgerSpace, with both balances", async (t) => {
    const why = skip(true);
    if (why) {
      t.skip(why);
      return;
    }
    const reference = `integration ${randomUUID()}`;
    const { status, body } = await json("/v1/ledger/transfers", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ from: "treasury", to: "bob", amountCents: 7, reference }),
    });
    assert.equal(status, 201);
    const { records } = await (ledgerSpace as Driver).executeQuery(
      `MATCH (src:Account)-[:SENT]->(x:Transfer {id: $id})-[:TO]->(dst:Account)
       RETURN src.id AS sender, dst.id AS recipient, x.amountCents AS amountCents, x.reference AS reference, dst.balanceCents AS recipientBalance,
              valueType(dst.balanceCents) AS balanceType, valueType(x.amountCents) AS amountType`,
      { id: body.id },
      { database: "neo4j" },
    );
    assert.equal(records.length, 1, `transfer ${body.id} not found in LedgerSpace`);
    const row = records[0].toObject();
    assert.deepEqual(
      { sender: row.sender, recipient: row.recipient, amountCents: row.amountCents, reference: row.reference },
      { sender: "treasury", recipient: "bob", amountCents: 7, reference },
    );
    // Money is integer cents in LedgerSpace, never a float.
    assert.match(`${row.balanceType} ${row.amountType}`, /^INTEGER.* INTEGER/);
    // The API's balance is LedgerSpace's (other clients may book meanwhile).
    const api = (await json("/v1/ledger/accounts/bob/balance")).body.balanceCents;
    assert.ok(api >= row.recipientBalance, `API balance ${api}, LedgerSpace ${row.recipientBalance}`);
  });

  it("searches the SearchSpace index, not the ledger", async (t) => {
    const why = skip(true);
    if (why) {
      t.skip(why);
      return;
    }
    // An account only SearchSpace knows: the API can find it only by reading there.
    const id = `it-${randomUUID().slice(0, 8)}`;
    const db = searchSpace as Driver;
    await db.executeQuery("CREATE (:Account {id: $id, name: $name, currency: 'USD'})", { id, name: `Integration ${id}` }, { database: "neo4j" });
    try {
      const { status, body } = await json(`/v1/search/accounts?q=${id}`);
      assert.equal(status, 200);
      assert.deepEqual(body.results, [{ id, name: `Integration ${id}`, currency: "USD" }]);
      assert.equal((await json(`/v1/ledger/accounts/${id}/balance`)).status, 404, "the ledger must not know a search-only account");
    } finally {
      await db.executeQuery("MATCH (a:Account {id: $id}) DELETE a", { id }, { database: "neo4j" });
    }
  });
});
