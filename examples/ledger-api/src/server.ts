import { createApp } from "./app";
import { buildInfo } from "./health";
import { Ledger, seedAccounts } from "./ledger";

const port = Number(process.env.PORT ?? 5000);
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  console.error(`PORT must be a TCP port number, got ${JSON.stringify(process.env.PORT)}`);
  process.exit(1);
}

const info = buildInfo();
const server = createApp(new Ledger(seedAccounts()), info).listen(port, () => {
  console.log(JSON.stringify({ msg: "listening", port, ...info }));
});

// ECS stops a task with SIGTERM: finish in-flight requests, then exit.
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.on(signal, () => {
    console.log(JSON.stringify({ msg: "shutting down", signal }));
    server.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 10_000).unref();
  });
}
