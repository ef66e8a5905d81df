import { type Account, type AccountSummary, type Transfer, Ledger } from "./ledger";

/** A database's reachability, as GET /health reports it. */
export interface DatabaseHealth {
  reachable: boolean;
  latencyMs?: number;
  /** Why it is unreachable (never a credential). */
  error?: string;
}

/**
 * Store is where the service keeps its data: in memory (no database
 * configured, e.g. its unit tests), or in credex-core's two Neo4j databases,
 * LedgerSpace (accounts and transfers) and SearchSpace (the search index).
 */
export interface Store {
  /** kind is "memory" or "neo4j"; GET /health reports it as `storage`. */
  readonly kind: "memory" | "neo4j";
  account(id: string): Promise<Account>;
  transfer(body: unknown): Promise<Transfer>;
  search(text: string): Promise<AccountSummary[]>;
  /** databases checks each database, by name (ledgerSpace, searchSpace); none in memory. */
  databases(): Promise<Record<string, DatabaseHealth>>;
  close(): Promise<void>;
}

/** MemoryStore keeps the ledger in the process: what runs without a database. */
export class MemoryStore implements Store {
  readonly kind = "memory";

  constructor(private readonly ledger: Ledger) {}

  async account(id: string): Promise<Account> {
    return this.ledger.account(id);
  }

  async transfer(body: unknown): Promise<Transfer> {
    return this.ledger.transfer(body);
  }

  async search(text: string): Promise<AccountSummary[]> {
    return this.ledger.search(text);
  }

  async databases(): Promise<Record<string, DatabaseHealth>> {
    return {};
  }

  async close(): Promise<void> {}
}
