// The neural voice on the reading page, in headless Chromium: Herald with
// HERALD_NEURAL_DIRS at the repository's .neural/ (./scripts/setup.sh) reads
// an English document with Piper's en_US "joe" voice; the page's player plays
// it to the end, the word and paragraph highlighting moves forward, and axe
// finds nothing while it plays. Nothing is skipped: without the neural
// voices installed, every test here fails.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startHerald, startBrowser, createDocument, runAxe, assertNoViolations, NEURAL_DIR,
  openPlayer, playerState, playUntil, recordHighlights, waitForHighlights, highlights, assertHighlightMovesForward,
} from './helpers.mjs';

const PIPER_VOICE = 'piper:en_us-joe-medium';
const SETUP_HINT = `run ./scripts/setup.sh (it installs ONNX Runtime and the Piper voice under ${NEURAL_DIR})`;

const TEXT = [
  'The lighthouse keeper climbed the spiral stairs at dusk. He trimmed the wick, lit the lamp and watched the fishing boats come home.',
  'By midnight a thick fog had rolled in from the sea. The foghorn sounded every thirty seconds, and nobody on the island slept well.',
  'In the morning the fog lifted. The harbour was busy again, and the keeper wrote three short lines in his logbook.',
].join('\n\n');

let herald;
let browser;
let voices; // GET /v1/voices
let doc; // POST /v1/documents answer
let timeline; // the document's timings.json
let readerUrl;

before(async () => {
  herald = await startHerald({ neural: true });
  browser = await startBrowser();
  const res = await fetch(`${herald.url}/v1/voices`);
  assert.equal(res.status, 200, 'GET /v1/voices');
  voices = await res.json();
  doc = await createDocument(herald.url, { text: TEXT });
  readerUrl = `${herald.url}${doc.html_url}`;
  const timings = await fetch(`${herald.url}/v1/documents/${doc.id}/timings.json`);
  assert.equal(timings.status, 200, 'GET timings.json');
  timeline = await timings.json();
});

after(async () => {
  await browser?.close();
  await herald?.stop();
});

function assertPiperAvailable() {
  const piper = voices.engines.find((e) => e.id === 'piper');
  assert.ok(piper, `GET /v1/voices lists no piper engine (${JSON.stringify(voices.engines)}); ${SETUP_HINT}`);
  assert.equal(piper.available, true, `the piper engine is not available (${piper.reason}): ${SETUP_HINT}`);
}

test('GET /v1/voices lists the piper engine as available, with the en_US joe voice', () => {
  assertPiperAvailable();
  const joe = voices.voices.find((v) => v.id === PIPER_VOICE);
  assert.ok(joe, `${PIPER_VOICE} is not among the voices: ${voices.voices.filter((v) => v.engine === 'piper').map((v) => v.id).join(', ') || 'no piper voice'}; ${SETUP_HINT}`);
  assert.equal(joe.engine, 'piper');
  assert.ok(joe.languages.includes('en'), `languages ${joe.languages}`);
});

test(`an English document's paragraphs and sentences get ${PIPER_VOICE}`, () => {
  assertPiperAvailable();
  assert.equal(doc.lang, 'en');
  assert.equal(doc.paragraphs.length, 3, `paragraphs: ${JSON.stringify(doc.paragraphs.map((p) => p.text))}`);
  for (const p of doc.paragraphs) {
    assert.equal(p.lang, 'en', `paragraph ${p.index} language`);
    assert.equal(p.voice, PIPER_VOICE, `paragraph ${p.index} voice`);
    for (const s of p.sentences) assert.equal(s.voice, PIPER_VOICE, `paragraph ${p.index} sentence "${s.text}" voice`);
  }
});

test('the reading page plays the Piper audio to the end: currentTime advances, highlighting moves forward, no axe violations while playing', async (t) => {
  assertPiperAvailable();
  const { page, audioTraffic } = await openPlayer(browser, readerUrl);
  try {
    await recordHighlights(page);
    const first = await playUntil(page, 0.1);
    assert.equal(first.paragraph, '0');

    // While playing, past the first paragraph: axe on the page as it is.
    const reached = await waitForHighlights(page, { words: 4, paras: 2, timeout: 30_000 });
    const playing = await playerState(page);
    assert.ok(reached, `the highlighting did not reach paragraph 1 within 30 s: ${JSON.stringify(await highlights(page))}; ${JSON.stringify(playing)}`);
    assert.ok(!playing.paused && playing.reading && playing.word, `playing with a highlighted paragraph and word: ${JSON.stringify(playing)}`);
    assert.ok(playing.played > first.played, `no time was heard: ${first.played} → ${playing.played}`);
    assertNoViolations(await runAxe(page), `reading page while the Piper voice plays (paragraph ${playing.reading}, word "${playing.word}")`);

    const lastParagraph = timeline.paragraphs.at(-1);
    const lastAudio = String(lastParagraph.index);
    await page.waitForFunction((last) => {
      const a = document.getElementById('player');
      return (a.ended && a.dataset.paragraph === last) || window.__heraldProbe.errors.length > 0;
    }, lastAudio, { timeout: 90_000 }).catch(() => {});
    const end = await playerState(page);
    const rec = await highlights(page);
    const context = `${JSON.stringify(end)}\naudio traffic ${JSON.stringify(audioTraffic)}`;
    t.diagnostic(`heard ${end.played.toFixed(2)} s (timings of the whole document end at ${lastParagraph.end} s); words lit ${new Set(rec.words.map((w) => w.i)).size}/${rec.totalWords}; paragraphs: ${rec.paras.map((p) => `${p.id}@${p.at.toFixed(2)}`).join(' → ')}`);
    t.diagnostic(`words: ${rec.words.map((w) => `${w.text}@${w.at.toFixed(2)}`).join(' ')}`);
    assert.deepEqual(end.errors, [], `media error while playing:\n${context}`);
    assert.ok(end.ended && end.paragraph === lastAudio, `the last paragraph did not play to its end within 90 s:\n${context}`);

    assertHighlightMovesForward(rec, { minWords: 4, minParas: doc.paragraphs.length, context });
    assert.equal(rec.paras.at(-1).id, `p${lastParagraph.index}`, `the highlighting ended on ${rec.paras.at(-1).id}, not the last paragraph`);
    // Each word is lit for a few hundred ms; sampled every 25 ms, nearly all
    // are seen (a few may fall in the pause while axe runs).
    assert.ok(rec.words.length >= 0.8 * rec.totalWords, `only ${rec.words.length} of ${rec.totalWords} words were highlighted: ${JSON.stringify(rec.words)}`);
    assert.ok(rec.words.at(-1).i === rec.totalWords - 1, `the last word lit was "${rec.words.at(-1).text}" (#${rec.words.at(-1).i}), not the last of ${rec.totalWords}`);
  } finally {
    await page.close();
  }
});
