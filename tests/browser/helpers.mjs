// Shared harness for Herald's real-browser tests: a Herald server on a free
// loopback port with a fresh cache, headless Chromium (Debian's, never a
// downloaded build), axe-core, and a static host-page server on another
// origin. Run with `node --test tests/browser/` (`npm test`).

import { spawn } from 'node:child_process';
import { mkdtemp, rm, readFile, mkdir } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const axe = require('axe-core');

export const BROWSER_DIR = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.resolve(BROWSER_DIR, '..', '..');
export const FIXTURES_DIR = path.join(BROWSER_DIR, 'fixtures');
export const ARTIFACTS_DIR = path.join(BROWSER_DIR, 'artifacts');
export const HERALD_BIN = path.resolve(REPO_ROOT, process.env.HERALD_BIN || 'target/debug/herald');
export const CHROMIUM_BIN = process.env.CHROMIUM_BIN || '/usr/bin/chromium';

/** Reads a file relative to the repository root. */
export function repoFile(relative) {
  return readFile(path.join(REPO_ROOT, relative), 'utf8');
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const stripAnsi = (s) => s.replace(/\x1b\[[0-9;]*m/g, '');

// Children still alive when the process exits (a crash, an uncaught error)
// are killed here, so no Herald outlives the test run.
const liveChildren = new Set();
function killChildren() {
  for (const child of liveChildren) {
    try { child.kill('SIGKILL'); } catch { /* already gone */ }
  }
}
process.on('exit', killChildren);
for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]]) {
  process.once(signal, () => { killChildren(); process.exit(code); });
}

/**
 * Starts `herald serve` on 127.0.0.1 with a port the kernel picks and a fresh
 * temporary cache directory; resolves once the listening line is logged and
 * `GET /healthz` answers 200. `args` are extra `herald serve` arguments
 * (e.g. `['--cors-origins', origin]`). Call `stop()` (in `after`) to end it.
 */
export async function startHerald({ workers, args: extraArgs = [], timeoutMs = 30_000 } = {}) {
  const dir = await mkdtemp(path.join(tmpdir(), 'herald-browser-'));
  const cacheDir = path.join(dir, 'cache');
  // Herald reads every HERALD_* variable as a setting and rejects unknown
  // ones (HERALD_BIN, HERALD_LOG...), so the child gets none of them.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('HERALD_')));
  env.NO_COLOR = '1';
  const args = ['serve', '--addr', '127.0.0.1:0', '--cache-dir', cacheDir];
  if (workers) args.push('--workers', String(workers));
  args.push(...extraArgs);
  // cwd is the temp dir, so a stray ./herald.toml cannot change the settings.
  const child = spawn(HERALD_BIN, args, { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  liveChildren.add(child);
  let log = '';
  child.stdout.on('data', (d) => { log += d; });
  child.stderr.on('data', (d) => { log += d; });
  const exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => { liveChildren.delete(child); resolve({ code, signal }); });
    // Not started at all (no binary at HERALD_BIN...): no 'exit' follows.
    child.once('error', (error) => { liveChildren.delete(child); resolve({ error: `${error.message} (HERALD_BIN=${HERALD_BIN})` }); });
  });
  let exitInfo = null;
  exited.then((info) => { exitInfo = info; });

  const stop = async () => {
    if (!exitInfo) {
      child.kill('SIGTERM');
      const done = await Promise.race([exited, sleep(5_000).then(() => null)]);
      if (!done) { child.kill('SIGKILL'); await exited; }
    }
    await rm(dir, { recursive: true, force: true });
  };

  try {
    const deadline = Date.now() + timeoutMs;
    let base = null;
    while (Date.now() < deadline) {
      if (exitInfo) throw new Error(`herald exited early (${JSON.stringify(exitInfo)}):\n${stripAnsi(log)}`);
      if (!base) {
        const m = /Herald is listening on (http:\/\/127\.0\.0\.1:\d+)\//.exec(stripAnsi(log));
        if (m) base = m[1];
      }
      if (base) {
        try {
          const res = await fetch(`${base}/healthz`);
          if (res.status === 200) {
            return { url: base, port: Number(new URL(base).port), cacheDir, child, log: () => stripAnsi(log), stop };
          }
        } catch { /* not accepting yet */ }
      }
      await sleep(100);
    }
    throw new Error(`herald was not ready within ${timeoutMs} ms:\n${stripAnsi(log)}`);
  } catch (error) {
    await stop();
    throw error;
  }
}

/** POST /v1/documents with a JSON body; returns the parsed 201 response. */
export async function createDocument(heraldUrl, body) {
  const res = await fetch(`${heraldUrl}/v1/documents`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(typeof body === 'string' ? { text: body } : body),
  });
  const text = await res.text();
  if (res.status !== 201) throw new Error(`POST /v1/documents answered ${res.status}: ${text}`);
  return JSON.parse(text);
}

/**
 * Starts Debian's Chromium headless with a throwaway profile. Returns
 * `{ context, newPage(), close() }`.
 */
export async function startBrowser() {
  const profile = await mkdtemp(path.join(tmpdir(), 'herald-chromium-'));
  let context;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_BIN,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--autoplay-policy=no-user-gesture-required'],
    });
  } catch (error) {
    await rm(profile, { recursive: true, force: true });
    throw error;
  }
  return {
    context,
    newPage: () => context.newPage(),
    close: async () => {
      await context.close().catch(() => {});
      await rm(profile, { recursive: true, force: true });
    },
  };
}

export const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

/** Injects axe-core into the page and returns its WCAG 2.x A/AA violations. */
export async function runAxe(page) {
  // Evaluated through DevTools rather than added as a <script>: Herald's
  // pages forbid inline scripts (Content-Security-Policy), and the check
  // must run on the page exactly as served.
  await page.evaluate(axe.source);
  return page.evaluate(
    (values) => window.axe.run(document, { runOnly: { type: 'tag', values }, resultTypes: ['violations'] }),
    AXE_TAGS,
  ).then((results) => results.violations);
}

/** Human-readable report of axe violations: rule, impact, help, each node. */
export function formatViolations(violations) {
  if (!violations.length) return 'no violations';
  return violations.map((v) => {
    const nodes = v.nodes.map((n) => {
      const why = (n.failureSummary || '').split('\n').map((l) => `        ${l}`).join('\n');
      return `    - ${n.target.join(' ')}\n      ${n.html}\n${why}`;
    }).join('\n');
    return `[${v.impact}] ${v.id}: ${v.help} (${v.tags.filter((t) => t.startsWith('wcag')).join(', ')})\n  ${v.helpUrl}\n${nodes}`;
  }).join('\n\n');
}

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * Serves `tests/browser/fixtures/` on another loopback port (so another
 * origin than Herald's). In `.html` files, `{{NAME}}` is replaced by
 * `vars.NAME` when it is set, read at request time, so a test can fill in
 * Herald's origin (a random port) after both servers are up. Returns
 * `{ url, port, vars, close() }`.
 */
export async function startStaticServer(root = FIXTURES_DIR, { vars = {} } = {}) {
  const server = createServer(async (req, res) => {
    try {
      const pathname = decodeURIComponent(new URL(req.url, 'http://x').pathname);
      const file = path.resolve(root, `.${pathname.endsWith('/') ? `${pathname}index.html` : pathname}`);
      if (file !== root && !file.startsWith(root + path.sep)) { res.writeHead(403).end(); return; }
      let body = await readFile(file);
      if (path.extname(file) === '.html') {
        body = body.toString('utf8').replace(/\{\{([A-Z_]+)\}\}/g, (all, name) => (vars[name] !== undefined ? String(vars[name]) : all));
      }
      res.writeHead(200, { 'content-type': MIME[path.extname(file)] || 'application/octet-stream', 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : body);
    } catch {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    }
  });
  await new Promise((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    vars,
    close: () => new Promise((resolve) => { server.closeAllConnections?.(); server.close(() => resolve()); }),
  };
}

/** Creates tests/browser/artifacts/ and returns the path of a file in it. */
export async function artifactPath(name) {
  await mkdir(ARTIFACTS_DIR, { recursive: true });
  return path.join(ARTIFACTS_DIR, name);
}
