// The better-auth configuration of the load-test baseline, shared by the server (server.mjs) and the schema set-up
// (setup.mjs), so that the migration creates exactly the tables the server uses. It exists only to be measured side
// by side with sms-auth (bench/load/run.sh); it is not a product. See bench/README.md for what it deviates in.
import { betterAuth } from "better-auth";
import { phoneNumber } from "better-auth/plugins";
import pg from "pg";

export const FIXED_CODE = "123456";
const OTP_IDENTIFIER_PREFIX = "phone-number-otp-"; // what the phone-number plugin stores its codes under

// A pg Pool on the database run.sh passes, confined to this run's own schema (search_path), so that runs never see
// each other's rows and nothing touches sms-auth's tables in the same database. Pool size: pg's default (10).
export function makePool() {
  const url = process.env.BETTER_AUTH_DATABASE_URL;
  const schema = process.env.BETTER_AUTH_SCHEMA;
  if (!url || !schema) throw new Error("BETTER_AUTH_DATABASE_URL and BETTER_AUTH_SCHEMA are required");
  if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`not a plain schema name: ${schema}`);
  return new pg.Pool({ connectionString: url, options: `-c search_path=${schema}` });
}

export function makeAuth(pool, port) {
  return betterAuth({
    database: pool,
    baseURL: `http://127.0.0.1:${port}`,
    secret: "bench-better-auth-secret-bench-better-auth-secret-7c1d",
    telemetry: { enabled: false },
    // better-auth's own rate limiter stays as in production (NODE_ENV=production turns it on; memory storage, so
    // one store per worker): per client address and path, 10 a minute on /phone-number/*. It is set out of the way
    // the same way as sms-auth's per-address limits, which the benchmark also keeps on: every wrk request comes
    // from a distinct address in X-Forwarded-For (which better-auth reads by default), so it never refuses one.
    // better-auth has no global cap, the only kind of sms-auth limit the benchmark lifts. BETTER_AUTH_RATE_LIMIT=off
    // turns it off entirely, to see what checking it costs.
    rateLimit: { enabled: process.env.BETTER_AUTH_RATE_LIMIT !== "off" },
    databaseHooks: {
      verification: {
        create: {
          // The fixed test code. The phone-number plugin (1.7.25) has no option to choose the code: send-otp draws
          // it with generateRandomString(otpLength, "0-9") and stores "<code>:<attempts>" as a verification row
          // under "phone-number-otp-<number>"; verify reads that row, consumes it in a transaction (the latest row's
          // DELETE … RETURNING) and compares.
          // This hook (a documented better-auth option, not a patch) rewrites the code of that row to 123456 before
          // it is inserted, so every step of send and verify still runs as in production, random draw included;
          // only the digits stored differ. (The plugin's `verifyOTP` option would skip the stored code altogether.)
          async before(data) {
            if (typeof data.identifier === "string" && data.identifier.startsWith(OTP_IDENTIFIER_PREFIX)) {
              return { data: { ...data, value: String(data.value).replace(/^[0-9]+/, FIXED_CODE) } };
            }
          },
        },
      },
    },
    plugins: [
      phoneNumber({
        sendOTP: () => {}, // test mode: nothing is sent
        // A first verify creates the user, as sms-auth's first login does; the plugin needs an e-mail for it.
        signUpOnVerification: { getTempEmail: (number) => `${number.replace(/[^0-9]/g, "")}@phone.invalid` },
      }),
    ],
  });
}
