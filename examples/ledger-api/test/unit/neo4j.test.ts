import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { neo4jConfig } from "../../src/neo4j";

const all = {
  NEO_4J_LEDGER_SPACE_BOLT_URL: "bolt://ledgerspace:7687",
  NEO_4J_LEDGER_SPACE_USER: "neo4j",
  NEO_4J_LEDGER_SPACE_PASS: "ledger-pw",
  NEO_4J_SEARCH_SPACE_BOLT_URL: "bolt://searchspace:7687",
  NEO_4J_SEARCH_SPACE_USER: "neo4j",
  NEO_4J_SEARCH_SPACE_PASS: "search-pw",
};

// The configuration is read without a database: which variables mean which
// storage, and what a half-configured service says.
describe("neo4jConfig", () => {
  it("keeps data in memory when no NEO_4J_* variable is set", () => {
    assert.equal(neo4jConfig({ PORT: "5000" }), null);
  });

  it("reads both databases from credex-core's variables", () => {
    assert.deepEqual(neo4jConfig(all), {
      ledgerSpace: { name: "LedgerSpace", url: "bolt://ledgerspace:7687", user: "neo4j", password: "ledger-pw" },
      searchSpace: { name: "SearchSpace", url: "bolt://searchspace:7687", user: "neo4j", password: "search-pw" },
    });
  });

  it("refuses a partial configuration, naming what is missing", () => {
    const { NEO_4J_SEARCH_SPACE_PASS: _, NEO_4J_LEDGER_SPACE_USER: __, ...partial } = all;
    assert.throws(() => neo4jConfig({ ...partial, NEO_4J_LEDGER_SPACE_USER: "" }), {
      message:
        "incomplete Neo4j configuration: NEO_4J_LEDGER_SPACE_USER, NEO_4J_SEARCH_SPACE_PASS not set (set all six NEO_4J_* variables, or none to keep data in memory)",
    });
  });
});
