// credex-core's storage: two Neo4j databases, LedgerSpace (accounts and the
// transfers between them) and SearchSpace (the search index of accounts),
// reached through the official neo4j-driver with the variables the ECS task
// definition sets from Secrets Manager: NEO_4J_<DB>_BOLT_URL, _USER, _PASS.
import { randomUUID } from "node:crypto";
import neo4j, { type Driver } from "neo4j-driver";
import { type Account, type AccountSummary, type Transfer, checkTransfer, LedgerError, seedAccounts, validateTransfer } from "./ledger";
import type { DatabaseHealth, Store } from "./store";

/** One database's connection details. */
export interface DatabaseConfig {
  /** name is how people call it: LedgerSpace or SearchSpace. */
  name: string;
  url: string;
  user: string;
  password: string;
}

/** Both databases' connection details. */
export interface Neo4jConfig {
  ledgerSpace: DatabaseConfig;
  searchSpace: DatabaseConfig;
}

const VARIABLES = [
  ["ledgerSpace", "LedgerSpace", "NEO_4J_LEDGER_SPACE"],
  ["searchSpace", "SearchSpace", "NEO_4J_SEARCH_SPACE"],
] as const;

/** DATABASE is the database queried in each DBMS (Neo4j Community's only one). */
const DATABASE = "neo4j";

/**
 * neo4jConfig reads the NEO_4J_* variables: null when none is set (the
 * service then keeps its data in memory), both databases when all six are,
 * and an error naming the missing ones when only some are.
 */
export function neo4jConfig(env: NodeJS.ProcessEnv): Neo4jConfig | null {
  const names = VARIABLES.flatMap(([, , prefix]) => [`${prefix}_BOLT_URL`, `${prefix}_USER`, `${prefix}_PASS`]);
  const missing = names.filter((n) => !env[n]);
  if (missing.length === names.length) {
    return null;
  }
  if (missing.length > 0) {
    throw new Error(`incomplete Neo4j configuration: ${missing.join(", ")} not set (set all six NEO_4J_* variables, or none to keep data in memory)`);
  }
  const db = (name: string, prefix: string): DatabaseConfig => ({
    name,
    url: env[`${prefix}_BOLT_URL`] as string,
    user: env[`${prefix}_USER`] as string,
    password: env[`${prefix}_PASS`] as string,
  });
  return { ledgerSpace: db("LedgerSpace", VARIABLES[0][2]), searchSpace: db("SearchSpace", VARIABLES[1][2]) };
}

/** Options of Neo4jStore.connect. */
export interface ConnectOptions {
  /** timeoutMs bounds the wait for each database (default 60 s). */
  timeoutMs?: number;
  /** log receives progress lines. */
  log?: (msg: string, fields?: Record<string, unknown>) => void;
}

const PROBE_TIMEOUT_MS = 2_000;

/** Neo4jStore keeps the ledger in LedgerSpace and searches SearchSpace. */
export class Neo4jStore implements Store {
  readonly kind = "neo4j";

  private constructor(
    private readonly ledger: Driver,
    private readonly searchIndex: Driver,
  ) {}

  /**
   * connect opens both databases, waits until each accepts the credentials
   * (retrying while it starts), then creates the constraints and index and
   * seeds the demo accounts (idempotent). It fails naming the database that
   * is unreachable or refuses the credentials.
   */
  static async connect(config: Neo4jConfig, opts: ConnectOptions = {}): Promise<Neo4jStore> {
    const drivers = [config.ledgerSpace, config.searchSpace].map((c) =>
      neo4j.driver(c.url, neo4j.auth.basic(c.user, c.password), {
        disableLosslessIntegers: true,
        connectionTimeout: 5_000,
        maxTransactionRetryTime: 10_000,
      }),
    );
    const store = new Neo4jStore(drivers[0], drivers[1]);
    try {
      await Promise.all([config.ledgerSpace, config.searchSpace].map((c, i) => waitReady(drivers[i], c, opts)));
      await store.setUp();
    } catch (err) {
      await store.close();
      throw err;
    }
    return store;
  }

  /** setUp creates each database's constraints (and SearchSpace's text index) and seeds the demo accounts. */
  private async setUp(): Promise<void> {
    const accounts = seedAccounts();
    await prepare(
      this.ledger,
      [
        "CREATE CONSTRAINT account_id IF NOT EXISTS FOR (a:Account) REQUIRE a.id IS UNIQUE",
        "CREATE CONSTRAINT transfer_id IF NOT EXISTS FOR (t:Transfer) REQUIRE t.id IS UNIQUE",
      ],
      `UNWIND $accounts AS acc
       MERGE (a:Account {id: acc.id})
       ON CREATE SET a.name = acc.name, a.currency = acc.currency, a.balanceCents = acc.balanceCents`,
      // Cents are integers in Neo4j too (a JS number would be stored as a float).
      accounts.map((a) => ({ ...a, balanceCents: neo4j.int(a.balanceCents) })),
    );
    await prepare(
      this.searchIndex,
      [
        "CREATE CONSTRAINT account_id IF NOT EXISTS FOR (a:Account) REQUIRE a.id IS UNIQUE",
        "CREATE TEXT INDEX account_name IF NOT EXISTS FOR (a:Account) ON (a.name)",
      ],
      `UNWIND $accounts AS acc
       MERGE (a:Account {id: acc.id})
       SET a.name = acc.name, a.currency = acc.currency`,
      accounts.map(({ id, name, currency }) => ({ id, name, currency })),
    );
  }

  async account(id: string): Promise<Account> {
    const { records } = await this.ledger.executeQuery(
      "MATCH (a:Account {id: $id}) RETURN a.id AS id, a.name AS name, a.currency AS currency, a.balanceCents AS balanceCents",
      { id },
      { database: DATABASE, routing: neo4j.routing.READ },
    );
    if (records.length === 0) {
      throw new LedgerError(404, `account ${id} not found`);
    }
    return records[0].toObject() as Account;
  }

  /**
   * transfer books a transfer in one LedgerSpace transaction: both accounts
   * are write-locked first (so concurrent transfers cannot lose an update),
   * checked by the same rule as in memory, then both balances change and a
   * Transfer node links them.
   */
  async transfer(body: unknown): Promise<Transfer> {
    const req = validateTransfer(body);
    const session = this.ledger.session({ database: DATABASE, defaultAccessMode: neo4j.session.WRITE });
    try {
      return await session.executeWrite(async (tx) => {
        const locked = await tx.run(
          `MATCH (a:Account) WHERE a.id IN $ids
           SET a._lock = true
           RETURN a.id AS id, a.currency AS currency, a.balanceCents AS balanceCents`,
          { ids: [req.from, req.to] },
        );
        const byId = new Map(locked.records.map((r) => [r.get("id") as string, r.toObject() as Pick<Account, "id" | "currency" | "balanceCents">]));
        const [from] = checkTransfer(req, byId.get(req.from), byId.get(req.to));
        const t: Transfer = { ...req, id: `tr-${randomUUID()}`, currency: from.currency, createdAt: new Date().toISOString() };
        await tx.run(
          `MATCH (src:Account {id: $t.from}), (dst:Account {id: $t.to})
           SET src.balanceCents = src.balanceCents - $t.amountCents, dst.balanceCents = dst.balanceCents + $t.amountCents
           REMOVE src._lock, dst._lock
           CREATE (src)-[:SENT]->(:Transfer {id: $t.id, amountCents: $t.amountCents, currency: $t.currency, reference: $t.reference, createdAt: $t.createdAt})-[:TO]->(dst)`,
          { t: { reference: null, ...t, amountCents: neo4j.int(t.amountCents) } },
        );
        return t;
      });
    } finally {
      await session.close();
    }
  }

  /** search reads the SearchSpace index: accounts whose id or name contains text. */
  async search(text: string): Promise<AccountSummary[]> {
    const { records } = await this.searchIndex.executeQuery(
      `MATCH (a:Account)
       WHERE toLower(a.name) CONTAINS toLower($text) OR a.id CONTAINS toLower($text)
       RETURN a.id AS id, a.name AS name, a.currency AS currency
       ORDER BY id LIMIT 20`,
      { text },
      { database: DATABASE, routing: neo4j.routing.READ },
    );
    return records.map((r) => r.toObject() as AccountSummary);
  }

  async databases(): Promise<Record<string, DatabaseHealth>> {
    const [ledgerSpace, searchSpace] = await Promise.all([probe(this.ledger), probe(this.searchIndex)]);
    return { ledgerSpace, searchSpace };
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.ledger.close(), this.searchIndex.close()]);
  }
}

/** prepare runs a database's schema statements, then its seed query with the accounts. */
async function prepare(driver: Driver, schema: string[], seed: string, accounts: object[]): Promise<void> {
  for (const q of schema) {
    await driver.executeQuery(q, {}, { database: DATABASE });
  }
  await driver.executeQuery(seed, { accounts }, { database: DATABASE });
}

/** probe runs RETURN 1, bounded by PROBE_TIMEOUT_MS. */
async function probe(driver: Driver): Promise<DatabaseHealth> {
  const start = Date.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      driver.executeQuery("RETURN 1", {}, { database: DATABASE }),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${PROBE_TIMEOUT_MS} ms`)), PROBE_TIMEOUT_MS);
      }),
    ]);
    return { reachable: true, latencyMs: Date.now() - start };
  } catch (err) {
    return { reachable: false, error: errorMessage(err) };
  } finally {
    clearTimeout(timer);
  }
}

/** waitReady retries verifyConnectivity until the database answers, refuses the credentials, or time runs out. */
async function waitReady(driver: Driver, c: DatabaseConfig, opts: ConnectOptions): Promise<void> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 1; ; attempt++) {
    try {
      await driver.verifyConnectivity({ database: DATABASE });
      opts.log?.("database ready", { database: c.name, url: c.url, attempt });
      return;
    } catch (err) {
      const code = (err as { code?: string }).code ?? "";
      if (code.startsWith("Neo.ClientError.Security.")) {
        throw new Error(`${c.name} at ${c.url} refused the credentials of ${c.user}: ${errorMessage(err)}`);
      }
      if (Date.now() >= deadline) {
        throw new Error(`${c.name} at ${c.url} is unreachable after ${Math.round(timeoutMs / 1000)} s (${attempt} attempts): ${errorMessage(err)}`);
      }
      opts.log?.("waiting for database", { database: c.name, url: c.url, attempt, error: errorMessage(err) });
      await new Promise((r) => setTimeout(r, Math.min(2_000, 250 * attempt)));
    }
  }
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
