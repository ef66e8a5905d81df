import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { DatabaseHealth, Store } from "./store";

/**
 * Health is the body of GET /health: liveness, the build that is running,
 * where the data is kept (`storage`: memory or neo4j) and whether each
 * database answers. It is "unavailable" (and GET /health answers 503) when
 * a database does not.
 */
export interface Health {
  status: "ok" | "unavailable";
  service: string;
  version: string;
  revision: string;
  builtAt: string | null;
  uptimeSeconds: number;
  storage: Store["kind"];
  databases: Record<string, DatabaseHealth>;
}

/** BuildInfo identifies the running build; it does not change while the process runs. */
export interface BuildInfo {
  service: string;
  version: string;
  revision: string;
  builtAt: string | null;
}

/**
 * buildInfo reads the version from package.json and the revision and build
 * time from APP_REVISION and APP_BUILT_AT, which the image sets from its
 * REVISION and BUILT_AT build arguments.
 */
export function buildInfo(env: NodeJS.ProcessEnv = process.env, packageJsonPath = ownPackageJson()): BuildInfo {
  const pkg = JSON.parse(readFileSync(packageJsonPath, "utf8")) as { name?: string; version?: string };
  return {
    service: pkg.name ?? "ledger-api",
    version: pkg.version ?? "0.0.0",
    revision: env.APP_REVISION || "unknown",
    builtAt: env.APP_BUILT_AT || null,
  };
}

/** The storage a health body reports: its kind and each database's reachability. */
export interface StorageHealth {
  storage: Store["kind"];
  databases: Record<string, DatabaseHealth>;
}

/** health returns the /health body for a process that started at startedAt. */
export function health(info: BuildInfo, startedAt: Date, s: StorageHealth, now: Date = new Date()): Health {
  const down = Object.values(s.databases).some((d) => !d.reachable);
  return {
    status: down ? "unavailable" : "ok",
    ...info,
    uptimeSeconds: Math.max(0, Math.floor((now.getTime() - startedAt.getTime()) / 1000)),
    storage: s.storage,
    databases: s.databases,
  };
}

/** ownPackageJson finds the service's package.json above the compiled code (dist/ or dist-test/src/). */
function ownPackageJson(dir: string = __dirname): string {
  for (;;) {
    const candidate = join(dir, "package.json");
    if (existsSync(candidate)) {
      return candidate;
    }
    const parent = dirname(dir);
    if (parent === dir) {
      throw new Error(`no package.json above ${__dirname}: run the service from its package directory`);
    }
    dir = parent;
  }
}
