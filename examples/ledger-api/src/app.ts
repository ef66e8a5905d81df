import express, { type ErrorRequestHandler, type Express } from "express";
import { type BuildInfo, health } from "./health";
import { LedgerError, validateQuery } from "./ledger";
import type { Store } from "./store";

/** createApp wires the HTTP API around a store; it starts no server. */
export function createApp(store: Store, info: BuildInfo, startedAt: Date = new Date()): Express {
  const app = express();
  app.disable("x-powered-by");
  app.use(express.json({ limit: "16kb" }));

  app.get("/health", async (_req, res) => {
    const body = health(info, startedAt, { storage: store.kind, databases: await store.databases() });
    res.status(body.status === "ok" ? 200 : 503).json(body);
  });

  app.get("/v1/ledger/accounts/:id/balance", async (req, res) => {
    const a = await store.account(req.params.id);
    res.json({ accountId: a.id, currency: a.currency, balanceCents: a.balanceCents });
  });

  app.post("/v1/ledger/transfers", async (req, res) => {
    res.status(201).json(await store.transfer(req.body));
  });

  app.get("/v1/search/accounts", async (req, res) => {
    const query = validateQuery(req.query.q);
    res.json({ query, results: await store.search(query) });
  });

  app.use((req, res) => {
    res.status(404).json({ error: `no route for ${req.method} ${req.path}` });
  });

  const onError: ErrorRequestHandler = (err, _req, res, _next) => {
    if (err instanceof LedgerError) {
      res.status(err.status).json({ error: err.message, details: err.details });
      return;
    }
    // body-parser marks malformed JSON as a 400 with type entity.parse.failed.
    if (typeof err === "object" && err !== null && (err as { type?: string }).type === "entity.parse.failed") {
      res.status(400).json({ error: "request body is not valid JSON", details: [] });
      return;
    }
    console.error(err);
    res.status(500).json({ error: "internal error" });
  };
  app.use(onError);
  return app;
}
