// Hostile statements in headless Chromium: Herald's pages must show them as
// text and never run them (no dialog, no injected script, image, handler or
// javascript: link).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startHerald, startBrowser, createDocument } from './helpers.mjs';

let herald;
let browser;

before(async () => {
  herald = await startHerald();
  browser = await startBrowser();
});

after(async () => {
  await browser?.close();
  await herald?.stop();
});

const PAYLOADS = [
  '<script>alert(1)</script>',
  '<img src=x onerror=alert(2)>',
  '[x](javascript:alert(3))',
];

// Opens a page, records every dialog (dismissing it) and every page error.
async function openWatched(url, { action } = {}) {
  const page = await browser.newPage();
  const dialogs = [];
  const pageErrors = [];
  page.on('dialog', (dialog) => {
    dialogs.push(`${dialog.type()}: ${dialog.message()}`);
    dialog.dismiss().catch(() => {});
  });
  page.on('pageerror', (error) => pageErrors.push(String(error)));
  if (url) await page.goto(url, { waitUntil: 'load' });
  if (action) await action(page);
  // Once the network is quiet, any injected handler (onerror of a failing
  // image...) has had its cause.
  await page.waitForLoadState('networkidle');
  return { page, dialogs, pageErrors };
}

// Everything on the page that could run script.
function activeContent(page, heraldOrigin) {
  return page.evaluate((origin) => {
    const scripts = [...document.querySelectorAll('script')]
      // Herald's own scripts, if it ever has any, come from its /assets/.
      .filter((s) => !(s.src && s.src.startsWith(`${origin}/assets/`)))
      .map((s) => s.outerHTML);
    const handlers = [...document.querySelectorAll('*')]
      .filter((e) => [...e.attributes].some((a) => a.name.toLowerCase().startsWith('on')))
      .map((e) => e.outerHTML.slice(0, 200));
    const jsUrls = [...document.querySelectorAll('[href], [src], [action], [formaction]')]
      .filter((e) => ['href', 'src', 'action', 'formaction']
        .some((n) => /^\s*javascript:/i.test(e.getAttribute(n) || '')))
      .map((e) => e.outerHTML.slice(0, 200));
    const embeds = [...document.querySelectorAll('img, iframe, object, embed, svg, math, base, meta[http-equiv]')]
      .map((e) => e.outerHTML.slice(0, 200));
    return { scripts, handlers, jsUrls, embeds };
  }, heraldOrigin);
}

async function assertInert(watched, what) {
  const { page, dialogs, pageErrors } = watched;
  assert.deepEqual(dialogs, [], `${what}: a dialog opened`);
  assert.deepEqual(pageErrors, [], `${what}: script errors on the page`);
  const active = await activeContent(page, herald.url);
  assert.deepEqual(active, { scripts: [], handlers: [], jsUrls: [], embeds: [] }, `${what}: active content injected`);
}

for (const payload of PAYLOADS) {
  test(`plain text ${payload} is shown literally in the title, heading and body`, async () => {
    // The first paragraph becomes the title (<title> and <h1>); the second is a body paragraph.
    const text = `${payload}\n\nA statement that quotes ${payload} in its body.`;
    const doc = await createDocument(herald.url, { text, format: 'text' });
    const watched = await openWatched(`${herald.url}${doc.html_url}`);
    try {
      await assertInert(watched, `reader page of ${JSON.stringify(text)}`);
      const { page } = watched;
      assert.equal(await page.locator('h1').innerText(), payload);
      assert.ok((await page.title()).startsWith(payload), `<title> is ${JSON.stringify(await page.title())}`);
      const body = await page.locator('.para[data-role=body] p').first().innerText();
      assert.equal(body, `A statement that quotes ${payload} in its body.`);
    } finally {
      await watched.page.close();
    }
  });

  test(`markdown ${payload} renders as inert text`, async () => {
    const text = `# Markdown with ${payload} inside\n\nBefore ${payload} after.\n\n- an item ${payload}\n\n> a quote ${payload}`;
    const doc = await createDocument(herald.url, { text, format: 'markdown' });
    const watched = await openWatched(`${herald.url}${doc.html_url}`);
    try {
      await assertInert(watched, `reader page of markdown ${JSON.stringify(text)}`);
      const { page } = watched;
      // Whatever Herald kept of the statement is on the page as plain text.
      const mainText = await page.locator('main').innerText();
      for (const p of doc.paragraphs) {
        assert.ok(mainText.includes(p.text), `paragraph ${p.index} ${JSON.stringify(p.text)} is not shown literally in:\n${mainText}`);
      }
      assert.equal(await page.locator('main a').count(), await page.locator('main a[href^="/v1/documents/"]').count(),
        'a link other than Herald\'s own audio links was rendered');
    } finally {
      await watched.page.close();
    }
  });
}

test('the home form re-shows a hostile statement inertly in its textarea after an error', async () => {
  const payload = `</textarea>${PAYLOADS.join(' ')}<textarea>`;
  const watched = await openWatched(`${herald.url}/`, {
    action: async (page) => {
      await page.fill('#text', payload);
      await page.fill('#lang', 'not a language!');
      await Promise.all([page.waitForLoadState('load'), page.click('button[type=submit]')]);
      await page.waitForSelector('.error[role=alert]');
    },
  });
  try {
    await assertInert(watched, 'home page with a form error');
    assert.equal(await watched.page.inputValue('#text'), payload);
    assert.equal(await watched.page.locator('textarea').count(), 1);
  } finally {
    await watched.page.close();
  }
});

test('a hostile statement submitted through the form is shown literally', async () => {
  const payload = PAYLOADS.join(' and ');
  const watched = await openWatched(`${herald.url}/`, {
    action: async (page) => {
      await page.fill('#text', `Title\n\nThe text ${payload} ends here.`);
      await Promise.all([page.waitForURL(/\/d\/[0-9a-f]+$/), page.click('button[type=submit]')]);
    },
  });
  try {
    await assertInert(watched, 'reader page created through the form');
    assert.equal(await watched.page.locator('.para p').first().innerText(), `The text ${payload} ends here.`);
  } finally {
    await watched.page.close();
  }
});
