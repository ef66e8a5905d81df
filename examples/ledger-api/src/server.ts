import { createApp } from "./app";
import { buildInfo } from "./health";
import { Ledger, seedAccounts } from "./ledger";
import { Neo4jStore, neo4jConfig } from "./neo4j";
import { MemoryStore, type Store } from "./store";

function log(msg: string, fields: Record<string, unknown> = {}): void {
  console.log(JSON.stringify({ msg, ...fields }));
}

async function main(): Promise<void> {
  const port = Number(process.env.PORT ?? 5000);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new Error(`PORT must be a TCP port number, got ${JSON.stringify(process.env.PORT)}`);
  }
  const info = buildInfo();
  // With credex-core's NEO_4J_* variables (as ECS sets them, or `dagger call
  // deploy --env=local`), the data lives in LedgerSpace and SearchSpace;
  // without any, in memory.
  const config = neo4jConfig(process.env);
  let store: Store;
  if (config) {
    store = await Neo4jStore.connect(config, { log });
  } else {
    log("no NEO_4J_* variables: keeping the ledger in memory");
    store = new MemoryStore(new Ledger(seedAccounts()));
  }
  const server = createApp(store, info).listen(port, () => {
    log("listening", { port, storage: store.kind, ...info });
  });

  // ECS stops a task with SIGTERM: finish in-flight requests, then exit.
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.on(signal, () => {
      log("shutting down", { signal });
      server.close(() => {
        store.close().finally(() => process.exit(0));
      });
      setTimeout(() => process.exit(0), 10_000).unref();
    });
  }
}

main().catch((err: unknown) => {
  console.error(JSON.stringify({ msg: "startup failed", error: err instanceof Error ? err.message : String(err) }));
  process.exit(1);
});
