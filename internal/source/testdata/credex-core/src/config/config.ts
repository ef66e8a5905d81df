// Configuration, validated when this module is first imported (as
// credex-core does): a process without its databases, exchange-rate key or
// JWT secret stops here, naming every variable it lacks.

const required = [
  "NEO_4J_LEDGER_SPACE_BOLT_URL",
  "NEO_4J_LEDGER_SPACE_USER",
  "NEO_4J_LEDGER_SPACE_PASS",
  "NEO_4J_SEARCH_SPACE_BOLT_URL",
  "NEO_4J_SEARCH_SPACE_USER",
  "NEO_4J_SEARCH_SPACE_PASS",
  "OPEN_EXCHANGE_RATES_API",
  "JWT_SECRET",
] as const;

type Name = (typeof required)[number];

function load(env: NodeJS.ProcessEnv): Record<Name, string> {
  const missing = required.filter((name) => !env[name]);
  if (missing.length > 0) {
    throw new Error(`missing configuration: set ${missing.join(", ")}`);
  }
  return Object.fromEntries(required.map((name) => [name, env[name] as string])) as Record<Name, string>;
}

const env = load(process.env);

export interface Database {
  boltUrl: string;
  user: string;
  password: string;
}

export const config = {
  port: Number(process.env.PORT ?? 3000),
  ledgerSpace: {
    boltUrl: env.NEO_4J_LEDGER_SPACE_BOLT_URL,
    user: env.NEO_4J_LEDGER_SPACE_USER,
    password: env.NEO_4J_LEDGER_SPACE_PASS,
  } satisfies Database,
  searchSpace: {
    boltUrl: env.NEO_4J_SEARCH_SPACE_BOLT_URL,
    user: env.NEO_4J_SEARCH_SPACE_USER,
    password: env.NEO_4J_SEARCH_SPACE_PASS,
  } satisfies Database,
  openExchangeRatesKey: env.OPEN_EXCHANGE_RATES_API,
  jwtSecret: env.JWT_SECRET,
  revision: process.env.APP_REVISION ?? "",
};
