// The reading page has one player (player.js) in headless Chromium, as a
// screen reader meets it: Play is heard, Chromium's own accessibility tree
// holds one Play/Pause button and one "Play from" button (the browser's
// <audio> controls are gone from it), and a Tab walk from the top of the
// page meets each control once, in order, with as many Tab stops for a
// three-paragraph document as for the reference statement and for forty
// paragraphs.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startHerald, startBrowser, createDocument, repoFile, openPlayer, playerState, playButton } from './helpers.mjs';

let herald;
let browser;
let referenceUrl; // the reference statement: a title, a byline and ten paragraphs
const pages = {}; // name -> { url, paragraphs }

before(async () => {
  herald = await startHerald();
  browser = await startBrowser();
  const reference = await repoFile('tests/fixtures/nato-japan-joint-statement-2023-04-04.txt');
  const texts = {
    short: 'A short statement\n\nThe first paragraph is brief.\n\nThe second one is brief too.\n\nThe third closes it.',
    reference,
    long: ['A long statement', ...Array.from({ length: 40 }, (_, k) => `This is paragraph number ${k + 1} of a long statement.`)].join('\n\n'),
  };
  for (const [name, text] of Object.entries(texts)) {
    const doc = await createDocument(herald.url, { text });
    pages[name] = { url: `${herald.url}${doc.html_url}`, paragraphs: doc.paragraphs.length };
  }
  assert.deepEqual([pages.short.paragraphs, pages.long.paragraphs], [4, 41]);
  assert.ok(pages.reference.paragraphs >= 10, `the reference statement has ${pages.reference.paragraphs} paragraphs`);
  referenceUrl = pages.reference.url;
});

after(async () => {
  await browser?.close();
  await herald?.stop();
});

/** Chromium's accessibility tree, as assistive technology gets it: the nodes not ignored. */
async function axNodes(page) {
  const cdp = await page.context().newCDPSession(page);
  try {
    const { nodes } = await cdp.send('Accessibility.getFullAXTree');
    return nodes.filter((n) => !n.ignored).map((n) => ({
      role: n.role?.value ?? '',
      name: n.name?.value ?? '',
      focused: (n.properties ?? []).some((p) => p.name === 'focused' && p.value?.value === true),
    }));
  } finally {
    await cdp.detach();
  }
}

/** The buttons of the accessibility tree whose names are about playing. */
async function playButtons(page) {
  const nodes = await axNodes(page);
  return nodes.filter((n) => n.role === 'button' && /play|pause/i.test(n.name)).map((n) => n.name);
}

/**
 * Presses Tab from the top of the page until focus leaves it or comes
 * round again; returns the role and accessible name (from Chromium's
 * accessibility tree) of every focused element, in order.
 */
async function tabWalk(page) {
  await page.evaluate(() => {
    document.activeElement?.blur();
    window.scrollTo(0, 0);
  });
  const stops = [];
  const seen = new Set();
  for (let presses = 0; presses < 100; presses++) {
    await page.keyboard.press('Tab');
    const key = await page.evaluate(() => {
      const e = document.activeElement;
      return e && e !== document.body ? [...document.querySelectorAll('*')].indexOf(e) : null;
    });
    if (key === null || seen.has(key)) break; // left the page, or came round again
    seen.add(key);
    // The document is focused too; the element within it is the stop.
    const focused = (await axNodes(page)).filter((n) => n.focused && n.role !== 'RootWebArea');
    assert.equal(focused.length, 1, `one focused node in the accessibility tree: ${JSON.stringify(focused)}`);
    stops.push(`${focused[0].role} "${focused[0].name}"`);
  }
  return stops;
}

test('pressing Play (with the keyboard, as a screen reader user does) is heard: currentTime advances', async (t) => {
  const { page } = await openPlayer(browser, referenceUrl);
  try {
    await playButton(page).focus();
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => {
      const a = document.getElementById('player');
      return (!a.paused && a.currentTime > 0.5) || window.__heraldProbe.errors.length > 0;
    }, null, { timeout: 30_000 });
    const first = await playerState(page);
    assert.deepEqual(first.errors, []);
    await page.waitForFunction((t0) => document.getElementById('player').currentTime > t0 + 0.5, first.currentTime, { timeout: 10_000 });
    const later = await playerState(page);
    t.diagnostic(`currentTime ${first.currentTime.toFixed(2)} → ${later.currentTime.toFixed(2)} s of paragraph ${later.paragraph}`);
    assert.equal(later.paused, false);
    assert.equal(await playButton(page).textContent(), 'Pause');
    // The position says where the player is.
    const position = await page.locator('#player-controls .position').textContent();
    assert.match(position, /^Position: (the title|paragraph \d+ of \d+)(, sentence \d+( of \d+)?)?$/, position);
  } finally {
    await page.close();
  }
});

test('the accessibility tree has one Play/Pause button and one "Play from" button, paused and playing', async () => {
  const { page } = await openPlayer(browser, referenceUrl);
  try {
    const paused = await playButtons(page);
    assert.deepEqual(paused, ['Play', 'Play from the title'], `buttons about playing while paused: ${JSON.stringify(paused)}`);
    const nodes = await axNodes(page);
    assert.deepEqual(nodes.filter((n) => n.name === 'The whole statement'), [], 'the <audio> with its browser controls is out of the tree');
    assert.equal(await page.locator('#player').getAttribute('controls'), null, 'the <audio> has no browser controls');
    assert.equal(await page.locator('#player').isVisible(), false, 'the <audio> is not shown');

    await page.evaluate(() => document.getElementById('p5').focus());
    assert.deepEqual(await playButtons(page), ['Play', 'Play from paragraph 5'], 'the one "Play from" button follows the focused paragraph');

    await playButton(page).click();
    await page.waitForFunction(() => !document.getElementById('player').paused && document.getElementById('player').currentTime > 0.2, null, { timeout: 30_000 });
    const playing = await playButtons(page);
    assert.deepEqual(playing, ['Pause', 'Play from paragraph 5'], `buttons about playing while playing: ${JSON.stringify(playing)}`);
  } finally {
    await page.close();
  }
});

test('a Tab walk meets Play, Previous, Next, Play from and Speed once each, in order, and no more stops for more paragraphs', async (t) => {
  const walks = {};
  for (const [name, { url }] of Object.entries(pages)) {
    const { page } = await openPlayer(browser, url);
    try {
      walks[name] = await tabWalk(page);
    } finally {
      await page.close();
    }
  }
  t.diagnostic(`Tab stops: ${walks.reference.join(' → ')}`);
  const controls = ['button "Play"', 'button "Previous sentence"', 'button "Next sentence"', 'button "Play from the title"', 'combobox "Speed"'];
  for (const [name, stops] of Object.entries(walks)) {
    const at = stops.indexOf(controls[0]);
    assert.ok(at > 0, `${name}: the Play button is a Tab stop after the page's links:\n${stops.join('\n')}`);
    assert.deepEqual(stops.slice(at, at + controls.length), controls, `${name}: the player's controls are not consecutive Tab stops in this order:\n${stops.join('\n')}`);
    for (const control of controls) {
      assert.equal(stops.filter((s) => s === control).length, 1, `${name}: ${control} is met once:\n${stops.join('\n')}`);
    }
    assert.equal(stops.filter((s) => /play/i.test(s)).length, 2, `${name}: two Tab stops about playing:\n${stops.join('\n')}`);
    assert.deepEqual(stops.filter((s) => /^(Audio|video|slider)/i.test(s)), [], `${name}: no browser media controls:\n${stops.join('\n')}`);
  }
  assert.deepEqual(walks.reference, walks.short, `${pages.reference.paragraphs} paragraphs have the same Tab stops as ${pages.short.paragraphs}`);
  assert.deepEqual(walks.long, walks.short, `${pages.long.paragraphs} paragraphs have the same Tab stops as ${pages.short.paragraphs}`);
});
