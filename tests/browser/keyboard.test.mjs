// Keyboard use of the reader page in headless Chromium: Tab order from the
// top, the skip link, and a visible focus indicator on every stop, with
// player.js and without it (the browser's <audio controls>). Each test with
// the script waits for it to finish (it replaces the browser's controls
// with its own and wraps words), so the page does not change under the
// test; player.test.mjs covers the player's own controls.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startHerald, startBrowser, createDocument, repoFile, artifactPath } from './helpers.mjs';

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

async function openReader() {
  const page = await browser.newPage();
  await page.goto(readerUrl);
  await page.waitForSelector('article.has-player', { timeout: 20_000 });
  return page;
}

/** The reader page as it is without JavaScript's player. */
async function openReaderWithoutScript() {
  const page = await browser.newPage();
  await page.route('**/assets/player.js*', (route) => route.abort());
  await page.goto(readerUrl);
  return page;
}

// Describes document.activeElement: a stable key, whether the element itself
// matches :focus (false while focus is inside an <audio>'s built-in
// controls, which live in the browser's own shadow tree), its focus styling
// and whether it is on screen.
function describeFocus(page) {
  return page.evaluate(() => {
    const e = document.activeElement;
    const all = [...document.querySelectorAll('*')];
    const cs = getComputedStyle(e);
    const r = e.getBoundingClientRect();
    return {
      key: `${e.tagName.toLowerCase()}#${all.indexOf(e)}`,
      tag: e.tagName.toLowerCase(),
      index: all.indexOf(e),
      cls: e.className || '',
      href: e.getAttribute('href'),
      label: e.getAttribute('aria-label') || e.textContent.trim().slice(0, 60),
      selfFocused: e.matches(':focus'),
      outlineStyle: cs.outlineStyle,
      outlineWidth: parseFloat(cs.outlineWidth) || 0,
      boxShadow: cs.boxShadow,
      onScreen: r.width > 0 && r.height > 0 && r.bottom > 0 && r.right > 0
        && r.top < window.innerHeight && r.left < window.innerWidth,
    };
  });
}

// A screenshot of an element with a margin, so an outline drawn outside its
// box (outline-offset) is in the picture.
async function shotAround(page, locator, path, margin = 8) {
  const box = await locator.boundingBox();
  const clip = { x: Math.max(0, box.x - margin), y: Math.max(0, box.y - margin), width: box.width + 2 * margin, height: box.height + 2 * margin };
  return page.screenshot({ clip, ...(path ? { path } : {}) });
}

const hasIndicator = (f) => (f.outlineStyle !== 'none' && f.outlineWidth > 0) || (f.boxShadow && f.boxShadow !== 'none');
const show = (f) => `${f.tag}${f.cls ? `.${f.cls}` : ''} "${f.label}"`;

test('Tab from the top: skip link, brand link, then every visible control in document order', async () => {
  const page = await openReader();
  try {
    const audioIndexes = await page.evaluate(() => {
      const all = [...document.querySelectorAll('*')];
      return [...document.querySelectorAll('audio')].filter((a) => a.checkVisibility()).map((a) => all.indexOf(a));
    });
    assert.deepEqual(audioIndexes, [], 'no browser player is shown beside Herald\'s');
    assert.ok(await page.locator('#player-controls').isVisible(), 'the reader page shows its player');

    const stops = [];
    const seen = new Set();
    for (let presses = 0; presses < 400; presses++) {
      await page.keyboard.press('Tab');
      const f = await describeFocus(page);
      if (f.tag === 'body') break; // left the page
      if (f.selfFocused) {
        assert.ok(hasIndicator(f), `no visible focus indicator on ${show(f)}: outline ${f.outlineStyle} ${f.outlineWidth}px, box-shadow ${f.boxShadow}`);
        assert.ok(f.onScreen, `focused ${show(f)} is off screen`);
      }
      if (stops.at(-1)?.key === f.key) continue; // inside the same <audio>'s controls
      if (seen.has(f.key)) break; // wrapped around
      seen.add(f.key);
      stops.push(f);
    }
    const order = stops.map(show);
    assert.ok(stops.length >= 3, `too few Tab stops: ${order.join(' → ')}`);
    assert.equal(stops[0].tag, 'a', `first stop: ${order[0]}`);
    assert.equal(stops[0].cls, 'skip', `first stop must be the skip link, got ${order[0]}`);
    assert.equal(stops[0].href, '#main');
    assert.equal(stops[1].tag, 'a', `second stop: ${order[1]}`);
    assert.equal(stops[1].href, '/', `second stop must be the brand link, got ${order[1]}`);
    assert.equal(stops[1].label, 'Herald');

    const audioStops = stops.filter((s) => s.tag === 'audio').map((s) => s.index);
    assert.deepEqual(audioStops, audioIndexes, `audio players not reached in document order:\n${order.join('\n')}`);
    // Document order overall, too.
    const indexes = stops.map((s) => s.index);
    assert.deepEqual(indexes, [...indexes].sort((a, b) => a - b), `Tab order differs from document order:\n${order.join('\n')}`);
    // Only links, players and the player's controls: nothing unexpected is focusable.
    for (const s of stops) assert.ok(['a', 'audio', 'button', 'select', 'summary'].includes(s.tag), `unexpected Tab stop ${show(s)}`);
    const buttons = await page.evaluate(() => document.querySelectorAll('main button').length);
    assert.equal(stops.filter((s) => s.tag === 'button').length, buttons, `not every button is a Tab stop:\n${order.join('\n')}`);
  } finally {
    await page.close();
  }
});

test('Enter on the skip link moves to main', async () => {
  const page = await openReader();
  try {
    await page.keyboard.press('Tab');
    const skip = await describeFocus(page);
    assert.equal(skip.cls, 'skip');
    assert.ok(skip.onScreen, 'the skip link is visible once focused');
    await page.screenshot({ path: await artifactPath('keyboard-skip-link-focused.png') });

    await page.keyboard.press('Enter');
    await page.waitForFunction(() => location.hash === '#main');
    const after = await page.evaluate(() => ({
      mainTop: document.querySelector('main').getBoundingClientRect().top,
      scrollY: window.scrollY,
      activeInMain: document.querySelector('main').contains(document.activeElement),
      active: document.activeElement.tagName.toLowerCase(),
    }));
    assert.ok(after.scrollY > 0, `the page did not scroll to main (scrollY ${after.scrollY})`);
    assert.ok(Math.abs(after.mainTop) <= 2, `main is not at the top of the viewport (top ${after.mainTop}px)`);
    assert.ok(after.activeInMain || after.active === 'body', `focus left on ${after.active} outside main`);

    // The sequential navigation starting point is now main: the next Tab
    // lands on main's first control, not back on the brand link.
    await page.keyboard.press('Tab');
    const next = await page.evaluate(() => ({
      inMain: document.querySelector('main').contains(document.activeElement),
      what: `${document.activeElement.tagName.toLowerCase()} ${document.activeElement.getAttribute('aria-label') || ''}`,
    }));
    assert.ok(next.inMain, `Tab after the skip link went to ${next.what}, outside main`);
  } finally {
    await page.close();
  }
});

test('focused links and the Play button show a visible focus indicator (screenshots in tests/browser/artifacts/)', async () => {
  const page = await openReader();
  try {
    await page.keyboard.press('Tab'); // skip link
    await page.keyboard.press('Tab'); // brand link
    const brand = await describeFocus(page);
    assert.equal(brand.href, '/');
    assert.ok(hasIndicator(brand), `brand link: outline ${brand.outlineStyle} ${brand.outlineWidth}px, box-shadow ${brand.boxShadow}`);
    await page.screenshot({ path: await artifactPath('keyboard-brand-link-focused.png') });

    await page.keyboard.press('Tab'); // the player's Play button
    const play = await describeFocus(page);
    assert.equal(`${play.tag} ${play.label}`, 'button Play', `the third stop is the Play button, got ${show(play)}`);
    assert.ok(play.selfFocused && hasIndicator(play) && play.onScreen, `Play button: outline ${play.outlineStyle} ${play.outlineWidth}px`);
  } finally {
    await page.close();
  }
});

test('without the player script, Tab reaches the browser\'s player of the whole document, with a visible focus indicator', async () => {
  const page = await openReaderWithoutScript();
  try {
    assert.equal(await page.locator('audio').count(), 1, 'one player, for the whole document: none per paragraph');
    await page.keyboard.press('Tab'); // skip link
    await page.keyboard.press('Tab'); // brand link
    await page.keyboard.press('Tab'); // the whole-document player
    const player = await describeFocus(page);
    assert.equal(player.tag, 'audio');
    assert.ok(player.selfFocused && hasIndicator(player), `whole-document player: outline ${player.outlineStyle} ${player.outlineWidth}px`);
    const audio = page.locator('audio').first();
    const focusedShot = await shotAround(page, audio, await artifactPath('keyboard-audio-focused.png'));

    // One more Tab moves into the player's built-in controls; their focus
    // ring is the browser's own, so compare pixels with the blurred player.
    await page.keyboard.press('Tab');
    const inner = await describeFocus(page);
    assert.equal(inner.key, player.key, 'the second Tab on the player stays in its controls');
    {
      const innerShot = await shotAround(page, audio, await artifactPath('keyboard-audio-control-focused.png'));
      await page.evaluate(() => document.activeElement.blur());
      const blurred = await shotAround(page, audio);
      assert.notDeepEqual(innerShot, blurred, 'focus on the player\'s built-in control is not visible');
      assert.notDeepEqual(focusedShot, blurred, 'focus on the player is not visible');
    }
  } finally {
    await page.close();
  }
});
