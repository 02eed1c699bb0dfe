//! Each `<par>`'s target is the text its clip speaks: every clip of a
//! talking book is cut from its chapter's MP3 and transcribed by a speech
//! recogniser (Whisper base, `tests/judge/whisper.py`), which must hear the
//! sentence the par points at no worse than the sentences just before and
//! after it, and better where the sentence has a few words, so that a clip
//! shifted by one sentence, or a par pointing at text other than what was
//! said, fails.

use super::book;
use super::common::{self, judge};
use super::sync::{assert_synced, Clip};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The largest word error rate over the whole book's clips against their
/// pars' text. Whisper base hears espeak-ng's English with a few errors
/// (names, short headings): about 0.08 on the reference statement, where a
/// clip against its neighbour's text scores 0.6 to 8.
const BOOK_WER: f64 = 0.15;
/// Words from which a clip must match its own sentence strictly better
/// than its neighbours.
const LONG_WORDS: usize = 4;

/// Writes each clip's samples, cut from its decoded chapter audio, to a WAV in `dir`.
fn cut(clips: &[Clip], files: &std::collections::BTreeMap<String, Vec<u8>>, dir: &Path) -> Vec<PathBuf> {
    let mut decoded = HashMap::new();
    clips
        .iter()
        .enumerate()
        .map(|(i, clip)| {
            let audio = decoded
                .entry(clip.audio.clone())
                .or_insert_with(|| common::audio::decode_any(&files[&clip.audio], "mp3"));
            assert_eq!(audio.channels, 1, "{} is mono", clip.audio);
            let at = |seconds: f64| ((seconds * audio.rate as f64) as usize).min(audio.samples.len());
            let path = dir.join(format!("clip-{i:04}.wav"));
            let spec = hound::WavSpec {
                channels: 1,
                sample_rate: audio.rate,
                bits_per_sample: 16,
                sample_format: hound::SampleFormat::Int,
            };
            let mut wav = hound::WavWriter::create(&path, spec).unwrap();
            for sample in &audio.samples[at(clip.begin)..at(clip.end)] {
                wav.write_sample(*sample).unwrap();
            }
            wav.finalize().unwrap();
            path
        })
        .collect()
}

#[test]
fn every_par_points_at_the_sentence_its_clip_speaks() {
    let dir = tempfile::tempdir().unwrap();
    let input = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/nato-japan-joint-statement-2023-04-04.txt");
    let out = dir.path().join("statement.epub");
    let output = book(&input, &out, &dir.path().join("cache"), &[]);
    assert!(output.status.success(), "herald book failed: {}", String::from_utf8_lossy(&output.stderr));
    let synced = assert_synced(&out, "EPUB/package.opf", &[], &[]);
    assert!(synced.clips.len() >= 20, "only {} clips", synced.clips.len());

    let wavs = cut(&synced.clips, &synced.files, dir.path());
    let texts: Vec<&str> = synced.clips.iter().map(|c| c.text.as_str()).collect();
    // Each clip against its own sentence, then its neighbours in reading order.
    let requests: Vec<judge::Clip> = wavs
        .iter()
        .enumerate()
        .map(|(i, wav)| {
            let neighbours = [i.checked_sub(1), Some(i + 1).filter(|n| *n < texts.len())];
            let references = std::iter::once(texts[i]).chain(neighbours.into_iter().flatten().map(|n| texts[n]));
            judge::Clip { wav, language: "en", references: references.collect() }
        })
        .collect();
    let heard = judge::transcribe(&requests);

    let (mut edits, mut words) = (0, 0);
    for ((clip, request), heard) in synced.clips.iter().zip(&requests).zip(&heard) {
        let own = &heard.scores[0];
        edits += own.edits;
        words += own.units;
        let report =
            format!("{:?} ({:.2}–{:.2} s) was heard as {:?}", clip.text, clip.begin, clip.end, heard.hypothesis);
        let others: Vec<f64> = heard.scores[1..].iter().map(|s| s.rate).collect();
        eprintln!("WER {:.2} (neighbours {others:?}): {report}", own.rate);
        // A clip never matches a neighbour better than its own text, and a
        // sentence of a few words or more matches its own text strictly
        // better (a two-word heading misheard whole ties with anything).
        let long = clip.text.split_whitespace().count() >= LONG_WORDS;
        for (neighbour, score) in request.references[1..].iter().zip(&heard.scores[1..]) {
            assert!(own.rate <= score.rate, "{report}, which matches {neighbour:?} better than its own text");
            assert!(!long || own.rate < score.rate, "{report}, which matches {neighbour:?} as well as its own text");
        }
    }
    let book_wer = edits as f64 / words as f64;
    assert!(book_wer <= BOOK_WER, "the book's clips have a WER of {book_wer:.3} against their pars' text");
}
