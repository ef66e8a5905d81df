import { createServer, type IncomingMessage, type ServerResponse, type Server } from "node:http";
import { config } from "../config/config";

function handle(req: IncomingMessage, res: ServerResponse): void {
  if (req.method === "GET" && req.url === "/health") {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ status: "ok", service: "credex-core-fixture", revision: config.revision }));
    return;
  }
  res.writeHead(404, { "content-type": "application/json" });
  res.end(JSON.stringify({ error: "not found" }));
}

export function app(): Server {
  return createServer(handle);
}
