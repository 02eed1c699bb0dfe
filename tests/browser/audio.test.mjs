// Playback in headless Chromium: the reader page's plain player really
// plays Herald's WAV (the whole document and one paragraph, each followed
// while its render grows), and its download links are real files: MP3
// first, then Opus, FLAC and WAV.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startHerald, startBrowser, createDocument, repoFile } from './helpers.mjs';

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
});

/** The reader page as it is without JavaScript's player. */
async function openWithoutScript() {
  const page = await browser.newPage();
  await page.route('**/assets/player.js*', (route) => route.abort());
  await page.goto(readerUrl);
  return page;
}

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
  const page = await openWithoutScript();
  try {
    const result = await playPast(page, 'section[aria-labelledby=listen-heading] audio');
    t.diagnostic(`played ${result.currentTime?.toFixed(2)} s in ${result.ms} ms (duration ${result.duration})`);
    assert.ok(result.ok, `whole-document audio did not play: ${JSON.stringify(result)}`);
    assert.match(result.src, /\/v1\/documents\/[0-9a-f]+\/audio\.mp3$/);
  } finally {
    await page.close();
  }
});

test('a paragraph\'s audio (what the reading page\'s player plays) plays past 0.5 s without an error', async (t) => {
  const page = await openWithoutScript();
  try {
    const paragraph = doc.paragraphs.find((p) => p.role === 'body' && p.text.length > 80);
    assert.ok(paragraph, 'the document has a long body paragraph');
    await page.evaluate((src) => { document.getElementById('player').src = src; }, paragraph.audio_url);
    const result = await playPast(page, '#player');
    t.diagnostic(`paragraph ${paragraph.index}: played ${result.currentTime?.toFixed(2)} s in ${result.ms} ms (duration ${result.duration})`);
    assert.ok(result.ok, `paragraph audio did not play: ${JSON.stringify(result)}`);
    assert.match(result.src, /\/v1\/documents\/[0-9a-f]+\/paragraphs\/\d+\/audio\.wav$/);
    assert.ok(result.duration > 0.5, `paragraph duration ${result.duration}`);
  } finally {
    await page.close();
  }
});

test('the download links offer MP3 first, then Opus, FLAC and WAV, each a file of its type; the MP3 plays', async (t) => {
  const page = await openWithoutScript();
  try {
    const links = await page.locator('section.listen a[download]').evaluateAll((as) => as.map((a) => ({ href: a.href, name: a.textContent })));
    assert.deepEqual(links.map((l) => l.name), [
      'Download the audio (MP3)', 'Download the audio as Opus', 'Download the audio as FLAC', 'Download the audio as WAV',
    ]);
    const types = { mp3: 'audio/mpeg', opus: 'audio/ogg', flac: 'audio/flac', wav: 'audio/wav' };
    assert.deepEqual(links.map((l) => new URL(l.href).pathname), Object.keys(types).map((ext) => `/v1/documents/${doc.id}/audio.${ext}`));
    const sizes = {};
    for (const { href } of links) {
      const res = await fetch(href);
      const body = Buffer.from(await res.arrayBuffer());
      t.diagnostic(`${href}: ${res.status} ${res.headers.get('content-type')}, ${body.length} bytes`);
      assert.equal(res.status, 200, href);
      assert.ok(res.headers.get('content-type').startsWith(types[href.split('.').pop()]), `${href}: ${res.headers.get('content-type')}`);
      assert.ok(body.length > 10_000, `${href}: ${body.length} bytes`);
      sizes[href.split('.').pop()] = body.length;
    }
    assert.ok(sizes.mp3 < sizes.wav / 4, `the MP3 (${sizes.mp3} bytes) is much smaller than the WAV (${sizes.wav} bytes)`);
    // Chromium plays the MP3 it would download.
    await page.evaluate((src) => { document.getElementById('player').src = src; }, links[0].href);
    const result = await playPast(page, '#player');
    assert.ok(result.ok, `the MP3 did not play: ${JSON.stringify(result)}`);
  } finally {
    await page.close();
  }
});
