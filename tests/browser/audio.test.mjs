// Playback in headless Chromium: the reader page's plain players really
// play Herald's WAV (the whole document and one paragraph, each followed
// while its render grows).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startHerald, startBrowser, createDocument, repoFile } from './helpers.mjs';

let herald;
let browser;
let readerUrl;

before(async () => {
  herald = await startHerald();
  browser = await startBrowser();
  const text = await repoFile('tests/fixtures/nato-japan-joint-statement-2023-04-04.txt');
  const doc = await createDocument(herald.url, { text });
  readerUrl = `${herald.url}${doc.html_url}`;
});

after(async () => {
  await browser?.close();
  await herald?.stop();
});

// Plays the selected <audio> and waits until currentTime passes `past`
// seconds. Resolves with what happened; never throws inside the page.
async function playPast(page, selector, past = 0.5, timeoutMs = 10_000) {
  return page.evaluate(async ({ selector, past, timeoutMs }) => {
    const audio = document.querySelector(selector);
    if (!audio) return { ok: false, why: `no element ${selector}` };
    const errors = [];
    audio.addEventListener('error', () => {
      errors.push(audio.error ? `MediaError ${audio.error.code}: ${audio.error.message}` : 'error event');
    });
    const started = performance.now();
    try {
      const pending = new Promise((resolve) => setTimeout(resolve, timeoutMs, 'pending'));
      if (await Promise.race([audio.play(), pending]) === 'pending') {
        return { ok: false, why: `play() still pending after ${timeoutMs} ms`, errors };
      }
    } catch (e) {
      return { ok: false, why: `play() rejected: ${e.name}: ${e.message}`, errors };
    }
    while (performance.now() - started < timeoutMs) {
      if (errors.length) break;
      if (audio.currentTime > past) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const state = {
      currentTime: audio.currentTime,
      duration: audio.duration,
      paused: audio.paused,
      readyState: audio.readyState,
      networkState: audio.networkState,
      src: audio.currentSrc,
      ms: Math.round(performance.now() - started),
      errors,
    };
    audio.pause();
    return { ok: !errors.length && state.currentTime > past, ...state };
  }, { selector, past, timeoutMs });
}

test('without the player script, the whole-document <audio> plays past 0.5 s without an error', async (t) => {
  const page = await browser.newPage();
  try {
    // The page as it is without JavaScript's player: the plain <audio> of the whole document.
    await page.route('**/assets/player.js*', (route) => route.abort());
    await page.goto(readerUrl);
    const result = await playPast(page, 'section[aria-labelledby=listen-heading] audio');
    t.diagnostic(`played ${result.currentTime?.toFixed(2)} s in ${result.ms} ms (duration ${result.duration})`);
    assert.ok(result.ok, `whole-document audio did not play: ${JSON.stringify(result)}`);
    assert.match(result.src, /\/v1\/documents\/[0-9a-f]+\/audio\.wav$/);
  } finally {
    await page.close();
  }
});

test('a paragraph player plays past 0.5 s without an error', async (t) => {
  const page = await browser.newPage();
  try {
    await page.goto(readerUrl);
    const selector = await page.evaluate(() => {
      const para = [...document.querySelectorAll('.para[data-role=body]')].find((p) => p.textContent.trim().length > 80);
      return para ? `#${para.id} audio` : null;
    });
    assert.ok(selector, 'the reader page has a body paragraph with a player');
    const result = await playPast(page, selector);
    t.diagnostic(`${selector}: played ${result.currentTime?.toFixed(2)} s in ${result.ms} ms (duration ${result.duration})`);
    assert.ok(result.ok, `paragraph audio (${selector}) did not play: ${JSON.stringify(result)}`);
    assert.match(result.src, /\/v1\/documents\/[0-9a-f]+\/paragraphs\/\d+\/audio\.wav$/);
    assert.ok(result.duration > 0.5, `paragraph duration ${result.duration}`);
  } finally {
    await page.close();
  }
});
