// The ledger domain: accounts with balances in integer cents, and transfers
// between them. Amounts are integers so no rounding ever happens.

/** An account's public view. */
export interface Account {
  id: string;
  name: string;
  currency: string;
  balanceCents: number;
}

/** A transfer request as received from a client, not yet validated. */
export interface TransferRequest {
  from: string;
  to: string;
  amountCents: number;
  reference?: string;
}

/** A booked transfer. */
export interface Transfer extends TransferRequest {
  id: string;
  currency: string;
  createdAt: string;
}

/** Why a request was refused; `status` is the HTTP status it maps to. */
export class LedgerError extends Error {
  constructor(
    readonly status: 400 | 404 | 422,
    message: string,
    readonly details: string[] = [],
  ) {
    super(message);
    this.name = "LedgerError";
  }
}

const MAX_AMOUNT_CENTS = 1_000_000_000;
const ACCOUNT_ID = /^[a-z0-9][a-z0-9-]{0,63}$/;

/**
 * validateTransfer checks a transfer request's shape and returns it typed, or
 * throws a LedgerError(400) listing every problem at once.
 */
export function validateTransfer(body: unknown): TransferRequest {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new LedgerError(400, "invalid transfer", ["body must be a JSON object"]);
  }
  const b = body as Record<string, unknown>;
  const problems: string[] = [];
  for (const field of ["from", "to"] as const) {
    const v = b[field];
    if (typeof v !== "string" || !ACCOUNT_ID.test(v)) {
      problems.push(`${field} must be an account id (lower-case letters, digits and dashes)`);
    }
  }
  if (problems.length === 0 && b.from === b.to) {
    problems.push("from and to must be different accounts");
  }
  const amount = b.amountCents;
  if (typeof amount !== "number" || !Number.isInteger(amount) || amount <= 0 || amount > MAX_AMOUNT_CENTS) {
    problems.push(`amountCents must be an integer between 1 and ${MAX_AMOUNT_CENTS}`);
  }
  if (b.reference !== undefined && (typeof b.reference !== "string" || b.reference.length > 140)) {
    problems.push("reference, when given, must be a string of at most 140 characters");
  }
  if (problems.length > 0) {
    throw new LedgerError(400, "invalid transfer", problems);
  }
  const req: TransferRequest = { from: b.from as string, to: b.to as string, amountCents: amount as number };
  if (typeof b.reference === "string") {
    req.reference = b.reference;
  }
  return req;
}

/**
 * checkTransfer decides whether a valid request can be booked between the
 * two accounts as they are now (undefined: not found): unknown accounts are
 * 404, a currency mismatch or insufficient funds 422. Every store books
 * transfers by this rule.
 */
export function checkTransfer<F extends Pick<Account, "id" | "currency" | "balanceCents">, T extends Pick<Account, "id" | "currency">>(
  req: TransferRequest,
  from: F | undefined,
  to: T | undefined,
): [F, T] {
  if (!from) {
    throw new LedgerError(404, `account ${req.from} not found`);
  }
  if (!to) {
    throw new LedgerError(404, `account ${req.to} not found`);
  }
  if (from.currency !== to.currency) {
    throw new LedgerError(422, `currency mismatch: ${from.id} holds ${from.currency}, ${to.id} holds ${to.currency}`);
  }
  if (from.balanceCents < req.amountCents) {
    throw new LedgerError(422, `insufficient funds in ${from.id}: balance ${from.balanceCents}, requested ${req.amountCents}`);
  }
  return [from, to];
}

/** Ledger is an in-memory ledger: accounts and the transfers booked between them. */
export class Ledger {
  private readonly accounts = new Map<string, Account>();
  private readonly transfers: Transfer[] = [];

  constructor(
    accounts: Account[] = [],
    private readonly now: () => Date = () => new Date(),
  ) {
    for (const a of accounts) {
      this.accounts.set(a.id, { ...a });
    }
  }

  /** account returns a copy of an account, or throws LedgerError(404). */
  account(id: string): Account {
    const a = this.accounts.get(id);
    if (!a) {
      throw new LedgerError(404, `account ${id} not found`);
    }
    return { ...a };
  }

  /**
   * transfer validates a request and books it atomically: both balances change
   * or neither does. Unknown accounts are 404, a currency mismatch or
   * insufficient funds 422.
   */
  transfer(body: unknown): Transfer {
    const req = validateTransfer(body);
    const [from, to] = checkTransfer(req, this.accounts.get(req.from), this.accounts.get(req.to));
    from.balanceCents -= req.amountCents;
    to.balanceCents += req.amountCents;
    const t: Transfer = {
      ...req,
      id: `tr-${this.transfers.length + 1}`,
      currency: from.currency,
      createdAt: this.now().toISOString(),
    };
    this.transfers.push(t);
    return { ...t };
  }

  /** search returns the accounts whose id or name contains text, by id. */
  search(text: string): AccountSummary[] {
    return [...this.accounts.values()]
      .filter((a) => matches(a, text))
      .sort((a, b) => a.id.localeCompare(b.id))
      .map(({ id, name, currency }) => ({ id, name, currency }));
  }
}

/** An account as the search index shows it: no balance. */
export interface AccountSummary {
  id: string;
  name: string;
  currency: string;
}

/** MAX_QUERY is the longest search text accepted. */
const MAX_QUERY = 64;

/**
 * validateQuery checks a search text (`?q=`): 1 to 64 characters after
 * trimming; it throws LedgerError(400) otherwise.
 */
export function validateQuery(q: unknown): string {
  const text = typeof q === "string" ? q.trim() : "";
  if (text.length === 0 || text.length > MAX_QUERY) {
    throw new LedgerError(400, "invalid search", [`q must be 1 to ${MAX_QUERY} characters`]);
  }
  return text;
}

/** matches reports whether an account matches a search text: its id or name contains it, ignoring case. */
export function matches(a: AccountSummary, text: string): boolean {
  const t = text.toLowerCase();
  return a.id.includes(t) || a.name.toLowerCase().includes(t);
}

/** seedAccounts is the demo ledger every instance starts with. */
export function seedAccounts(): Account[] {
  return [
    { id: "treasury", name: "Treasury", currency: "USD", balanceCents: 100_000_000_00 },
    { id: "alice", name: "Alice", currency: "USD", balanceCents: 50_000_00 },
    { id: "bob", name: "Bob", currency: "USD", balanceCents: 25_000_00 },
    { id: "zig-reserve", name: "ZiG reserve", currency: "ZWG", balanceCents: 10_000_000_00 },
  ];
}
