// The reading page's player (player.js) in headless Chromium, on the
// reference statement: controls, accessibility while playing, playback,
// word and paragraph highlighting, sentence and paragraph navigation, the
// one "Play from" button, speed, shortcuts, the live region and keyboard
// order. one-player.test.mjs checks the page as a screen reader meets it.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startHerald, startBrowser, createDocument, repoFile, runAxe, assertNoViolations, artifactPath,
  openPlayer, playerState, playButton, playUntil, recordHighlights, waitForHighlights, highlights, assertHighlightMovesForward,
} from './helpers.mjs';

let herald;
let browser;
let readerUrl;
let doc; // the document as JSON

before(async () => {
  herald = await startHerald();
  browser = await startBrowser();
  const text = await repoFile('tests/fixtures/nato-japan-joint-statement-2023-04-04.txt');
  doc = await createDocument(herald.url, { text });
  readerUrl = `${herald.url}${doc.html_url}`;
  assert.ok(doc.paragraphs.some((p) => p.index === 5), 'the reference statement has a paragraph 5');
});

/** A paragraph's complete timeline (it waits for the paragraph's render). */
async function paragraphTimeline(index) {
  const res = await fetch(`${herald.url}/v1/documents/${doc.id}/paragraphs/${index}/timings.json`);
  assert.equal(res.status, 200, `GET paragraph ${index} timings.json`);
  return res.json();
}

const heard = (page) => page.evaluate(() => window.__heraldProbe.played);

after(async () => {
  await browser?.close();
  await herald?.stop();
});

async function pause(page) {
  await page.evaluate(() => document.getElementById('player').pause());
  await page.waitForFunction(() => document.getElementById('player').paused);
}

/** The one "Play from" button. */
const fromButton = (page) => page.locator('#player-controls').getByRole('button', { name: /^Play from / });

/** Focuses paragraph n (as a click in it or a screen reader's cursor does) and waits for "Play from" to name it. */
async function pickParagraph(page, n) {
  await page.evaluate((n) => document.getElementById(`p${n}`).focus(), n);
  await page.waitForFunction((n) => document.querySelector('#player-controls .play-from').textContent === `Play from paragraph ${n}`, n, { timeout: 2_000 });
}

test('the player controls appear: Play, Previous sentence, Next sentence, one "Play from", a labelled speed select, the position; the browser\'s controls go', async () => {
  const { page } = await openPlayer(browser, readerUrl);
  try {
    const controls = page.locator('#player-controls');
    assert.ok(await controls.isVisible(), '#player-controls is visible');
    assert.equal(await page.getByRole('group', { name: 'Player' }).count(), 1, 'the controls are a group named "Player"');
    for (const name of ['Play', 'Previous sentence', 'Next sentence', 'Play from the title']) {
      assert.equal(await controls.getByRole('button', { name, exact: true }).count(), 1, `a "${name}" button in #player-controls`);
    }
    assert.equal(await page.getByRole('button', { name: /play from/i }).count(), 1, 'one "Play from" button on the page');
    assert.equal(await controls.locator('.position').textContent(), 'Position: the title', 'the position before playing');
    const native = await page.evaluate(() => [...document.querySelectorAll('audio')].map((a) => ({ id: a.id, controls: a.controls, visible: a.checkVisibility() })));
    assert.deepEqual(native, [{ id: 'player', controls: false, visible: false }], 'one <audio>, without the browser\'s controls');
    const speed = page.getByRole('combobox', { name: 'Speed' });
    assert.equal(await speed.count(), 1, 'a select labelled "Speed"');
    const options = await speed.locator('option').evaluateAll((os) => os.map((o) => Number(o.value)));
    assert.equal(Math.min(...options), 0.75);
    assert.equal(Math.max(...options), 3);
    assert.equal(await speed.inputValue(), '1', 'normal speed is selected');

    const paras = await page.evaluate(() => [...document.querySelectorAll('div.para')].map((p) => ({
      id: p.id,
      controls: p.querySelectorAll('button, audio, a, select').length,
      tabIndex: p.tabIndex,
      words: p.querySelectorAll('span.w').length,
    })));
    assert.ok(paras.length >= 5, `paragraphs on the page: ${paras.length}`);
    for (const p of paras) {
      assert.equal(p.controls, 0, `#${p.id} holds no control of its own`);
      assert.equal(p.tabIndex, -1, `#${p.id} takes focus, but is no Tab stop`);
      assert.ok(p.words > 0, `#${p.id} has its words wrapped in span.w`);
    }
    assert.ok(await page.locator('h1 span.w').count() > 0, 'the title\'s words are wrapped too');
  } finally {
    await page.close();
  }
});

test('no axe violations with the player active, and while playing', async () => {
  const { page } = await openPlayer(browser, readerUrl);
  try {
    assertNoViolations(await runAxe(page), 'reader page with the player active');
    await playUntil(page, 1);
    // Between two paragraphs the player is briefly paused (the title, one
    // second long, may have just ended): wait for playing with a word lit.
    await page.waitForFunction(() => !document.getElementById('player').paused
      && document.querySelector('.reading') && document.querySelector('span.w.current'), null, { timeout: 10_000 });
    const state = await playerState(page);
    assert.ok(!state.paused && state.reading, `playing with a highlighted paragraph: ${JSON.stringify(state)}`);
    assertNoViolations(await runAxe(page), `reader page while playing (paragraph ${state.reading}, word "${state.word}")`);
  } finally {
    await page.close();
  }
});

test('pressing Play plays the statement: time is heard, across paragraphs, with no error event', async (t) => {
  const { page, audioTraffic } = await openPlayer(browser, readerUrl);
  try {
    const before = await playerState(page);
    assert.equal(before.paused, true);
    assert.equal(before.currentTime, 0);
    assert.equal(before.paragraph, null, 'nothing is loaded before Play');
    const first = await playUntil(page, 0.5);
    assert.equal(first.paragraph, '0', 'the player starts on the first paragraph');
    await page.waitForFunction((t0) => window.__heraldProbe.played > t0 + 2, first.played, { timeout: 15_000 });
    const later = await playerState(page);
    t.diagnostic(`heard ${first.played.toFixed(2)} → ${later.played.toFixed(2)} s; now paragraph ${later.paragraph} at ${later.currentTime.toFixed(2)} s`);
    assert.match(later.paragraph, /^[1-9]\d*$/, 'it went on to the next paragraph');
    assert.deepEqual(later.errors, []);
    assert.equal(later.paused, false);
    assert.equal(await playButton(page).textContent(), 'Pause', 'the Play button turns into Pause');
    // Chromium has Media Source Extensions for MP3: the paragraphs' MP3
    // streams are fed to the player, and no WAV is fetched.
    const requests = audioTraffic.filter((e) => e.request).map((e) => e.request);
    assert.ok(requests.some((r) => /\/paragraphs\/0\/audio\.mp3$/.test(r)), `paragraph 0's MP3 was fetched: ${requests}`);
    assert.ok(!requests.some((r) => /audio\.wav/.test(r)), `no WAV was fetched: ${requests}`);
  } finally {
    await page.close();
  }
});

test('without Media Source Extensions, the player plays each paragraph\'s WAV', async (t) => {
  const page = await browser.newPage();
  const fetched = [];
  page.on('request', (r) => { if (/\/audio\.(wav|mp3)/.test(r.url())) fetched.push(r.url()); });
  try {
    await page.addInitScript(() => { delete window.MediaSource; delete window.ManagedMediaSource; });
    await page.goto(readerUrl);
    await page.waitForSelector('article.has-player');
    await playButton(page).click();
    await page.waitForFunction(() => {
      const a = document.getElementById('player');
      return (!a.paused && a.currentTime > 0.5) || a.error;
    }, null, { timeout: 30_000 });
    const state = await page.evaluate(() => ({ src: document.getElementById('player').currentSrc, error: document.getElementById('player').error?.message ?? null }));
    t.diagnostic(`playing ${state.src}`);
    assert.equal(state.error, null);
    assert.match(state.src, /\/paragraphs\/0\/audio\.wav$/);
    assert.ok(!fetched.some((u) => u.endsWith('.mp3')), `no MP3 was fetched: ${fetched}`);
  } finally {
    await page.close();
  }
});

test('while playing, the highlighted word and paragraph change and only move forward', async (t) => {
  const { page } = await openPlayer(browser, readerUrl);
  try {
    await recordHighlights(page);
    await playUntil(page, 0.1);
    await waitForHighlights(page, { words: 4, paras: 2, timeout: 20_000 });
    const rec = await highlights(page);
    const state = await playerState(page);
    t.diagnostic(`words: ${rec.words.map((w) => w.text).join(' ')}; paragraphs: ${rec.paras.map((p) => p.id).join(' → ')}`);
    assertHighlightMovesForward(rec, { context: JSON.stringify(state) });
  } finally {
    await page.close();
  }
});

test('"Play from" names the paragraph focused, selected in or clicked in, else the one being read', async () => {
  const { page } = await openPlayer(browser, readerUrl);
  try {
    assert.equal(await fromButton(page).textContent(), 'Play from the title', 'before anything, the paragraph the player holds');
    await pickParagraph(page, 5);
    // Text selected in a paragraph (with the mouse, caret browsing or a screen reader's selection).
    await page.evaluate(() => {
      const text = document.querySelector('#p7 .text');
      document.getSelection().selectAllChildren(text);
    });
    await page.waitForFunction(() => document.querySelector('#player-controls .play-from').textContent === 'Play from paragraph 7', null, { timeout: 2_000 });
    // A click in a paragraph, off its words.
    const space = await page.evaluate(() => {
      const text = document.querySelector('#p3 .text');
      const gap = [...text.childNodes].find((n) => n.nodeType === Node.TEXT_NODE && n.textContent.trim() === '');
      const range = document.createRange();
      range.selectNode(gap);
      const r = range.getBoundingClientRect();
      return { x: r.x + r.width / 2, y: r.y + r.height / 2 };
    });
    await page.mouse.click(space.x, space.y);
    await page.waitForFunction(() => document.querySelector('#player-controls .play-from').textContent === 'Play from paragraph 3', null, { timeout: 2_000 });
    assert.deepEqual((await playerState(page)).paused, true, 'a click off the words plays nothing');
    // Picking the paragraph being read leaves "Play from" following the reading.
    await page.evaluate(() => document.getElementById('p0').focus());
    await page.waitForFunction(() => document.querySelector('#player-controls .play-from').textContent === 'Play from the title', null, { timeout: 2_000 });
  } finally {
    await page.close();
  }
});

test('"Play from" on paragraph 5 plays paragraph 5 and highlights its words, then follows the reading', async (t) => {
  const { page, audioTraffic } = await openPlayer(browser, readerUrl);
  try {
    await playUntil(page, 0.5);
    await pickParagraph(page, 5);
    await fromButton(page).click();
    let reached = true;
    await page.waitForFunction(() => {
      const a = document.getElementById('player');
      return a.dataset.paragraph === '5' && !a.paused && a.currentTime > 0.3
        && document.querySelector('span.w.current')?.closest('.para')?.id === 'p5';
    }, null, { timeout: 15_000 }).catch(() => { reached = false; });
    const state = await playerState(page);
    t.diagnostic(`now paragraph ${state.paragraph} at ${state.currentTime.toFixed(2)} s, word "${state.word}"`);
    assert.ok(reached, `paragraph 5 is not playing with its words lit: ${JSON.stringify(state)}\naudio traffic ${JSON.stringify(audioTraffic, null, 1)}`);
    assert.equal(state.reading, 'p5');
    assert.deepEqual(state.errors, []);
    assert.equal(await fromButton(page).textContent(), 'Play from paragraph 5');
    assert.match(await page.locator('#player-controls .position').textContent(), /^Position: paragraph 5 of \d+, sentence \d+/);
    // Once played, "Play from" follows the reading to the next paragraph.
    await page.keyboard.press('Alt+Shift+ArrowDown');
    await page.waitForFunction(() => document.querySelector('#player-controls .play-from').textContent === 'Play from paragraph 6', null, { timeout: 5_000 });
  } finally {
    await page.close();
  }
});

test('"Next sentence" moves to the next sentence of the paragraph playing', async (t) => {
  const target = doc.paragraphs.find((p) => p.index > 1 && p.sentences.length >= 3);
  assert.ok(target, 'a paragraph with three sentences');
  const { page } = await openPlayer(browser, readerUrl);
  try {
    await pickParagraph(page, target.index);
    await fromButton(page).click();
    await page.waitForFunction(() => !document.getElementById('player').paused && document.getElementById('player').currentTime > 0.2, null, { timeout: 15_000 });
    const timeline = await paragraphTimeline(target.index);
    const starts = timeline.paragraphs[0].sentences.map((s) => s.start);
    // The page has this paragraph's timeline too (it follows the render).
    await page.waitForFunction((n) => document.querySelectorAll(`#p${n} span.w[data-start]`).length > 0, target.index, { timeout: 10_000 });
    await pause(page);
    const from = (await playerState(page)).currentTime;
    const expected = starts.find((s) => s > from + 0.001);
    assert.ok(expected !== undefined, `a sentence starts after ${from}: ${starts}`);
    const seeksBefore = (await playerState(page)).seeks.length;
    await page.locator('#player-controls').getByRole('button', { name: 'Next sentence', exact: true }).click();
    await page.waitForFunction((n) => window.__heraldProbe.seeks.length > n, seeksBefore, { timeout: 5_000 });
    const state = await playerState(page);
    const seeked = state.seeks[seeksBefore];
    t.diagnostic(`from ${from} to ${seeked}; sentence starts ${starts.join(', ')}`);
    assert.ok(Math.abs(seeked - expected) < 0.01, `Next sentence seeked to ${seeked}; the next sentence starts at ${expected}`);
    await page.waitForFunction((t0) => !document.getElementById('player').paused && document.getElementById('player').currentTime > t0 + 0.2, seeked, { timeout: 10_000 });
  } finally {
    await page.close();
  }
});

test('the speed select and Alt+Shift+U/D change playbackRate', async () => {
  const { page } = await openPlayer(browser, readerUrl);
  try {
    const speed = page.getByRole('combobox', { name: 'Speed' });
    await speed.selectOption('1.5');
    await page.waitForFunction(() => document.getElementById('player').playbackRate === 1.5, null, { timeout: 2_000 });
    await page.waitForFunction(() => document.getElementById('announcer').textContent === 'Speed 1.5 times', null, { timeout: 2_000 });
    await page.evaluate(() => document.activeElement.blur()); // the shortcuts work from anywhere on the page
    await page.keyboard.press('Alt+Shift+KeyU');
    await page.waitForFunction(() => document.getElementById('player').playbackRate === 1.75, null, { timeout: 2_000 });
    assert.equal(await speed.inputValue(), '1.75', 'the select follows the shortcut');
    await page.keyboard.press('Alt+Shift+KeyD');
    await page.keyboard.press('Alt+Shift+KeyD');
    await page.waitForFunction(() => document.getElementById('player').playbackRate === 1.25, null, { timeout: 2_000 });
    assert.equal(await speed.inputValue(), '1.25');
    // The rate survives playing.
    await playUntil(page, 0.5);
    assert.equal((await playerState(page)).playbackRate, 1.25);
  } finally {
    await page.close();
  }
});

test('Alt+Shift+Down and Alt+Shift+Up play the next and the previous paragraph', async () => {
  const { page } = await openPlayer(browser, readerUrl);
  try {
    await playUntil(page, 0.3);
    const at = (n) => page.waitForFunction((n) => {
      const a = document.getElementById('player');
      return a.dataset.paragraph === String(n) && !a.paused && a.currentTime > 0.1;
    }, n, { timeout: 15_000 });
    await page.keyboard.press('Alt+Shift+ArrowDown');
    await at(1);
    assert.match(await page.locator('#player-controls .position').textContent(), /^Position: paragraph 1 of \d+/);
    await page.keyboard.press('Alt+Shift+ArrowDown');
    await at(2);
    await page.keyboard.press('Alt+Shift+ArrowUp');
    await at(1);
    assert.deepEqual((await playerState(page)).errors, []);
  } finally {
    await page.close();
  }
});

test('Alt+Shift+P toggles play and pause; #announcer says "Playing" and "Paused"', async () => {
  const { page } = await openPlayer(browser, readerUrl);
  try {
    await page.keyboard.press('Alt+Shift+KeyP');
    await page.waitForFunction(() => !document.getElementById('player').paused && window.__heraldProbe.played > 0.3, null, { timeout: 30_000 });
    await page.waitForFunction(() => document.getElementById('announcer').textContent === 'Playing', null, { timeout: 2_000 });
    assert.equal(await playButton(page).textContent(), 'Pause');
    await page.keyboard.press('Alt+Shift+KeyP');
    await page.waitForFunction(() => document.getElementById('player').paused, null, { timeout: 2_000 });
    await page.waitForFunction(() => document.getElementById('announcer').textContent === 'Paused', null, { timeout: 2_000 });
    assert.equal(await playButton(page).textContent(), 'Play');
    const at = await heard(page);
    await page.keyboard.press('Alt+Shift+KeyP');
    await page.waitForFunction((at) => !document.getElementById('player').paused && window.__heraldProbe.played > at + 0.2, at, { timeout: 10_000 });
    assert.deepEqual((await playerState(page)).errors, []);
  } finally {
    await page.close();
  }
});

test('#announcer announces "Playing" but is not updated on every word (≤ 2 announcements in 3 s of playback)', async (t) => {
  const { page } = await openPlayer(browser, readerUrl);
  try {
    await page.evaluate(() => {
      const log = [];
      Object.defineProperty(window, '__heraldAnnouncements', { value: log, enumerable: false });
      const announcer = document.getElementById('announcer');
      new MutationObserver(() => {
        const text = announcer.textContent;
        if (text) log.push({ text, at: document.getElementById('player').currentTime });
      }).observe(announcer, { childList: true, characterData: true, subtree: true });
    });
    const start = await playUntil(page, 0.05);
    await page.waitForFunction((t0) => window.__heraldProbe.played >= t0 + 3, start.played, { timeout: 15_000 });
    const log = await page.evaluate(() => window.__heraldAnnouncements.slice());
    const state = await playerState(page);
    t.diagnostic(`announcements during ${(state.played - start.played).toFixed(1)} s: ${JSON.stringify(log)}`);
    assert.ok(log.some((a) => a.text === 'Playing'), `"Playing" was not announced: ${JSON.stringify(log)}`);
    assert.ok(log.length <= 2, `${log.length} announcements in 3 s of playback: ${JSON.stringify(log)}`);
    await playButton(page).click();
    await page.waitForFunction(() => window.__heraldAnnouncements.at(-1)?.text === 'Paused', null, { timeout: 2_000 });
  } finally {
    await page.close();
  }
});

test('keyboard only: Tab reaches Play, Previous, Next, Play from, Speed one after the other, and no paragraph (screenshot of focused Play)', async () => {
  const { page } = await openPlayer(browser, readerUrl);
  try {
    const stops = [];
    for (let presses = 0; presses < 200; presses++) {
      await page.keyboard.press('Tab');
      const f = await page.evaluate(() => {
        const e = document.activeElement;
        const cs = getComputedStyle(e);
        return {
          index: [...document.querySelectorAll('*')].indexOf(e),
          tag: e.tagName.toLowerCase(),
          inText: !!e.closest('.para'),
          name: e.getAttribute('aria-label') || (e.labels?.[0]?.textContent) || e.textContent.trim().slice(0, 40),
          indicator: e.matches(':focus-visible') && ((cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) > 0) || cs.boxShadow !== 'none'),
        };
      });
      if (f.tag === 'body') break;
      if (stops.some((s) => s.index === f.index)) break; // wrapped around
      stops.push(f);
      if (f.name === 'Play' && f.tag === 'button') {
        assert.ok(f.indicator, 'the focused Play button shows a focus indicator');
        const box = await playButton(page).boundingBox();
        await page.screenshot({
          path: await artifactPath('player-play-focused.png'),
          clip: { x: Math.max(0, box.x - 12), y: Math.max(0, box.y - 12), width: box.width + 24, height: box.height + 24 },
        });
      }
    }
    const order = stops.map((s) => `${s.tag} "${s.name}"`);
    const wanted = [['button', 'Play'], ['button', 'Previous sentence'], ['button', 'Next sentence'], ['button', 'Play from the title'], ['select', 'Speed']];
    const positions = wanted.map(([tag, name]) => stops.findIndex((s) => s.tag === tag && s.name === name));
    const missing = wanted.filter((_, k) => positions[k] < 0).map(([tag, name]) => `${tag} "${name}"`);
    assert.deepEqual(missing, [], `not reached with Tab:\n${order.join('\n')}`);
    assert.deepEqual(positions, wanted.map((_, k) => positions[0] + k), `the player controls are not consecutive Tab stops in the order Play, Previous, Next, Play from, Speed:\n${order.join('\n')}`);
    for (const k of positions) assert.ok(stops[k].indicator, `no visible focus indicator on ${order[k]}`);
    assert.deepEqual(stops.filter((s) => s.inText).map((s) => `${s.tag} "${s.name}"`), [], 'no Tab stop in the text');
    assert.deepEqual(stops.filter((s) => s.tag === 'audio'), [], 'the <audio> is no Tab stop once the player is active');
  } finally {
    await page.close();
  }
});
