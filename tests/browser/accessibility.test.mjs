// WCAG 2.x A/AA checks with axe-core in headless Chromium on every Herald
// page, plus a deliberately broken page that must fail (so the check can).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  assertNoViolations, startHerald, startBrowser, startStaticServer, createDocument, runAxe, formatViolations, repoFile,
} from './helpers.mjs';

let herald;
let browser;
let statics;

before(async () => {
  herald = await startHerald();
  browser = await startBrowser();
  statics = await startStaticServer();
});

after(async () => {
  await browser?.close();
  await statics?.close();
  await herald?.stop();
});

async function axeOn(url, { colorScheme = 'light' } = {}) {
  const page = await browser.newPage();
  try {
    await page.emulateMedia({ colorScheme });
    const res = await page.goto(url, { waitUntil: 'load' });
    assert.equal(res.status(), 200, `GET ${url}`);
    return await runAxe(page);
  } finally {
    await page.close();
  }
}

test('home page has no axe violations', async () => {
  assertNoViolations(await axeOn(`${herald.url}/`), 'GET /');
});

test('home page with a form error has no axe violations', async () => {
  const page = await browser.newPage();
  try {
    await page.goto(`${herald.url}/`);
    await page.fill('#text', '   ');
    await page.evaluate(() => document.querySelector('#text').removeAttribute('required'));
    await page.click('button[type=submit]');
    await page.waitForSelector('.error[role=alert]');
    assertNoViolations(await runAxe(page), 'POST /d (empty statement error)');
  } finally {
    await page.close();
  }
});

test('reader page of the reference statement has no axe violations', async () => {
  const text = await repoFile('tests/fixtures/nato-japan-joint-statement-2023-04-04.txt');
  const doc = await createDocument(herald.url, { text });
  assertNoViolations(await axeOn(`${herald.url}${doc.html_url}`), `reader page ${doc.html_url} (NATO–Japan statement)`);
});

test('reader page without the player script (the browser\'s player, the download links) has no axe violations', async () => {
  const text = await repoFile('tests/fixtures/nato-japan-joint-statement-2023-04-04.txt');
  const doc = await createDocument(herald.url, { text });
  const page = await browser.newPage();
  try {
    await page.route('**/assets/player.js*', (route) => route.abort());
    const res = await page.goto(`${herald.url}${doc.html_url}`, { waitUntil: 'load' });
    assert.equal(res.status(), 200);
    assertNoViolations(await runAxe(page), `reader page ${doc.html_url} without player.js`);
  } finally {
    await page.close();
  }
});

test('reader page of the mixed French/German/English document has no axe violations', async () => {
  const text = await repoFile('tests/fixtures/lang/mixed-fr-de-en.txt');
  const doc = await createDocument(herald.url, { text });
  assertNoViolations(await axeOn(`${herald.url}${doc.html_url}`), `reader page ${doc.html_url} (mixed fr/de/en)`);
});

test('reader page created through the form (POST /d) has no axe violations', async () => {
  const page = await browser.newPage();
  try {
    await page.goto(`${herald.url}/`);
    await page.fill('#text', '# A heading\n\nA first paragraph in English.\n\n- an item\n- another item\n\n> A quotation.');
    await page.selectOption('#format', 'markdown');
    await Promise.all([page.waitForURL(/\/d\/[0-9a-f]+$/), page.click('button[type=submit]')]);
    assertNoViolations(await runAxe(page), `reader page ${page.url()} (markdown via the form)`);
  } finally {
    await page.close();
  }
});

test('home and reader pages in the dark colour scheme have no axe violations', async () => {
  const text = await repoFile('tests/fixtures/lang/mixed-fr-de-en.txt');
  const doc = await createDocument(herald.url, { text });
  for (const url of [`${herald.url}/`, `${herald.url}${doc.html_url}`]) {
    assertNoViolations(await axeOn(url, { colorScheme: 'dark' }), `${url} (prefers-color-scheme: dark)`);
  }
});

test('the deliberately broken fixture page produces violations', async () => {
  const violations = await axeOn(`${statics.url}/broken.html`);
  const ids = new Set(violations.map((v) => v.id));
  for (const expected of ['image-alt', 'label', 'color-contrast', 'html-has-lang']) {
    assert.ok(ids.has(expected), `expected ${expected} among the violations, got:\n${formatViolations(violations)}`);
  }
});

// WCAG 1.4.10 Reflow: at 320 CSS px nothing needs horizontal scrolling.
test('home and reader pages reflow at 320 CSS px without horizontal scrolling', async () => {
  const doc = await createDocument(herald.url, { text: await repoFile('tests/fixtures/nato-japan-joint-statement-2023-04-04.txt') });
  for (const url of [`${herald.url}/`, `${herald.url}${doc.html_url}`]) {
    const page = await browser.newPage();
    try {
      await page.setViewportSize({ width: 320, height: 640 });
      await page.goto(url, { waitUntil: 'load' });
      const widths = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
      assert.ok(widths.scroll <= widths.client, `${url}: content is ${widths.scroll}px wide in a ${widths.client}px viewport`);
    } finally {
      await page.close();
    }
  }
});
