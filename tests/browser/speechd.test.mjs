// Herald's voices in Chromium's Web Speech API: Chromium started with
// --enable-speech-dispatcher speaks through a real Speech Dispatcher (its
// own daemon on a private socket, audio to a file tap) to which
// `herald speechd install` added Herald's module. The page lists Herald's
// voices, and an utterance in one fires `start` and `end` and reaches the tap.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, mkdir, writeFile, readFile, stat, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { HERALD_BIN, REPO_ROOT, startBrowser } from './helpers.mjs';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A Speech Dispatcher daemon with Herald's module; `stop()` ends it. */
async function startDispatcher() {
  const dir = await mkdtemp(path.join(tmpdir(), 'herald-speechd-'));
  const [home, conf, logs] = ['home', 'conf', 'logs'].map((d) => path.join(dir, d));
  for (const d of [home, conf, logs]) await mkdir(d, { recursive: true });
  const tap = path.join(dir, 'audio.raw');
  await writeFile(path.join(home, '.asoundrc'), `pcm.!default { type file; slave.pcm "null"; file "|exec cat >> ${tap}"; format "raw" }\n`);
  await writeFile(path.join(conf, 'speechd.conf'), 'AudioOutputMethod "alsa"\nAddModule "espeak-ng" "sd_espeak-ng" "espeak-ng.conf"\n');
  const env = { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('HERALD_'))), HOME: home };
  const install = spawnSync(HERALD_BIN, ['speechd', 'install', '--config-dir', conf, '--cache-dir', path.join(dir, 'cache')], { cwd: REPO_ROOT, env });
  assert.equal(install.status, 0, String(install.stderr));
  const socket = path.join(dir, 'speechd.sock');
  const pidFile = path.join(dir, 'speechd.pid');
  // The module logs each message's voices (HERALD_LOG reaches it through the daemon).
  const daemonEnv = { ...env, HERALD_LOG: 'herald::speechd=debug' };
  const daemon = spawnSync('speech-dispatcher', ['-d', '-t', '0', '-C', conf, '-c', 'unix_socket', '-S', socket, '-P', pidFile, '-L', logs], { env: daemonEnv, stdio: 'ignore' });
  assert.equal(daemon.status, 0, 'speech-dispatcher starts (./scripts/setup.sh --test installs it)');
  for (let i = 0; i < 200 && !existsSync(socket); i++) await sleep(50);
  assert.ok(existsSync(socket), 'speech-dispatcher listens');
  return {
    address: `unix_socket:${socket}`,
    home,
    tapBytes: async () => (await stat(tap).catch(() => ({ size: 0 }))).size,
    moduleLog: () => readFile(path.join(logs, 'herald.log'), 'utf8').catch(() => ''),
    stop: async () => {
      const pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim());
      if (pid) { try { process.kill(pid, 'SIGTERM'); } catch { /* gone */ } }
      await sleep(300);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

let speechd;
let browser;

before(async () => {
  speechd = await startDispatcher();
  browser = await startBrowser({
    args: ['--enable-speech-dispatcher'],
    env: { ...process.env, HOME: speechd.home, SPEECHD_ADDRESS: speechd.address },
  });
});

after(async () => {
  await browser?.close();
  await speechd?.stop();
});

test('Chromium lists Herald\'s voices and speaks with one: start, end, audio', async () => {
  const page = await browser.newPage();
  await page.setContent('<!doctype html><html lang="en"><title>Speech</title><body></body></html>');
  const voices = await page.evaluate(() => new Promise((resolve) => {
    const list = () => speechSynthesis.getVoices().map((v) => ({ name: v.name, lang: v.lang }));
    const done = () => { const now = list(); if (now.some((v) => v.name.includes('(espeak-ng, fast)'))) resolve(now); };
    speechSynthesis.addEventListener('voiceschanged', done);
    done();
    setTimeout(() => resolve(list()), 15_000);
  }));
  const herald = voices.filter((v) => /\((espeak-ng|piper|kokoro), (fast|natural)\)/.test(v.name));
  assert.ok(herald.some((v) => v.name.includes('(espeak-ng, fast)')), `Herald's fast voices: ${JSON.stringify(voices.slice(0, 20))}`);
  assert.ok(herald.some((v) => v.name.includes('(piper, natural)')), 'the Piper voice (./scripts/setup.sh installs it)');
  const voice = herald.find((v) => v.name.includes('(espeak-ng, fast)') && v.lang.startsWith('en'));
  assert.ok(voice, 'an English fast voice');
  const before = await speechd.tapBytes();
  const events = await page.evaluate((name) => new Promise((resolve) => {
    const events = [];
    const utterance = new SpeechSynthesisUtterance('Hello from Herald, in the browser.');
    utterance.voice = speechSynthesis.getVoices().find((v) => v.name === name);
    utterance.onstart = () => events.push('start');
    utterance.onend = () => { events.push('end'); resolve(events); };
    utterance.onerror = (e) => { events.push(`error ${e.error}`); resolve(events); };
    speechSynthesis.speak(utterance);
    setTimeout(() => resolve(events), 20_000);
  }), voice.name);
  assert.deepEqual(events, ['start', 'end']);
  let after = before;
  for (let i = 0; i < 100 && after <= before; i++) { await sleep(50); after = await speechd.tapBytes(); }
  assert.ok(after > before, 'the utterance\'s audio reached the tap');
  assert.match(await speechd.moduleLog(), /speaking 1 voices=espeak:/, 'Herald spoke it');
});
