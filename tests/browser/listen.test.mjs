// The Listen button (GET /embed.js) on host pages served from other origins,
// in headless Chromium: its name in the page's language, accessibility,
// playback with highlighting of the host's elements, stopping (which ends
// Herald's render at once), loading the script twice, leaving the host's
// styles alone, and the CORS allow-list (`herald serve --cors-origins`).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  assertNoViolations, repoFile, startHerald, startBrowser, startStaticServer, runAxe,
} from './helpers.mjs';

let herald;
let browser;
let allowed; // static host server whose origin is on Herald's allow-list
let other; // the same pages from an origin that is not

before(async () => {
  allowed = await startStaticServer();
  other = await startStaticServer();
  herald = await startHerald({ args: ['--cors-origins', allowed.url] });
  allowed.vars.HERALD = herald.url;
  other.vars.HERALD = herald.url;
  browser = await startBrowser();
});

after(async () => {
  await browser?.close();
  await allowed?.close();
  await other?.close();
  await herald?.stop();
});

// Before any page script: the global names the page starts with, and every
// media element that is played (the Listen button's Audio() is in no tree),
// kept under a symbol so that Object.keys(window) does not change.
function hostProbe() {
  const probe = { keys: Object.keys(window), media: [], errors: [] };
  Object.defineProperty(window, Symbol.for('herald-test-probe'), { value: probe });
  const play = HTMLMediaElement.prototype.play;
  HTMLMediaElement.prototype.play = function playSpy(...args) {
    if (!probe.media.includes(this)) {
      probe.media.push(this);
      this.addEventListener('error', () => probe.errors.push(this.error ? `MediaError ${this.error.code}: ${this.error.message}` : 'error event'));
    }
    return play.apply(this, args);
  };
}

// Opens a host page with the probe, recording Herald's answers twice: as
// Playwright responses, and from the DevTools protocol, which also reports
// CORS preflights (Playwright does not).
async function openHost(server, file, { blockEmbed = false } = {}) {
  const page = await browser.newPage();
  const responses = [];
  const wire = [];
  page.on('response', (r) => {
    if (r.url().startsWith(herald.url)) responses.push({ method: r.request().method(), url: r.url(), status: r.status(), contentType: r.headers()['content-type'] || '' });
  });
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  const sent = new Map();
  cdp.on('Network.requestWillBeSent', (e) => sent.set(e.requestId, e.request.method));
  cdp.on('Network.responseReceived', (e) => {
    if (e.response.url.startsWith(herald.url)) {
      const header = (name) => Object.entries(e.response.headers).find(([k]) => k.toLowerCase() === name)?.[1] ?? null;
      wire.push({ type: e.type, method: e.type === 'Preflight' ? 'OPTIONS' : sent.get(e.requestId), url: e.response.url, status: e.response.status, contentType: header('content-type'), acao: header('access-control-allow-origin'), requestId: e.requestId });
    }
  });
  // Headers as received (responseReceived filters those of opaque responses).
  const raw = new Map();
  cdp.on('Network.responseReceivedExtraInfo', (e) => raw.set(e.requestId, Object.fromEntries(Object.entries(e.headers).map(([k, v]) => [k.toLowerCase(), v]))));
  cdp.on('Network.loadingFailed', (e) => {
    if (e.corsErrorStatus) wire.push({ type: e.type, failed: e.errorText, cors: e.corsErrorStatus.corsError });
  });
  if (blockEmbed) await page.route(/\/embed\.js/, (route) => route.abort());
  await page.addInitScript(hostProbe);
  const res = await page.goto(`${server.url}/${file}`, { waitUntil: 'load' });
  assert.equal(res.status(), 200, `GET ${server.url}/${file}`);
  if (!blockEmbed) await page.waitForFunction(() => document.querySelector('[data-herald-listen]')?.shadowRoot?.querySelector('button'), null, { timeout: 10_000 });
  return { page, responses, wire, raw };
}

const widget = (page, n = 0) => page.locator('[data-herald-listen]').nth(n);

// What the first widget and its audio are doing.
const listenState = (page) => page.evaluate(() => {
  const probe = window[Symbol.for('herald-test-probe')];
  const media = probe.media.at(-1);
  const root = document.querySelector('[data-herald-listen]').shadowRoot;
  // Text a sighted user sees: rendered, not visually hidden (1×1 px, clipped).
  const seen = (e) => {
    const r = e.getBoundingClientRect();
    return e.checkVisibility({ opacityProperty: true, visibilityProperty: true }) && r.width > 1 && r.height > 1;
  };
  const visible = [...root.querySelectorAll('*')].filter((e) => e.children.length === 0 && seen(e)).map((e) => e.textContent.trim()).filter(Boolean);
  return {
    media: media ? { currentTime: media.currentTime, paused: media.paused, src: media.currentSrc, inDocument: media.isConnected } : null,
    errors: probe.errors,
    visibleText: visible,
    live: [...root.querySelectorAll('[role=status]')].map((e) => e.textContent),
    reading: [...document.querySelectorAll('[data-herald-reading]')].map((e) => `${e.tagName.toLowerCase()} "${e.textContent.trim().slice(0, 40)}" style="${e.getAttribute('style')}"`),
    focus: document.activeElement === root.host ? `widget ${root.activeElement?.tagName.toLowerCase()} "${root.activeElement?.textContent}"` : document.activeElement.tagName.toLowerCase(),
  };
});

// Clicks Listen and waits until its audio has played past `past` seconds.
async function clickListenAndPlay(page, past = 1) {
  await widget(page).getByRole('button', { name: 'Listen', exact: true }).click();
  await page.waitForFunction((past) => {
    const probe = window[Symbol.for('herald-test-probe')];
    const m = probe.media.at(-1);
    return probe.errors.length || (m && !m.paused && m.currentTime > past);
  }, past, { timeout: 60_000 });
  const state = await listenState(page);
  assert.deepEqual(state.errors, [], `audio error: ${JSON.stringify(state)}`);
  return state;
}

// Samples the highlighted host element for `ms` (or until `until` distinct
// ones were seen): distinct consecutive elements by document order, and the
// most highlighted at once.
function sampleHighlight(page, { ms, until = Infinity }) {
  return page.evaluate(({ ms, until }) => new Promise((resolve) => {
    const all = [...document.querySelectorAll('*')];
    const seen = [];
    let most = 0;
    const started = performance.now();
    const timer = setInterval(() => {
      const lit = document.querySelectorAll('[data-herald-reading]');
      most = Math.max(most, lit.length);
      if (lit[0] && seen.at(-1)?.el !== lit[0]) seen.push({ el: lit[0], i: all.indexOf(lit[0]), what: `${lit[0].tagName.toLowerCase()} "${lit[0].textContent.trim().slice(0, 30)}"` });
      if (seen.length >= until || performance.now() - started > ms) {
        clearInterval(timer);
        resolve({ seen: seen.map(({ i, what }) => ({ i, what })), most });
      }
    }, 25);
  }), { ms, until });
}

test('the Listen button is a real button named "Listen" on an English page', async () => {
  const { page } = await openHost(allowed, 'host.html');
  try {
    const buttons = page.getByRole('button', { name: 'Listen', exact: true });
    assert.equal(await buttons.count(), 1, 'one button named "Listen" on the page');
    const inShadow = await page.evaluate(() => {
      const root = document.querySelector('[data-herald-listen]').shadowRoot;
      const b = root?.querySelector('button');
      return b ? { tag: b.tagName, type: b.type, text: b.textContent, disabled: b.disabled, visible: b.checkVisibility() } : null;
    });
    assert.deepEqual(inShadow, { tag: 'BUTTON', type: 'button', text: 'Listen', disabled: false, visible: true });
  } finally {
    await page.close();
  }
});

test('on a French page (<html lang="fr">) the button is named "Écouter"', async () => {
  const { page } = await openHost(allowed, 'host-fr.html');
  try {
    assert.equal(await page.getByRole('button', { name: 'Écouter', exact: true }).count(), 1, `buttons: ${await page.getByRole('button').allTextContents()}`);
    assert.equal(await page.getByRole('button', { name: 'Listen', exact: true }).count(), 0);
  } finally {
    await page.close();
  }
});

test('no axe violations on the host page with the Listen button, idle and playing', async () => {
  const { page } = await openHost(allowed, 'host.html');
  try {
    assertNoViolations(await runAxe(page), 'host page with the Listen button');
    await clickListenAndPlay(page, 0.5);
    await page.waitForSelector('[data-herald-reading]', { timeout: 10_000 });
    await widget(page).getByRole('button', { name: 'Stop', exact: true }).waitFor({ timeout: 5_000 });
    assertNoViolations(await runAxe(page), `host page while the Listen button plays (${JSON.stringify(await listenState(page))})`);
  } finally {
    await page.close();
  }
});

test('clicking Listen sends the article as HTML, plays it, and highlights the host elements in document order', async (t) => {
  const { page, responses } = await openHost(allowed, 'host.html');
  try {
    const posted = page.waitForRequest((r) => r.url() === `${herald.url}/v1/documents` && r.method() === 'POST');
    const state = await clickListenAndPlay(page, 0.5);
    const request = await posted;
    assert.match(request.headers()['content-type'], /^text\/html/);
    assert.match(request.postData(), /Harbour ferry returns after winter repairs/);
    assert.match(request.postData(), /<p lang="fr">Les visiteurs francophones/, 'the French paragraph keeps its lang');
    assert.ok(responses.some((r) => r.method === 'POST' && r.url === `${herald.url}/v1/documents` && r.status === 201), `Herald's answers: ${JSON.stringify(responses)}`);
    assert.equal(state.media.inDocument, false, 'the audio is a hidden Audio(), not in the page');
    assert.match(state.media.src, /\/v1\/documents\/[0-9a-f]+\/audio\.wav$/);

    const before = state.media.currentTime;
    const { seen, most } = await sampleHighlight(page, { ms: 30_000, until: 3 });
    const after = await listenState(page);
    t.diagnostic(`highlighted: ${seen.map((s) => s.what).join(' → ')}; currentTime ${before.toFixed(2)} → ${after.media.currentTime.toFixed(2)}`);
    assert.ok(after.media.currentTime > before, `currentTime did not advance: ${JSON.stringify(after)}`);
    assert.ok(seen.length >= 3, `the highlight changed ${Math.max(0, seen.length - 1)} times in 30 s (want ≥ 2): ${JSON.stringify(seen)}; ${JSON.stringify(after)}`);
    const order = seen.map((s) => s.i);
    assert.deepEqual(order, [...order].sort((a, b) => a - b), `the highlight moved backwards: ${JSON.stringify(seen)}`);
    assert.equal(new Set(order).size, order.length, `an element was highlighted twice: ${JSON.stringify(seen)}`);
    assert.equal(most, 1, 'one host element highlighted at a time');
    const inArticle = await page.evaluate(() => [...document.querySelectorAll('[data-herald-reading]')].every((e) => e.closest('article')));
    assert.ok(inArticle, 'the highlight stays inside the target article');
    // Progress is shown and announced.
    assert.ok(after.visibleText.some((s) => /^Paragraph \d+ of \d+$/.test(s)), `no visible progress: ${JSON.stringify(after.visibleText)}`);
  } finally {
    await page.close();
  }
});

// Stops with `how` after playback started and checks that nothing plays and
// the host page is as it was: no highlight, no inline styles left behind.
async function assertStopClears(how) {
  const { page } = await openHost(allowed, 'host.html');
  try {
    // Inline style (an empty attribute counts as none) and the colours seen.
    const styles = () => page.evaluate(() => [...document.querySelectorAll('article *')].map((e) => {
      const cs = getComputedStyle(e);
      return `${e.tagName.toLowerCase()} style="${e.getAttribute('style') || ''}" background ${cs.backgroundColor} color ${cs.color}`;
    }));
    const original = await styles();
    await clickListenAndPlay(page, 0.5);
    await page.waitForSelector('[data-herald-reading]', { timeout: 10_000 });
    // Highlight the second element at least, so a stop that re-highlights the first shows.
    await page.waitForFunction(() => window[Symbol.for('herald-test-probe')].media.at(-1).currentTime > 3, null, { timeout: 20_000 });
    await how(page);
    await page.waitForFunction(() => [...document.querySelector('[data-herald-listen]').shadowRoot.querySelectorAll('[role=status]')].some((e) => e.textContent === 'Stopped'), null, { timeout: 5_000 });
    // The stop must hold: sample for a while for anything re-highlighted.
    const { seen } = await sampleHighlight(page, { ms: 1_000 });
    const state = await listenState(page);
    assert.equal(state.media.paused, true, `still playing: ${JSON.stringify(state)}`);
    assert.deepEqual(seen, [], `an element is highlighted after stopping: ${JSON.stringify(state)}`);
    assert.deepEqual(await styles(), original, 'inline styles of the host page are not restored after stopping');
    assert.equal(await widget(page).getByRole('button', { name: 'Listen', exact: true }).count(), 1, `the button is not back to "Listen": ${JSON.stringify(state)}`);
    assert.ok(!state.visibleText.some((s) => /^Paragraph \d+ of \d+$/.test(s)), `progress still shown after stopping: ${JSON.stringify(state.visibleText)}`);
  } finally {
    await page.close();
  }
}

test('the Stop button stops playback and clears the highlight', async () => {
  await assertStopClears(async (page) => {
    await widget(page).getByRole('button', { name: 'Stop', exact: true }).click();
  });
});

test('Escape (focus in the Listen widget) stops playback and clears the highlight', async () => {
  await assertStopClears(async (page) => {
    await widget(page).getByRole('button', { name: 'Pause', exact: true }).focus();
    await page.keyboard.press('Escape');
  });
});

test('Stop ends the render at once: Herald stops synthesizing what nobody will hear', async () => {
  const text = await repoFile('tests/fixtures/nato-japan-joint-statement-2023-04-04.txt');
  const escape = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  // Ten readings of the statement, each sentence marked with its reading so
  // that none comes from the cache: espeak-ng can synthesize the statement
  // once in less time than the page takes to start playing.
  const paragraphs = text.split(/\n\s*\n/).map((p) => p.trim()).filter(Boolean);
  const readings = Array.from({ length: 10 }, (_, k) => paragraphs.map((p) => p.replace(/([.!?])(\s|$)/g, ` in reading ${k + 1}$1$2`)));
  allowed.vars.STATEMENT = readings.flat().map((p) => `<p>${escape(p)}</p>`).join('\n');
  const { page } = await openHost(allowed, 'host-statement.html');
  try {
    const state = await clickListenAndPlay(page, 0.1);
    const id = state.media.src.match(/\/v1\/documents\/([0-9a-f]+)\//)[1];
    const progress = async () => (await fetch(`${herald.url}/v1/documents/${id}/progress`)).json();
    await widget(page).getByRole('button', { name: 'Stop', exact: true }).click();
    const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
    let stopped = await progress();
    for (let i = 0; i < 100 && stopped.renders_in_progress > 0; i++) {
      await sleep(50);
      stopped = await progress();
    }
    assert.equal(stopped.renders_in_progress, 0, `the render went on after Stop: ${JSON.stringify(stopped)}`);
    assert.ok(stopped.synthesized < stopped.sentences, `the whole statement was synthesized before Stop: ${JSON.stringify(stopped)}`);
    // Sentences finished just before the stop are still being stored; after
    // that, nothing more is synthesized.
    await sleep(300);
    const settled = await progress();
    await sleep(1_000);
    const later = await progress();
    assert.equal(later.synthesized, settled.synthesized, `synthesis went on after Stop: ${JSON.stringify({ settled, later })}`);
  } finally {
    await page.close();
  }
});

test('activating Listen from the keyboard keeps focus on the widget', async () => {
  const { page } = await openHost(allowed, 'host.html');
  try {
    let reached = false;
    for (let i = 0; i < 20 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = await page.evaluate(() => document.activeElement?.matches('[data-herald-listen]') && document.activeElement.shadowRoot.activeElement?.textContent === 'Listen');
    }
    assert.ok(reached, 'Tab reaches the Listen button');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => window[Symbol.for('herald-test-probe')].media.at(-1)?.currentTime > 0.5, null, { timeout: 60_000 });
    const state = await listenState(page);
    assert.match(state.focus, /^widget button/, `after Enter on Listen and while loading, focus went to ${state.focus}; it must stay on the widget's button (${JSON.stringify(state)})`);
  } finally {
    await page.close();
  }
});

test('embed.js loaded twice (and once more later): one button per container, HeraldListen the only new global', async () => {
  const { page } = await openHost(allowed, 'host-twice.html');
  try {
    await page.waitForFunction(() => [...document.querySelectorAll('[data-herald-listen]')].every((h) => h.shadowRoot?.querySelector('button')), null, { timeout: 10_000 });
    await page.addScriptTag({ url: `${herald.url}/embed.js` });
    await page.waitForFunction(() => document.querySelectorAll('script[src$="/embed.js"]').length === 3);
    const containers = await page.locator('[data-herald-listen]').count();
    assert.equal(containers, 2);
    for (let n = 0; n < containers; n++) {
      assert.equal(await widget(page, n).getByRole('button', { name: 'Listen', exact: true }).count(), 1, `container ${n} has one Listen button`);
    }
    assert.equal(await page.getByRole('button', { name: 'Listen', exact: true }).count(), 2);
    const globals = await page.evaluate(() => {
      const before = new Set(window[Symbol.for('herald-test-probe')].keys);
      const now = Object.keys(window);
      return {
        added: now.filter((k) => !before.has(k)),
        removed: [...before].filter((k) => !now.includes(k)),
        api: typeof window.HeraldListen?.init,
        frozen: Object.isFrozen(window.HeraldListen),
      };
    });
    assert.deepEqual(globals, { added: ['HeraldListen'], removed: [], api: 'function', frozen: true });
  } finally {
    await page.close();
  }
});

test('the host page\'s own styles are unchanged by the script', async () => {
  // Computed styles of the host's elements, without and with embed.js.
  const SELECTORS = ['html', 'body', '.site', '.logo', 'nav a', '.subscribe', 'main', 'article', '.kicker', 'h1', '.byline',
    'article > p:not(.kicker):not(.byline)', 'blockquote', 'p[lang=fr]', 'footer', 'footer a'];
  // Sizes and what follows from them change with the inserted button; all else must not.
  const SIZE = new Set(['height', 'block-size', 'width', 'inline-size', 'perspective-origin', 'transform-origin']);
  const snapshot = (page) => page.evaluate(({ selectors, size }) => {
    const out = {};
    for (const selector of selectors) {
      const e = document.querySelector(selector);
      if (!e) { out[selector] = 'missing'; continue; }
      const cs = getComputedStyle(e);
      const props = {};
      for (const name of cs) if (!size.includes(name)) props[name] = cs.getPropertyValue(name);
      out[selector] = props;
    }
    out['(sheets)'] = { styleSheets: document.styleSheets.length, adopted: document.adoptedStyleSheets.length, styleElements: document.querySelectorAll('style, link[rel~=stylesheet]').length };
    return out;
  }, { selectors: SELECTORS, size: [...SIZE] });

  const bare = await openHost(allowed, 'host.html', { blockEmbed: true });
  let without;
  try {
    assert.equal(await bare.page.evaluate(() => document.querySelector('[data-herald-listen]').shadowRoot), null, 'embed.js was blocked');
    without = await snapshot(bare.page);
  } finally {
    await bare.page.close();
  }
  const { page } = await openHost(allowed, 'host.html');
  try {
    const withEmbed = await snapshot(page);
    const diffs = [];
    for (const selector of Object.keys(without)) {
      for (const [name, value] of Object.entries(without[selector])) {
        if (withEmbed[selector]?.[name] !== value) diffs.push(`${selector} { ${name}: ${value} → ${withEmbed[selector]?.[name]} }`);
      }
    }
    assert.deepEqual(diffs, [], 'host-page styles changed by embed.js');
  } finally {
    await page.close();
  }
});

test('a host page on an origin not on the allow-list: Listen fails visibly and is announced, nothing plays', async () => {
  const { page, responses } = await openHost(other, 'host.html');
  try {
    await widget(page).getByRole('button', { name: 'Listen', exact: true }).click();
    const failed = 'Listening is not available';
    await page.waitForFunction((text) => [...document.querySelector('[data-herald-listen]').shadowRoot.querySelectorAll('[role=status]')].some((e) => e.textContent === text), failed, { timeout: 10_000 });
    const state = await listenState(page);
    assert.ok(state.visibleText.includes(failed), `the failure is not shown on screen: ${JSON.stringify(state.visibleText)}`);
    assert.equal(state.media, null, `audio was played: ${JSON.stringify(state)}`);
    assert.deepEqual(state.reading, []);
    assert.equal(await widget(page).getByRole('button', { name: 'Listen', exact: true }).isEnabled(), true, 'the button can be pressed again');
    assert.ok(!responses.some((r) => r.url.startsWith(`${herald.url}/v1/`) && r.status < 400), `Herald served the disallowed origin: ${JSON.stringify(responses)}`);
  } finally {
    await page.close();
  }
});

test('a host page on an origin not on the allow-list: Herald answers the Listen request with 403', async () => {
  const { page, responses, wire } = await openHost(other, 'host.html');
  try {
    await widget(page).getByRole('button', { name: 'Listen', exact: true }).click();
    await page.waitForFunction(() => [...document.querySelector('[data-herald-listen]').shadowRoot.querySelectorAll('[role=status]')].some((e) => e.textContent === 'Listening is not available'), null, { timeout: 10_000 });
    const answers = wire.filter((w) => w.url?.startsWith(`${herald.url}/v1/documents`));
    assert.ok(answers.length > 0, `no answer from Herald to /v1/documents; network: ${JSON.stringify(wire)}`);
    assert.ok(answers.every((w) => w.status === 403),
      `Herald's answers to ${other.url}'s requests (DevTools protocol, preflights included): ${JSON.stringify(wire)}; Playwright responses: ${JSON.stringify(responses)}`);
  } finally {
    await page.close();
  }
});

test('a host page on an origin not on the allow-list: a simple cross-origin POST (no preflight) gets 403 problem+json', async () => {
  const { page, responses, wire, raw } = await openHost(other, 'host.html');
  try {
    const answered = page.waitForResponse((r) => r.url() === `${herald.url}/v1/documents`);
    await page.evaluate((url) => fetch(`${url}/v1/documents`, { method: 'POST', mode: 'no-cors', headers: { 'Content-Type': 'text/plain' }, body: 'A statement. It should not be accepted.' }).catch(() => {}), herald.url);
    const res = await answered;
    assert.equal(res.status(), 403, `Herald's answers: ${JSON.stringify(responses)}`);
    // The response is opaque to the page (and to Playwright): read it from the wire.
    const deadline = Date.now() + 5_000;
    const find = () => wire.find((w) => w.url === `${herald.url}/v1/documents` && w.method === 'POST');
    while ((!find() || !raw.has(find().requestId)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const answer = find();
    assert.ok(answer, `no POST answer on the wire: ${JSON.stringify(wire)}`);
    const headers = raw.get(answer.requestId) || {};
    assert.match(headers['content-type'] || '', /^application\/problem\+json/, JSON.stringify(headers));
    assert.equal(headers['access-control-allow-origin'], undefined, 'no CORS permission for the disallowed origin');
  } finally {
    await page.close();
  }
});
