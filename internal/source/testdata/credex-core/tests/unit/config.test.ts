import assert from "node:assert/strict";
import { it } from "node:test";
import { config } from "../../src/config/config";

it("reads both databases' connection settings from the environment", () => {
  assert.equal(config.ledgerSpace.boltUrl, process.env.NEO_4J_LEDGER_SPACE_BOLT_URL);
  assert.equal(config.searchSpace.boltUrl, process.env.NEO_4J_SEARCH_SPACE_BOLT_URL);
  assert.match(config.ledgerSpace.boltUrl, /^(bolt|neo4j)(\+s|\+ssc)?:\/\//);
  assert.match(config.searchSpace.boltUrl, /^(bolt|neo4j)(\+s|\+ssc)?:\/\//);
});

it("has the secrets it needs (without printing them)", () => {
  for (const secret of [config.ledgerSpace.password, config.searchSpace.password, config.jwtSecret, config.openExchangeRatesKey]) {
    assert.ok(secret.length >= 8, "a secret is shorter than 8 characters");
  }
});
