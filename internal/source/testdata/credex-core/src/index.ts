import { app } from "./api/app";
import { config } from "./config/config";

const server = app().listen(config.port, () => {
  console.log(`credex-core-fixture listening on ${config.port}`);
});

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
