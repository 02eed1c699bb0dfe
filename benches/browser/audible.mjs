// Time to audible on the reading page against document length, cold, in
// headless Chromium: the reference statement 1×, 5× and 20× over (every
// sentence of each copy numbered, so none is served from the cache), read
// by the default document voice (neural where installed). Each run starts
// a fresh Herald (empty cache) and measures, in the page's own clock, from
// the press to the first advance of the audio's currentTime, for three
// doors: the Play button, the Alt+Shift+P shortcut, and the plain <audio>
// without the player script. Reported as medians and as ratios to the 1×
// document of the same door (the goal is a flat line: 1.0).
//
//   cargo build --release && HERALD_BIN=target/release/herald node benches/browser/audible.mjs [runs]
//
// PLAYER_JS=FILE serves FILE as the page's player script instead of the
// one built in, to compare a player against the binary's in one command.
// LINK_KBPS=N (and LINK_RTT_MS, default 40) puts the page behind a link of
// N kbit/s each way, as Chromium's network emulation does.

import { readFile } from 'node:fs/promises';
import { startHerald, startBrowser, createDocument, repoFile } from '../../tests/browser/helpers.mjs';

const RUNS = Number(process.argv[2] || 3);
const playerScript = process.env.PLAYER_JS ? await readFile(process.env.PLAYER_JS, 'utf8') : null;
const link = process.env.LINK_KBPS
  ? { bytesPerSecond: (Number(process.env.LINK_KBPS) * 1000) / 8, rtt: Number(process.env.LINK_RTT_MS || 40) }
  : null;
const SIZES = [1, 5, 20];
const statement = await repoFile('tests/fixtures/nato-japan-joint-statement-2023-04-04.txt');

function longStatement(times) {
  const paragraphs = statement.split('\n\n');
  const copies = [...paragraphs];
  for (let copy = 2; copy <= times; copy++) {
    copies.push(...paragraphs.slice(4).map((p) => p.replace(/([.!?])(\s|$)/g, ` (part ${copy})$1$2`)));
  }
  return copies.join('\n\n');
}

// In the page: presses (`button`, `audio`, or nothing when a key was
// pressed from outside), then resolves with the ms from the press to the
// first currentTime > 0.
function pressAndWait(how) {
  const audio = document.getElementById('player');
  if (how !== 'key') window.__pressedAt = performance.now();
  if (how === 'button') [...document.querySelectorAll('#player-controls button')].find((b) => b.textContent === 'Play').click();
  if (how === 'audio') audio.play();
  const started = window.__pressedAt;
  return new Promise((resolve, reject) => {
    const check = () => {
      if (audio.currentTime > 0) resolve(performance.now() - started);
      else if (audio.error || performance.now() - started > 20_000) reject(new Error(`not audible: ${audio.error?.message ?? 'timed out'}`));
      else setTimeout(check, 2);
    };
    check();
  });
}

const DOORS = {
  'Play button': async (page) => {
    await page.waitForSelector('article.has-player');
    return page.evaluate(pressAndWait, 'button');
  },
  'Alt+Shift+P': async (page) => {
    await page.waitForSelector('article.has-player');
    await page.evaluate(() => document.addEventListener('keydown', () => { window.__pressedAt = performance.now(); }, { capture: true, once: true }));
    await page.keyboard.press('Alt+Shift+KeyP');
    return page.evaluate(pressAndWait, 'key');
  },
  'plain <audio>': (page) => page.evaluate(pressAndWait, 'audio'),
};

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const browser = await startBrowser();
const results = {}; // door -> size -> [ms]
const progress = {}; // door -> size -> [fraction synthesized when audible]
try {
  for (let run = 0; run < RUNS; run++) {
    for (const size of SIZES) {
      for (const [door, press] of Object.entries(DOORS)) {
        const herald = await startHerald({ neural: true });
        try {
          const doc = await createDocument(herald.url, { text: longStatement(size) });
          const page = await browser.newPage();
          if (link) {
            const cdp = await page.context().newCDPSession(page);
            await cdp.send('Network.enable');
            await cdp.send('Network.emulateNetworkConditions', {
              offline: false, latency: link.rtt, downloadThroughput: link.bytesPerSecond, uploadThroughput: link.bytesPerSecond,
            });
          }
          if (door === 'plain <audio>') await page.route('**/assets/player.js*', (route) => route.abort());
          else if (playerScript) {
            await page.route('**/assets/player.js*', (route) => route.fulfill({ contentType: 'text/javascript', body: playerScript }));
          }
          await page.goto(`${herald.url}${doc.html_url}`);
          const ms = await press(page);
          const seen = await (await fetch(`${herald.url}/v1/documents/${doc.id}/progress`)).json();
          await page.close();
          ((results[door] ??= {})[size] ??= []).push(ms);
          ((progress[door] ??= {})[size] ??= []).push(seen.synthesized / seen.sentences);
          console.error(`run ${run + 1} ${size}× ${door}: ${ms.toFixed(0)} ms (${seen.synthesized}/${seen.sentences} sentences synthesized)`);
        } finally {
          await herald.stop();
        }
      }
    }
  }
} finally {
  await browser.close();
}

console.log(`\n| door | ${SIZES.map((s) => `${s}× (ms)`).join(' | ')} | ${SIZES.slice(1).map((s) => `${s}× ÷ 1×`).join(' | ')} | synthesized when audible (20×) |`);
console.log(`|---|${SIZES.map(() => '---').join('|')}|${SIZES.slice(1).map(() => '---').join('|')}|---|`);
for (const door of Object.keys(DOORS)) {
  const medians = SIZES.map((s) => median(results[door][s]));
  const ratios = medians.slice(1).map((m) => (m / medians[0]).toFixed(2));
  const share = median(progress[door][20]) * 100;
  console.log(`| ${door} | ${medians.map((m) => m.toFixed(0)).join(' | ')} | ${ratios.join(' | ')} | ${share.toFixed(1)} % |`);
}
