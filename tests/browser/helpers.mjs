// Shared harness for Herald's real-browser tests: a Herald server on a free
// loopback port with a fresh cache, headless Chromium (Debian's, never a
// downloaded build), axe-core, a static host-page server on another
// origin, and Ace by DAISY for talking books (EPUB). Run with
// `node --test tests/browser/` (`npm test`).

import { spawn } from 'node:child_process';
import { mkdtemp, rm, readFile, mkdir } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const axe = require('axe-core');

export const BROWSER_DIR = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.resolve(BROWSER_DIR, '..', '..');
export const FIXTURES_DIR = path.join(BROWSER_DIR, 'fixtures');
export const ARTIFACTS_DIR = path.join(BROWSER_DIR, 'artifacts');
export const HERALD_BIN = path.resolve(REPO_ROOT, process.env.HERALD_BIN || 'target/debug/herald');
export const CHROMIUM_BIN = process.env.CHROMIUM_BIN || '/usr/bin/chromium';
/** Where ./scripts/setup.sh installs ONNX Runtime and the Piper voices. */
export const NEURAL_DIR = path.join(REPO_ROOT, '.neural');

/** Reads a file relative to the repository root. */
export function repoFile(relative) {
  return readFile(path.join(REPO_ROOT, relative), 'utf8');
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const stripAnsi = (s) => s.replace(/\x1b\[[0-9;]*m/g, '');

// Children still alive when the process exits (a crash, an uncaught error)
// are killed here, so no Herald outlives the test run.
// Those from runCommand lead their own process group, which goes with them.
const liveChildren = new Set();
const groupLeaders = new WeakSet();
function killChildren() {
  for (const child of liveChildren) {
    try {
      if (groupLeaders.has(child)) process.kill(-child.pid, 'SIGKILL');
      else child.kill('SIGKILL');
    } catch { /* already gone */ }
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
 * (e.g. `['--cors-origins', origin]`). By default the child runs in a temp
 * dir, so it finds no neural voices (espeak-ng only); `neural: true` sets
 * `HERALD_NEURAL_DIRS=["<repo>/.neural"]` (NEURAL_DIR) so it uses the Piper
 * voices installed by ./scripts/setup.sh, if any. Call `stop()` (in `after`)
 * to end it.
 */
export async function startHerald({ workers, args: extraArgs = [], neural = false, timeoutMs = 30_000 } = {}) {
  const dir = await mkdtemp(path.join(tmpdir(), 'herald-browser-'));
  const cacheDir = path.join(dir, 'cache');
  // Herald reads HERALD_* variables as settings: the child gets none of the
  // test runner's (HERALD_BIN...), only those set here.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('HERALD_')));
  env.NO_COLOR = '1';
  // A figment array; JSON string syntax is what figment parses here.
  if (neural) env.HERALD_NEURAL_DIRS = JSON.stringify([NEURAL_DIR]);
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
          const res = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(2_000) });
          if (res.status === 200) {
            return { url: base, port: Number(new URL(base).port), cacheDir, child, log: () => stripAnsi(log), stop };
          }
        } catch { /* not accepting yet, or not answering yet */ }
      }
      await sleep(100);
    }
    throw new Error(`herald was not ready within ${timeoutMs} ms:\n${stripAnsi(log)}`);
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * Runs `command args` to its end in its own process group, with stdin
 * closed; after `timeoutMs` the group gets SIGTERM, then SIGKILL 5 s later.
 * Resolves `{ code, signal, timedOut, stdout, stderr, output }` (`output`:
 * the command line and both, ANSI colours stripped, for messages); rejects
 * only when it cannot start (no such binary...).
 */
export function runCommand(command, args, { cwd, env, timeoutMs = 60_000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    liveChildren.add(child);
    groupLeaders.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const signalGroup = (signal) => { try { process.kill(-child.pid, signal); } catch { /* gone */ } };
    let timedOut = false;
    let killTimer;
    const timer = setTimeout(() => {
      timedOut = true;
      signalGroup('SIGTERM');
      killTimer = setTimeout(() => signalGroup('SIGKILL'), 5_000);
    }, timeoutMs);
    const settle = () => { clearTimeout(timer); clearTimeout(killTimer); liveChildren.delete(child); };
    child.once('error', (error) => { settle(); reject(new Error(`${command} ${args.join(' ')}: ${error.message}`)); });
    child.once('exit', (code, signal) => {
      // Give the pipes a moment to drain, but not forever (a grandchild may hold them).
      let finished = false;
      const done = () => {
        if (finished) return;
        finished = true;
        settle();
        const [out, err] = [stripAnsi(stdout), stripAnsi(stderr)];
        resolve({ code, signal, timedOut, stdout: out, stderr: err, output: `$ ${command} ${args.join(' ')}\n${out}${err}` });
      };
      const drained = setTimeout(done, 2_000);
      child.once('close', () => { clearTimeout(drained); done(); });
    });
  });
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
 * Starts Debian's Chromium headless with a throwaway profile, with extra
 * command-line `args` and environment `env` if given. Returns
 * `{ context, newPage(), close() }`.
 */
export async function startBrowser({ args = [], env } = {}) {
  const profile = await mkdtemp(path.join(tmpdir(), 'herald-chromium-'));
  let context;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_BIN,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--autoplay-policy=no-user-gesture-required', ...args],
      ...(env ? { env } : {}),
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

/** Fails with the formatted report unless `violations` is empty. */
export function assertNoViolations(violations, where) {
  assert.equal(violations.length, 0, `axe violations on ${where}:\n${formatViolations(violations)}`);
}

// --- Ace by DAISY, the EPUB accessibility checker ---------------------------

/**
 * Checks `epub` with Ace by DAISY (the `ace` CLI of `@daisy/ace-cli`), whose
 * reports go to `outdir` (replaced); resolves the parsed `report.json`. Ace
 * drives Chromium through Puppeteer: PUPPETEER_EXECUTABLE_PATH points it at
 * Debian's (CHROMIUM_BIN unless already set), since Puppeteer's own download
 * is skipped at install (PUPPETEER_SKIP_DOWNLOAD). Ace's config and logs
 * (XDG directories) go to a temporary directory, so no user setting of Ace's
 * applies and nothing is left in $HOME.
 */
export async function runAce(epub, outdir, { timeoutMs = 120_000 } = {}) {
  const home = await mkdtemp(path.join(tmpdir(), 'herald-ace-'));
  try {
    const env = {
      ...process.env,
      PUPPETEER_EXECUTABLE_PATH: process.env.PUPPETEER_EXECUTABLE_PATH || CHROMIUM_BIN,
      XDG_CONFIG_HOME: path.join(home, 'config'),
      XDG_STATE_HOME: path.join(home, 'state'),
      XDG_DATA_HOME: path.join(home, 'data'),
      XDG_CACHE_HOME: path.join(home, 'cache'),
      NO_COLOR: '1',
    };
    // --timeout is Ace's own limit for each content document, below ours.
    const perDocument = Math.max(10_000, Math.floor(timeoutMs / 2));
    // Resolved here, not at load: the other tests do not need Ace installed.
    const aceCli = require.resolve('@daisy/ace-cli/bin/ace.js');
    const run = await runCommand(process.execPath, [aceCli, '--outdir', outdir, '--force', '--timeout', String(perDocument), epub], { cwd: home, env, timeoutMs });
    assert.ok(!run.timedOut, `Ace did not finish within ${timeoutMs} ms:\n${run.output}`);
    assert.equal(run.code, 0, `Ace failed on ${epub}:\n${run.output}`);
    return JSON.parse(await readFile(path.join(outdir, 'report.json'), 'utf8'));
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

/**
 * Every violation in an Ace report, one per node: `{ file, rule, impact,
 * description, html, css }`. `file` is the assertion's test subject as Ace
 * names it (the package document, a content document's path relative to
 * it, or the navigation document with a leading slash for the reading-order
 * check).
 */
export function aceViolations(report) {
  const out = [];
  for (const doc of report.assertions || []) {
    for (const a of doc.assertions || []) {
      const result = a['earl:result'] || {};
      if (result['earl:outcome'] !== 'fail') continue;
      const test = a['earl:test'] || {};
      const pointer = result['earl:pointer'] || {};
      out.push({
        file: doc['earl:testSubject']?.url,
        rule: test['dct:title'],
        impact: test['earl:impact'],
        description: result['dct:description'] || test['dct:description'] || '',
        html: result.html || '',
        css: [].concat(pointer.css || []).join(' '),
      });
    }
  }
  return out;
}

/** Human-readable list of Ace violations (from `aceViolations`). */
export function formatAceViolations(violations) {
  if (!violations.length) return 'no violations';
  return violations.map((v) => `[${v.impact}] ${v.rule} in ${v.file}${v.css ? ` at ${v.css}` : ''}: ${v.description}${v.html ? `\n    ${v.html}` : ''}`).join('\n');
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

// --- The reading page's player (player.js) ---------------------------------

// Before any page script: record media errors (they do not bubble, so
// capture) and every seek target (currentTime at `seeking` is the target).
function installPlayerProbes() {
  const probe = { errors: [], seeks: [] };
  Object.defineProperty(window, '__heraldProbe', { value: probe, enumerable: false });
  document.addEventListener('error', (event) => {
    const t = event.target;
    if (t instanceof HTMLMediaElement) probe.errors.push(`${t.id || t.currentSrc}: ${t.error ? `MediaError ${t.error.code} ${t.error.message}` : 'error event'}`);
  }, true);
  document.addEventListener('seeking', (event) => {
    if (event.target.id === 'player') probe.seeks.push(event.target.currentTime);
  }, true);
  // Seconds heard in all, across the paragraphs #player plays one after another.
  probe.played = 0;
  let last = 0;
  document.addEventListener('timeupdate', (event) => {
    if (event.target.id !== 'player') return;
    const now = event.target.currentTime;
    const step = now - last;
    if (step > 0 && step < 1.5) probe.played += step;
    last = now;
  }, true);
}

/**
 * Opens a reading page (`/d/{id}`) in `browser` (from `startBrowser()`) with
 * probes for media errors and seeks, records the audio requests and Herald's
 * answers, and waits until player.js has set up the page. Returns
 * `{ page, audioTraffic }`.
 */
export async function openPlayer(browser, url) {
  const page = await browser.newPage();
  const audioTraffic = [];
  page.on('request', (r) => {
    if (/\/audio\.(wav|mp3)/.test(r.url())) audioTraffic.push({ request: `${r.method()} ${r.url()}`, headers: r.headers() });
  });
  page.on('response', async (r) => {
    if (!/\/audio\.(wav|mp3)/.test(r.url())) return;
    const entry = { response: `${r.status()} ${r.url()}`, headers: await r.allHeaders().catch(() => ({})) };
    audioTraffic.push(entry);
  });
  await page.addInitScript(installPlayerProbes);
  const res = await page.goto(url, { waitUntil: 'load' });
  assert.equal(res.status(), 200, `GET ${url}`);
  await page.waitForSelector('#player-controls:not([hidden])', { timeout: 10_000 });
  await page.waitForSelector('article.has-player', { timeout: 20_000 });
  return { page, audioTraffic };
}

/** #player's state, the probes' records, the highlighted paragraph and word. */
export const playerState = (page) => page.evaluate(() => {
  const a = document.getElementById('player');
  const ranges = (r) => Array.from({ length: r.length }, (_, i) => [r.start(i), r.end(i)]);
  return {
    currentTime: a.currentTime,
    duration: a.duration,
    paused: a.paused,
    ended: a.ended,
    playbackRate: a.playbackRate,
    readyState: a.readyState,
    networkState: a.networkState,
    src: a.currentSrc,
    // The paragraph the player's audio holds (its source may be a stream
    // fed through Media Source Extensions, whose URL does not say).
    paragraph: a.dataset.paragraph ?? null,
    seekable: ranges(a.seekable),
    buffered: ranges(a.buffered),
    errors: window.__heraldProbe.errors,
    seeks: window.__heraldProbe.seeks,
    played: window.__heraldProbe.played,
    reading: document.querySelector('.reading')?.id ?? null,
    word: document.querySelector('span.w.current')?.textContent ?? null,
    announcer: document.getElementById('announcer').textContent,
  };
});

/** The player's Play/Pause button. */
export const playButton = (page) => page.locator('#player-controls').getByRole('button', { name: /^(Play|Pause)$/ });

/**
 * Presses Play and waits until `past` seconds have been heard (across
 * paragraphs);
 * fails on a media error. Returns `playerState(page)`.
 */
export async function playUntil(page, past = 0.5, timeout = 30_000) {
  await playButton(page).click();
  await page.waitForFunction((past) => {
    const a = document.getElementById('player');
    return (!a.paused && window.__heraldProbe.played > past) || window.__heraldProbe.errors.length > 0;
  }, past, { timeout });
  const state = await playerState(page);
  assert.deepEqual(state.errors, [], `media error while playing: ${JSON.stringify(state)}`);
  return state;
}

/**
 * From now on, samples the highlight every 25 ms: distinct consecutive
 * elements (`{ i, text | id, at }`: position in document order, currentTime
 * when first seen) and the largest number highlighted at once. Read it with
 * `highlights(page)`; check it with `assertHighlightMovesForward`.
 */
export function recordHighlights(page) {
  return page.evaluate(() => {
    const words = [...document.querySelectorAll('span.w')];
    const paras = [...document.querySelectorAll('.para, h1')];
    const audio = document.getElementById('player');
    const rec = { words: [], paras: [], maxWords: 0, maxParas: 0, stray: [], totalWords: words.length, totalParas: paras.length };
    Object.defineProperty(window, '__heraldRec', { value: rec, enumerable: false });
    let lastWord = null;
    let lastPara = null;
    setInterval(() => {
      const cw = document.querySelectorAll('span.w.current');
      const cp = document.querySelectorAll('.reading');
      rec.maxWords = Math.max(rec.maxWords, cw.length);
      rec.maxParas = Math.max(rec.maxParas, cp.length);
      for (const e of cp) if (!e.matches('.para, h1')) rec.stray.push(e.outerHTML.slice(0, 80));
      if (cw[0] && cw[0] !== lastWord) { lastWord = cw[0]; rec.words.push({ i: words.indexOf(cw[0]), text: cw[0].textContent, at: audio.currentTime }); }
      if (cp[0] && cp[0] !== lastPara) { lastPara = cp[0]; rec.paras.push({ i: paras.indexOf(cp[0]), id: cp[0].id, at: audio.currentTime }); }
    }, 25);
  });
}

/** What `recordHighlights` has recorded so far. */
export const highlights = (page) => page.evaluate(() => window.__heraldRec);

/**
 * Waits until `recordHighlights` has seen `words` words and `paras`
 * paragraphs; resolves false on timeout (the assertions that follow say why).
 */
export function waitForHighlights(page, { words = 4, paras = 2, timeout = 20_000 } = {}) {
  return page.waitForFunction(
    ({ words, paras }) => window.__heraldRec.words.length >= words && window.__heraldRec.paras.length >= paras,
    { words, paras },
    { timeout },
  ).then(() => true, () => false);
}

/**
 * Asserts the recorded highlight changed (≥ `minWords` words, ≥ `minParas`
 * paragraphs), only moved forward, lit one word and one paragraph at a
 * time, and only paragraphs and the title. `context` goes into messages.
 */
export function assertHighlightMovesForward(rec, { minWords = 4, minParas = 2, context = '' } = {}) {
  assert.ok(rec.words.length >= minWords, `the highlighted word changed ${rec.words.length - 1} times (want ≥ ${minWords - 1}): ${JSON.stringify(rec.words)}; ${context}`);
  assert.ok(rec.paras.length >= minParas, `the .reading paragraph changed ${rec.paras.length - 1} times (want ≥ ${minParas - 1}): ${JSON.stringify(rec.paras)}; ${context}`);
  const wi = rec.words.map((w) => w.i);
  assert.ok(wi.every((i, k) => i >= 0 && (k === 0 || i > wi[k - 1])), `the highlighted word moved backwards or off the page: ${JSON.stringify(rec.words)}`);
  const pi = rec.paras.map((p) => p.i);
  assert.ok(pi.every((i, k) => i >= 0 && (k === 0 || i > pi[k - 1])), `the .reading paragraph moved backwards: ${JSON.stringify(rec.paras)}`);
  assert.equal(rec.maxWords, 1, 'at most one word highlighted at a time');
  assert.equal(rec.maxParas, 1, 'at most one paragraph highlighted at a time');
  assert.deepEqual(rec.stray, [], '.reading only on paragraphs and the title');
}

/** Creates tests/browser/artifacts/ and returns the path of a file in it. */
export async function artifactPath(name) {
  await mkdir(ARTIFACTS_DIR, { recursive: true });
  return path.join(ARTIFACTS_DIR, name);
}
