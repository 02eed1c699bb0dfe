// Ace by DAISY, the EPUB accessibility checker publishers use, on the talking
// books `herald book` makes of a real EPUB 3 (the DAISY Consortium's
// "Fundamental Accessibility Tests", tests/fixtures/books/fatbf.epub) and a
// real EPUB 2 (calibre's German quick start, calibre-quick-start-de.epub,
// made EPUB 3 on the way), and a French and a bilingual EPUB 3
// (vellmark-fr.epub, vellmark-bilingual.epub), as the issue asks: no violation of critical or serious impact that the input book
// did not already have, and a report that shows the media overlays metadata
// and the accessibility claims of synchronized audio. Ace drives Debian's
// Chromium through Puppeteer (no downloaded browser). Both of Ace's reports
// are kept in artifacts/ace/BOOK/input/ and artifacts/ace/BOOK/output/
// (report.html).

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  HERALD_BIN, REPO_ROOT, aceViolations, artifactPath, formatAceViolations, runAce, runCommand,
} from './helpers.mjs';

const countByImpact = (violations) => violations.reduce((n, v) => ({ ...n, [v.impact]: (n[v.impact] || 0) + 1 }), {});
// An EPUB 2 input has no navigation document: Ace's check of it names no
// file ("/undefined"), and the output's made navigation document is checked
// under its own name.
const subjects = (report) => (report.assertions || []).map((a) => a['earl:testSubject']?.url).filter((url) => url !== '/undefined').sort();
const values = (v) => (v === undefined ? [] : [].concat(v));

/** Seconds in a SMIL clock value ("0:11:31.440", "11:31.4", "691.44s", "2min"...). */
function clockSeconds(value) {
  const s = String(value).trim();
  const full = /^(?:(\d+):)?(\d{1,2}):(\d{2}(?:\.\d+)?)$/.exec(s);
  if (full) return Number(full[1] || 0) * 3600 + Number(full[2]) * 60 + Number(full[3]);
  const count = /^(\d+(?:\.\d+)?)(h|min|s|ms)?$/.exec(s);
  if (count) return Number(count[1]) * { h: 3600, min: 60, s: 1, ms: 0.001 }[count[2] || 's'];
  return NaN;
}

const BOOKS = ['fatbf', 'calibre-quick-start-de', 'vellmark-fr', 'vellmark-bilingual'];
const SEVERE = new Set(['critical', 'serious']);

for (const name of BOOKS) {
  describe(name, () => {
    const BOOK = path.join(REPO_ROOT, 'tests', 'fixtures', 'books', `${name}.epub`);
    let work;
    let input;
    let output;

    before(async () => {
      work = await mkdtemp(path.join(tmpdir(), 'herald-book-ace-'));
      const out = path.join(work, 'out.epub');
      // As startHerald: none of the runner's HERALD_* variables (HERALD_BIN...),
      // espeak-ng only, and cwd a temp dir so no ./herald.toml applies.
      const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('HERALD_')));
      env.NO_COLOR = '1';
      env.HERALD_NEURAL_ENABLED = 'false';
      // The input's check needs no book: it runs while Herald speaks.
      const [made, checked] = await Promise.allSettled([
        runCommand(HERALD_BIN, ['book', BOOK, '--out', out, '--quality', 'fast', '--cache-dir', path.join(work, 'cache')], { cwd: work, env, timeoutMs: 150_000 }),
        runAce(BOOK, await artifactPath(path.join('ace', name, 'input')), { timeoutMs: 90_000 }),
      ]);
      if (made.status === 'rejected') throw made.reason;
      assert.ok(!made.value.timedOut, `herald book did not finish within 150 s:\n${made.value.output}`);
      assert.equal(made.value.code, 0, `herald book failed (HERALD_BIN=${HERALD_BIN}):\n${made.value.output}`);
      assert.ok((await stat(out)).size > 0, `herald book wrote ${out}`);
      if (checked.status === 'rejected') throw checked.reason;
      input = checked.value;
      output = await runAce(out, await artifactPath(path.join('ace', name, 'output')), { timeoutMs: 90_000 });
    }, { timeout: 270_000 });

    after(async () => {
      if (work) await rm(work, { recursive: true, force: true });
    });

    test('Ace finds no critical or serious violation in the talking book that the input book did not have', (t) => {
      const found = { input: aceViolations(input), output: aceViolations(output) };
      t.diagnostic(`Ace on the input: ${JSON.stringify(countByImpact(found.input))}; on the output: ${JSON.stringify(countByImpact(found.output))}`);
      // Ace checked every document of the input in the output too (a document
      // that Ace could not open would not fail, it would be missing).
      const missing = subjects(input).filter((s) => !subjects(output).includes(s));
      assert.deepEqual(missing, [], `Ace checked these documents of the input but not of the output; it checked: ${subjects(output).join(', ')}`);
      // Compared by (rule, file): a rule that already failed at critical or
      // serious impact in a file of the input may fail there in the output, at
      // any number of places. Not by count or by element: Herald wraps every
      // sentence in a <span> (so one failing paragraph of the input may fail as
      // several nodes, with other CSS paths, in the output) and adds files (its
      // SMIL, audio and stylesheet), so a count or a selector would move without
      // any new fault; a new rule, a rule in a new file, or a rule that was
      // milder in the input is new and fails here.
      const known = new Set(found.input.filter((v) => SEVERE.has(v.impact)).map((v) => `${v.rule}\u0000${v.file}`));
      const added = found.output.filter((v) => SEVERE.has(v.impact) && !known.has(`${v.rule}\u0000${v.file}`));
      assert.deepEqual(added, [], `critical or serious violations that the input did not have:\n${formatAceViolations(added)}\n\nthe input had:\n${formatAceViolations(found.input)}`);
    });

    test('Ace\'s report shows the media overlays metadata', (t) => {
      const meta = output['earl:testSubject']?.metadata || {};
      const media = Object.fromEntries(Object.entries(meta).filter(([k]) => k.startsWith('media:')));
      t.diagnostic(`media overlays metadata in Ace's report: ${JSON.stringify(media)}`);
      // The input has no media overlays: what is shown is Herald's.
      const inputMeta = input['earl:testSubject']?.metadata || {};
      assert.deepEqual(Object.keys(inputMeta).filter((k) => k.startsWith('media:')), [], 'the input book has no media:* metadata');
      // One media:duration for the whole book (those of each overlay refine their
      // SMIL item, and Ace shows only the package's own), a clock value.
      assert.equal(typeof meta['media:duration'], 'string', `one media:duration for the book: ${JSON.stringify(media)}`);
      const seconds = clockSeconds(meta['media:duration']);
      assert.ok(seconds > 0, `media:duration is a positive clock value: ${meta['media:duration']}`);
      assert.match(String(meta['media:active-class'] || ''), /^-?[_a-zA-Z][-_a-zA-Z0-9]*$/, `media:active-class names a CSS class: ${JSON.stringify(media)}`);
      assert.ok(values(meta['media:narrator']).some((n) => String(n).trim()), `media:narrator names the voices: ${JSON.stringify(media)}`);
    });

    test('Ace\'s report shows the accessibility claims of synchronized audio, and keeps the input\'s', () => {
      const meta = output['earl:testSubject']?.metadata || {};
      const inputMeta = input['earl:testSubject']?.metadata || {};
      const features = values(meta['schema:accessibilityFeature']);
      const modes = values(meta['schema:accessMode']);
      assert.ok(features.includes('synchronizedAudioText'), `schema:accessibilityFeature: ${JSON.stringify(features)}`);
      assert.ok(modes.includes('auditory'), `schema:accessMode: ${JSON.stringify(modes)}`);
      // "Claims the book already makes are kept."
      for (const [key, got] of [['schema:accessibilityFeature', features], ['schema:accessMode', modes]]) {
        const lost = values(inputMeta[key]).filter((v) => !got.includes(v));
        assert.deepEqual(lost, [], `${key} of the input kept: ${JSON.stringify(got)}`);
      }
      // No accessibility metadata that Ace looks for is missing from the output
      // that the input had.
      const missingNow = output['a11y-metadata']?.missing || [];
      const missingBefore = input['a11y-metadata']?.missing || [];
      assert.deepEqual(missingNow.filter((k) => !missingBefore.includes(k)), [], `accessibility metadata missing from the output: ${JSON.stringify(missingNow)}`);
    });
  });
}
