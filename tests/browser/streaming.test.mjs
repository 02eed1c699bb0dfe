// The reading page of a long, cold document in headless Chromium: a page
// view synthesizes nothing, and Play (button or shortcut) is heard while
// the document is still far from rendered, proved with the document's
// synthesis progress (`/v1/documents/{id}/progress`), not with wall time.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startHerald, startBrowser, createDocument, repoFile, openPlayer, playerState, playButton } from './helpers.mjs';

let herald;
let browser;
let statement;

before(async () => {
  herald = await startHerald({ workers: 1 });
  browser = await startBrowser();
  statement = await repoFile('tests/fixtures/nato-japan-joint-statement-2023-04-04.txt');
});

after(async () => {
  await browser?.close();
  await herald?.stop();
});

/**
 * The statement `times` over, every sentence of each copy numbered so none
 * repeats; `salt` ends the title, so each test has its own cold document.
 */
function longStatement(times, salt) {
  const paragraphs = statement.split('\n\n');
  const copies = [`${paragraphs[0]}, ${salt}`, ...paragraphs.slice(1)];
  for (let copy = 2; copy <= times; copy++) {
    copies.push(...paragraphs.slice(4).map((p) => p.replace(/([.!?])(\s|$)/g, ` (part ${copy})$1$2`)));
  }
  return copies.join('\n\n');
}

async function progress(id) {
  const res = await fetch(`${herald.url}/v1/documents/${id}/progress`);
  assert.equal(res.status, 200);
  return res.json();
}

test('a page view synthesizes nothing: not the document, not a paragraph', async () => {
  const doc = await createDocument(herald.url, { text: longStatement(3, 'viewed') });
  const { page, audioTraffic } = await openPlayer(browser, `${herald.url}${doc.html_url}`);
  try {
    // Once the network is quiet, any prefetch would have been asked for.
    await page.waitForLoadState('networkidle');
    assert.deepEqual(audioTraffic, [], 'a page view asked for audio');
    const timelines = await page.evaluate(() => performance.getEntriesByType('resource').map((e) => e.name).filter((n) => /timeline/.test(n)));
    assert.deepEqual(timelines, [], 'a page view asked for a timeline');
    const seen = await progress(doc.id);
    assert.equal(seen.synthesized, 0, `a page view synthesized: ${JSON.stringify(seen)}`);
    assert.equal(seen.renders_in_progress, 0, JSON.stringify(seen));
    assert.ok(await page.locator('span.w').count() > 100, 'the words are on the page, ready to highlight');
  } finally {
    await page.close();
  }
});

for (const [door, press] of [
  ['the Play button', (page) => playButton(page).click()],
  ['Alt+Shift+P', (page) => page.keyboard.press('Alt+Shift+KeyP')],
]) {
  test(`on a long cold document, ${door} is heard while most of the document is not yet synthesized`, async (t) => {
    const doc = await createDocument(herald.url, { text: longStatement(20, door) });
    const { page } = await openPlayer(browser, `${herald.url}${doc.html_url}`);
    try {
      await press(page);
      await page.waitForFunction(() => {
        const a = document.getElementById('player');
        return (!a.paused && a.currentTime > 0) || window.__heraldProbe.errors.length > 0;
      }, null, { timeout: 15_000 });
      const seen = await progress(doc.id);
      const state = await playerState(page);
      t.diagnostic(`heard at ${state.currentTime.toFixed(2)} s of ${state.src}; synthesized ${seen.synthesized} of ${seen.sentences} sentences`);
      assert.deepEqual(state.errors, []);
      assert.ok(seen.sentences > 300, `a long document: ${seen.sentences} sentences`);
      assert.ok(seen.synthesized < seen.sentences / 10, `playback started only after ${seen.synthesized} of ${seen.sentences} sentences`);
      // The highlighting follows what has been rendered.
      await page.waitForSelector('span.w.current', { timeout: 10_000 });
    } finally {
      await page.close();
    }
  });
}

test('the plain <audio> of a long cold document plays while its render is in progress', async (t) => {
  const doc = await createDocument(herald.url, { text: longStatement(20, 'plain audio') });
  const page = await browser.newPage();
  try {
    await page.route('**/assets/player.js*', (route) => route.abort());
    await page.goto(`${herald.url}${doc.html_url}`);
    const answered = page.waitForResponse((r) => /\/audio\.mp3$/.test(r.url()));
    await page.evaluate(() => { document.getElementById('player').play(); });
    const response = await answered;
    await page.waitForFunction(() => {
      const audio = document.getElementById('player');
      return audio.currentTime > 0 || audio.error;
    }, null, { timeout: 30_000 });
    const { src, error } = await page.evaluate(() => {
      const audio = document.getElementById('player');
      return { src: audio.currentSrc, error: audio.error && `MediaError ${audio.error.code}: ${audio.error.message}` };
    });
    assert.equal(error, null, `the plain <audio> failed: ${error}`);
    const seen = await progress(doc.id);
    t.diagnostic(`${src}: ${response.status()} ${JSON.stringify(response.headers())}; synthesized ${seen.synthesized} of ${seen.sentences}`);
    assert.match(src, /\/v1\/documents\/[0-9a-f]+\/audio\.mp3$/);
    assert.equal(response.headers()['x-herald-render'], 'in-progress', 'the answer follows the render as it grows');
    assert.ok(seen.synthesized < seen.sentences, `the document was fully synthesized before it was heard: ${JSON.stringify(seen)}`);
  } finally {
    await page.close();
  }
});
