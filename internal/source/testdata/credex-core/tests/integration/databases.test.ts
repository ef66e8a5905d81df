// Needs both Neo4j databases: speaks the first step of the Bolt protocol
// (version negotiation) to each.
import assert from "node:assert/strict";
import { connect } from "node:net";
import { it } from "node:test";
import { config, type Database } from "../../src/config/config";

function negotiateBolt(db: Database): Promise<number[]> {
  const url = new URL(db.boltUrl);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: url.hostname, port: Number(url.port || 7687) });
    socket.setTimeout(5000, () => socket.destroy(new Error(`no answer from ${url.host}`)));
    socket.once("error", reject);
    socket.once("connect", () => {
      // Magic preamble, then four proposed versions: 5.0, 4.4, none, none.
      socket.write(Buffer.from([0x60, 0x60, 0xb0, 0x17, 0, 0, 0, 5, 0, 0, 4, 4, 0, 0, 0, 0, 0, 0, 0, 0]));
    });
    socket.once("data", (data) => {
      socket.end();
      resolve([...data.subarray(0, 4)]);
    });
  });
}

for (const [name, db] of [["LedgerSpace", config.ledgerSpace], ["SearchSpace", config.searchSpace]] as const) {
  it(`${name} speaks Bolt`, async () => {
    const version = await negotiateBolt(db);
    assert.notDeepEqual(version, [0, 0, 0, 0], `${name} accepted none of the proposed Bolt versions`);
  });
}
