// Tests that need credex-core's two databases themselves, not the API: run
// by `dagger call test --script=test:databases --databases`, which starts
// LedgerSpace and SearchSpace and sets the NEO_4J_* variables. Without them
// every case is skipped, saying so.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, it } from "node:test";
import neo4j from "neo4j-driver";
import { type DatabaseConfig, neo4jConfig } from "../../src/neo4j";

const config = neo4jConfig(process.env);
const why = config ? "" : "no NEO_4J_* variables: run `dagger call test --script=test:databases --databases`";

describe("credex-core's databases", () => {
  for (const key of ["ledgerSpace", "searchSpace"] as const) {
    it(`writes and reads back in ${key}`, async (t) => {
      if (!config) {
        t.skip(why);
        return;
      }
      const db: DatabaseConfig = config[key];
      const driver = neo4j.driver(db.url, neo4j.auth.basic(db.user, db.password), { disableLosslessIntegers: true, connectionTimeout: 5_000 });
      try {
        const id = randomUUID();
        await driver.executeQuery("CREATE (:Probe {id: $id, n: $n})", { id, n: neo4j.int(42) }, { database: "neo4j" });
        const { records } = await driver.executeQuery("MATCH (p:Probe {id: $id}) DELETE p RETURN p.n AS n", { id }, { database: "neo4j" });
        assert.equal(records[0]?.get("n"), 42, `${db.name} at ${db.url}`);
      } finally {
        await driver.close();
      }
    });
  }
});
