// Load-test baseline: better-auth (phoneNumber plugin) on PostgreSQL, served by node:http through better-auth's own
// Node adapter, on WORKERS node:cluster workers sharing one port on 127.0.0.1 (the issue measured "better-auth (Node,
// 2 workers, PostgreSQL)"). Started by bench/load/run.sh after `node setup.mjs create`; GET /healthz answers 200
// once a worker's better-auth context is ready. The primary only supervises: on SIGTERM or SIGINT it stops every
// worker and waits for them; if a worker dies on its own the primary stops the others and exits 1 (no respawn, so a
// crash shows in the run instead of being hidden).
// Env: PORT, WORKERS (2), BETTER_AUTH_DATABASE_URL, BETTER_AUTH_SCHEMA, BETTER_AUTH_RATE_LIMIT (see auth.mjs).
import cluster from "node:cluster";
import http from "node:http";
import { toNodeHandler } from "better-auth/node";
import { makeAuth, makePool } from "./auth.mjs";

const port = Number(process.env.PORT || 18700);
const workers = Number(process.env.WORKERS || 2);

if (cluster.isPrimary) {
  let stopping = false;
  const stop = (code) => {
    stopping = true;
    const alive = Object.values(cluster.workers);
    if (alive.length === 0) process.exit(code);
    cluster.on("exit", () => {
      if (Object.keys(cluster.workers).length === 0) process.exit(code);
    });
    for (const worker of alive) worker.process.kill("SIGTERM");
  };
  cluster.on("exit", (worker, code, signal) => {
    if (stopping) return;
    console.error(`better-auth: worker ${worker.process.pid} exited (${signal ?? code}); stopping`);
    stop(1);
  });
  process.on("SIGTERM", () => stop(0));
  process.on("SIGINT", () => stop(0));
  for (let i = 0; i < workers; i++) cluster.fork();
} else {
  const pool = makePool();
  const auth = makeAuth(pool, port);
  await auth.$context; // migrations are not run here: setup.mjs did it before the timing started
  await pool.query("SELECT 1"); // ready means the database answers (a wrong URL stops the start here)
  const handle = toNodeHandler(auth);
  const server = http.createServer((req, res) => {
    if (req.method === "GET" && req.url === "/healthz") {
      res.writeHead(200, { "Content-Type": "application/json" }).end('{"status":"ok"}');
      return;
    }
    handle(req, res);
  });
  server.listen(port, "127.0.0.1");
  process.on("SIGTERM", () => {
    server.close();
    server.closeAllConnections();
    pool.end().finally(() => process.exit(0));
  });
}
