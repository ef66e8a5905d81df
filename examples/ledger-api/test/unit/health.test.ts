import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { buildInfo, health } from "../../src/health";

function packageJson(content: object): string {
  const dir = mkdtempSync(join(tmpdir(), "ledger-api-"));
  const file = join(dir, "package.json");
  writeFileSync(file, JSON.stringify(content));
  return file;
}

describe("buildInfo", () => {
  it("takes the version from package.json and the build from the environment", () => {
    const file = packageJson({ name: "ledger-api", version: "1.2.3" });
    const info = buildInfo({ APP_REVISION: "0123abcd", APP_BUILT_AT: "2025-01-02T03:04:05Z" }, file);
    assert.deepEqual(info, { service: "ledger-api", version: "1.2.3", revision: "0123abcd", builtAt: "2025-01-02T03:04:05Z" });
  });

  it("reports an unknown revision and no build time when they are unset or empty", () => {
    const file = packageJson({ name: "ledger-api", version: "1.0.0" });
    assert.deepEqual(buildInfo({ APP_REVISION: "", APP_BUILT_AT: "" }, file), {
      service: "ledger-api",
      version: "1.0.0",
      revision: "unknown",
      builtAt: null,
    });
  });

  it("reads this service's own package.json by default", () => {
    assert.equal(buildInfo({}).service, "ledger-api");
  });
});

describe("health", () => {
  const info = { service: "ledger-api", version: "1.0.0", revision: "abc", builtAt: null };
  const memory = { storage: "memory" as const, databases: {} };

  it("counts whole seconds of uptime", () => {
    const h = health(info, new Date("2025-01-01T00:00:00Z"), memory, new Date("2025-01-01T00:01:01.900Z"));
    assert.deepEqual(h, { status: "ok", ...info, uptimeSeconds: 61, storage: "memory", databases: {} });
  });

  it("is ok when every database answers, unavailable when one does not", () => {
    const up = { reachable: true, latencyMs: 3 };
    const ok = health(info, new Date(), { storage: "neo4j", databases: { ledgerSpace: up, searchSpace: up } });
    assert.equal(ok.status, "ok");
    assert.equal(ok.storage, "neo4j");
    const down = health(info, new Date(), { storage: "neo4j", databases: { ledgerSpace: up, searchSpace: { reachable: false, error: "timeout" } } });
    assert.equal(down.status, "unavailable");
  });
});
