// Helpers of the browser tests: the real sms-auth binary on a free 127.0.0.1 port, Debian's Chromium through
// playwright-core, a console watcher, and screenshots under build/.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repository = path.resolve(here, '../..');

export const BINARY = process.env.SMS_AUTH_BIN || path.join(repository, 'build/debug/sms-auth');
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const SCREENSHOT_DIR = process.env.SMS_AUTH_SCREENSHOT_DIR || path.join(repository, 'build/browser-screenshots');
const TEST_JWT_SECRET = 'browser-tests-jwt-secret-4b8e1f0a7c3d5e9b2a6f';
const START_TIMEOUT_MS = 30000;
const STOP_TIMEOUT_MS = 30000;

// The flags the machine needs (stack notes): no sandbox as root, and no background traffic to Google's hosts,
// which this closed network refuses.
export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

export async function loadPlaywright() {
  try {
    return await import('playwright-core');
  } catch (error) {
    throw new Error(`playwright-core is not installed: run scripts/install-deps.sh test (${error.message})`);
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.unref();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

const running = new Set();

// Servers still running when the test process leaves (a crash in a test) are stopped by PID, never left behind.
process.on('exit', () => {
  for (const server of running) {
    try {
      process.kill(server.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

// One sms-auth process in test mode, in a temporary directory of its own (its SQLite file and log live there).
export async function startServer(env = {}) {
  const workdir = fs.mkdtempSync(path.join(os.tmpdir(), 'sms-auth-browser-'));
  const port = await freePort();
  const logPath = path.join(workdir, 'server.log');
  const logFd = fs.openSync(logPath, 'a');
  const child = spawn(BINARY, ['serve'], {
    cwd: workdir,
    env: {
      PATH: process.env.PATH || '/usr/bin:/bin',
      HOST: '127.0.0.1',
      PORT: String(port),
      DATABASE_URL: `sqlite:${path.join(workdir, 'sms-auth.db')}`,
      SMS_TEST_MODE: 'true',
      JWT_SECRET: TEST_JWT_SECRET,
      WORKER_THREADS: '2',
      ASAN_OPTIONS: 'detect_leaks=1:abort_on_error=0',
      ...env,
    },
    stdio: ['ignore', logFd, logFd],
  });
  fs.closeSync(logFd);
  let exited = null;
  const exit = new Promise((resolve) => child.on('exit', (code, signal) => resolve((exited = { code, signal }))));
  const server = {
    pid: child.pid,
    port,
    url: `http://127.0.0.1:${port}`,
    workdir,
    log: () => fs.readFileSync(logPath, 'utf8'),
    // Sends SIGTERM to the PID (SIGKILL if it hangs), then fails on a sanitizer report in the log.
    async stop() {
      if (!running.delete(server)) return;
      if (!exited) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
        await exit;
        clearTimeout(timer);
      }
      const log = server.log();
      if (log.includes('ERROR: AddressSanitizer') || log.includes('runtime error:')) {
        throw new Error(`sanitizer report in the server log:\n${log}`);
      }
      fs.rmSync(workdir, { recursive: true, force: true });
    },
    // The code of the last SMS the test-mode sender wrote to the log.
    lastCode() {
      const codes = [...server.log().matchAll(/\[MOBIZON\] Message: \D*(\d{6})/g)];
      if (codes.length === 0) throw new Error('no SMS in the server log');
      return codes[codes.length - 1][1];
    },
    smsCount: () => [...server.log().matchAll(/\[MOBIZON\] TEST MODE - SMS not sent/g)].length,
  };
  running.add(server);

  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (exited) throw new Error(`sms-auth exited (${JSON.stringify(exited)}):\n${server.log()}`);
    try {
      const response = await fetch(`${server.url}/healthz`);
      if (response.status === 200) return server;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await server.stop().catch(() => {});
  throw new Error(`sms-auth did not answer /healthz in ${START_TIMEOUT_MS} ms`);
}

// Whether this server has the session endpoints (docs/api.md, Sessions): without them refresh is a 404.
export async function hasSessionEndpoints(server) {
  const response = await fetch(`${server.url}/api/v1/auth/refresh`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ refresh_token: 'not-a-token' }),
  });
  return response.status !== 404;
}

// Collects what the page must never do: log a console error, throw an uncaught exception. A failed API call logs
// "Failed to load resource: … status of 401" by itself; such a line is accepted only for a `path status` the test
// expects (e.g. "/api/v1/sms-auth/verify-code 401" for a wrong code). Anything else (a CSP violation, a missing
// asset, a 5xx, a script error) is a problem.
export function watchPage(page, expectedFailures = []) {
  const allowed = new Set(expectedFailures);
  const problems = [];
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    const text = message.text();
    const failed = /^Failed to load resource: (?:the server responded with a status of (\d+)|(net::\w+))/.exec(text);
    if (failed && message.location().url) {
      const { pathname } = new URL(message.location().url);
      if (allowed.has(`${pathname} ${failed[1] || failed[2]}`)) return;
    }
    problems.push(`console error: ${text} at ${message.location().url || '?'}`);
  });
  page.on('pageerror', (error) => problems.push(`uncaught exception: ${error.stack || error}`));
  return {
    allow: (failure) => allowed.add(failure),
    problems,
  };
}

export async function screenshot(page, name) {
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}

// A phone-sized window (the page is for phones first) in the given language.
export function phoneContextOptions(locale) {
  return { locale, viewport: { width: 390, height: 760 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };
}
