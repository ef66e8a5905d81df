// Needs the API running on localhost:3000 (npm start in another terminal).
import assert from "node:assert/strict";
import { it } from "node:test";

it("GET /health answers ok", async () => {
  const res = await fetch(`http://localhost:${process.env.PORT ?? 3000}/health`);
  assert.equal(res.status, 200);
  assert.equal(((await res.json()) as { status: string }).status, "ok");
});
