// The Listen button when Herald is set up with keys: a secret key (never in
// a page) and a publishable key bound to the host page's origin. With the
// key in `data-herald-key` the button plays; without it Herald refuses.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startHerald, startBrowser, startStaticServer } from './helpers.mjs';

const KEY = 'pk_browser_test_0123456789';
let herald;
let browser;
let host;
let configDir;

before(async () => {
  host = await startStaticServer();
  configDir = await mkdtemp(path.join(tmpdir(), 'herald-keys-'));
  const config = path.join(configDir, 'herald.toml');
  await writeFile(config, [
    '[keys]',
    'secret = ["a-secret-that-stays-on-servers"]',
    '[[keys.publishable]]',
    'name = "courier"',
    `key = "${KEY}"`,
    `origins = ["${host.url}"]`,
    'per_minute = 30',
    'daily_characters = 100000',
    '',
  ].join('\n'));
  herald = await startHerald({ args: ['--config', config] });
  host.vars.HERALD = herald.url;
  host.vars.KEY = KEY;
  browser = await startBrowser();
});

after(async () => {
  await browser?.close();
  await host?.close();
  await herald?.stop();
  if (configDir) await rm(configDir, { recursive: true, force: true });
});

async function listen(file) {
  const page = await browser.newPage();
  const answers = [];
  page.on('response', (r) => { if (r.url().startsWith(`${herald.url}/v1/documents`) && r.request().method() === 'POST') answers.push(r.status()); });
  await page.goto(`${host.url}/${file}`, { waitUntil: 'load' });
  await page.waitForFunction(() => document.querySelector('[data-herald-listen]')?.shadowRoot?.querySelector('button'), null, { timeout: 10_000 });
  await page.locator('[data-herald-listen]').getByRole('button', { name: 'Listen', exact: true }).click();
  return { page, answers };
}

test('with a publishable key for its origin, the Listen button plays while secret keys are set', async () => {
  const { page, answers } = await listen('host-key.html');
  try {
    await page.waitForFunction(() => {
      const probe = document.querySelector('[data-herald-listen]').shadowRoot.querySelector('.status');
      return probe && /Paragraph \d+ of \d+/.test(probe.textContent);
    }, null, { timeout: 60_000 });
    assert.deepEqual(answers, [201], 'the document was created with the key');
    const html = await page.content();
    assert.ok(!html.includes('a-secret-that-stays-on-servers'));
  } finally {
    await page.close();
  }
});

test('without a key, the same origin is refused and the button says so', async () => {
  const { page, answers } = await listen('host.html');
  try {
    await page.waitForFunction(() => [...document.querySelector('[data-herald-listen]').shadowRoot.querySelectorAll('[role=status]')].some((e) => e.textContent === 'Listening is not available'), null, { timeout: 10_000 });
    assert.deepEqual(answers, [401]);
  } finally {
    await page.close();
  }
});
