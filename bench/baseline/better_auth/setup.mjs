// Schema set-up of the better-auth baseline, run by bench/load/run.sh before each run's timing starts:
//   node setup.mjs create   creates the schema BETTER_AUTH_SCHEMA (it must not exist) and better-auth's tables in it,
//                           with better-auth's own migration API (getMigrations from better-auth/db/migration: "the
//                           migration plan that `auth migrate` executes", says its source)
//   node setup.mjs drop     drops that schema and everything in it
// Both read BETTER_AUTH_DATABASE_URL and BETTER_AUTH_SCHEMA.
import { getMigrations } from "better-auth/db/migration";
import { makeAuth, makePool } from "./auth.mjs";

const action = process.argv[2];
const schema = process.env.BETTER_AUTH_SCHEMA;
const pool = makePool();
try {
  if (action === "create") {
    await pool.query(`CREATE SCHEMA ${schema}`); // a fresh one: fails if a previous run left it
    const auth = makeAuth(pool, 0);
    const { toBeCreated, toBeAdded, runMigrations } = await getMigrations(auth.options);
    await runMigrations();
    const tables = toBeCreated.map((t) => t.table).join(", ");
    console.log(`better-auth: schema ${schema}: created ${tables}${toBeAdded.length ? " (and added columns)" : ""}`);
  } else if (action === "drop") {
    await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } else {
    console.error("usage: node setup.mjs create|drop");
    process.exitCode = 2;
  }
} finally {
  await pool.end();
}
