//! Test support for the audio module: generated signals, and decoding with
//! decoders independent of Herald's encoders (symphonia for WAV, MP3 and
//! FLAC; opus-tools' `opusinfo` and `opusdec` for Ogg Opus).
//!
//! The integration tests include this same file (`tests/common/audio.rs`),
//! so it names the audio functions it uses through `super`.

use std::f64::consts::TAU;
use std::io::{Cursor, ErrorKind};
use std::process::Command;

use symphonia::core::codecs::audio::AudioDecoderOptions;
use symphonia::core::errors::Error;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::{FormatOptions, TrackType};
use symphonia::core::io::MediaSourceStream;
use symphonia::core::meta::MetadataOptions;

/// A sine of `hz` Hz lasting `seconds`, peak `amplitude` (0..1 of full scale).
pub(crate) fn sine(hz: f64, rate: u32, seconds: f64, amplitude: f64) -> Vec<i16> {
    let n = (f64::from(rate) * seconds).round() as usize;
    (0..n).map(|i| (amplitude * 32767.0 * (TAU * hz * i as f64 / f64::from(rate)).sin()).round() as i16).collect()
}

/// Something with speech's shape: voiced "syllables" (a buzz of harmonics
/// whose pitch glides, under a 4 Hz envelope), fricatives, plosives (which
/// give it speech's high peak-to-loudness ratio) and short pauses. `peak` is the largest excursion as a fraction of full scale.
pub(crate) fn speech_like(rate: u32, seconds: f64, peak: f64) -> Vec<i16> {
    let n = (f64::from(rate) * seconds).round() as usize;
    let mut seed: u32 = 0x1234_5678;
    let mut noise = move || {
        seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        f64::from(seed >> 8) / f64::from(1u32 << 24) * 2.0 - 1.0
    };
    let mut phase = 0.0;
    let raw: Vec<f64> = (0..n)
        .map(|i| {
            let t = i as f64 / f64::from(rate);
            let syllable = (t * 4.0).fract();
            let word = (t / 1.5).fract();
            if word > 0.85 {
                return 0.0; // a pause between words
            }
            let envelope = (std::f64::consts::PI * syllable).sin().powi(2);
            let index = (t * 4.0) as u64;
            if index % 3 == 1 && syllable < 0.04 {
                return 6.0 * noise(); // a plosive: brief, and far above the vowels' peaks
            }
            if index % 5 == 3 {
                return 0.3 * envelope * noise(); // a fricative
            }
            let pitch = 120.0 + 40.0 * (TAU * 0.3 * t).sin();
            phase += TAU * pitch / f64::from(rate);
            let buzz: f64 = (1..=12).map(|k| (f64::from(k) * phase).sin() / f64::from(k)).sum();
            envelope * buzz
        })
        .collect();
    let max = raw.iter().fold(0.0f64, |m, x| m.max(x.abs()));
    raw.iter().map(|x| (x / max * peak * 32767.0).round() as i16).collect()
}

/// The frequency of a (mostly) pure tone, from its zero crossings.
pub(crate) fn dominant_frequency(samples: &[i16], rate: u32) -> f64 {
    let crossings: Vec<f64> = samples
        .windows(2)
        .enumerate()
        .filter(|(_, w)| w[0] < 0 && w[1] >= 0)
        .map(|(i, w)| i as f64 + f64::from(w[0]) / (f64::from(w[0]) - f64::from(w[1])))
        .collect();
    assert!(crossings.len() > 2, "no tone to measure");
    let periods = (crossings.len() - 1) as f64;
    f64::from(rate) * periods / (crossings[crossings.len() - 1] - crossings[0])
}

/// Audio as a decoder saw it.
pub(crate) struct Decoded {
    pub rate: u32,
    pub channels: usize,
    pub samples: Vec<i16>,
    /// Bytes of the packets the demuxer found (symphonia only): for MP3, the
    /// whole input if and only if it ends on a frame boundary.
    pub packet_bytes: usize,
}

impl Decoded {
    pub(crate) fn seconds(&self) -> f64 {
        super::seconds(self.samples.len() as u64, self.rate)
    }
}

/// Decodes WAV, MP3 or FLAC with symphonia. Any packet that fails to decode
/// fails the test: a broken frame must not pass as a skipped one.
pub(crate) fn decode(bytes: &[u8], extension: &str) -> Decoded {
    let source = MediaSourceStream::new(Box::new(Cursor::new(bytes.to_vec())), Default::default());
    let mut hint = Hint::new();
    hint.with_extension(extension);
    let mut format = symphonia::default::get_probe()
        .probe(&hint, source, FormatOptions::default(), MetadataOptions::default())
        .unwrap_or_else(|e| panic!("symphonia cannot read this {extension}: {e}"));
    let track = format.default_track(TrackType::Audio).expect("an audio track");
    let track_id = track.id;
    let params = track.codec_params.as_ref().and_then(|p| p.audio()).expect("audio codec parameters");
    let mut decoder = symphonia::default::get_codecs()
        .make_audio_decoder(params, &AudioDecoderOptions::default())
        .expect("a decoder for the track");
    let (mut rate, mut channels, mut samples, mut packet_bytes) = (0, 0, Vec::new(), 0);
    loop {
        let packet = match format.next_packet() {
            Ok(Some(packet)) => packet,
            Ok(None) => break,
            // A WAV stream of unknown length ends where its bytes do.
            Err(Error::IoError(e)) if extension == "wav" && e.kind() == ErrorKind::UnexpectedEof => break,
            Err(e) => panic!("{extension} stream is unreadable: {e}"),
        };
        if packet.track_id != track_id {
            continue;
        }
        packet_bytes += packet.data.len();
        let buffer = decoder.decode(&packet).unwrap_or_else(|e| panic!("{extension} packet failed to decode: {e}"));
        rate = buffer.spec().rate();
        channels = buffer.spec().channels().count();
        let mut interleaved: Vec<i16> = Vec::new();
        buffer.copy_to_vec_interleaved(&mut interleaved);
        samples.extend(interleaved);
    }
    Decoded { rate, channels, samples, packet_bytes }
}

/// Checks an Ogg Opus stream with `opusinfo` (which reports bad granule
/// positions, pre-skip and page structure) and decodes it at 48 kHz with
/// `opusdec`. A stream that was `cut` short must lack only its end-of-stream
/// flag. Returns the decoded audio and opusinfo's report.
pub(crate) fn decode_opus(bytes: &[u8], cut: bool) -> (Decoded, String) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let input = dir.path().join("in.opus");
    let output = dir.path().join("out.wav");
    std::fs::write(&input, bytes).expect("writing the test file");

    let (info_ok, info) = run("opusinfo", Command::new("opusinfo").arg(&input));
    let no_eos = "WARNING: EOS not set on stream 1";
    let problems: Vec<&str> = info
        .lines()
        .filter(|l| l.contains("WARNING") || l.contains("ERROR"))
        .filter(|l| !(cut && l.starts_with(no_eos)))
        .collect();
    assert!(problems.is_empty() && (info_ok || cut), "opusinfo found problems in the stream:\n{info}");
    assert_eq!(info.contains(no_eos), cut, "end-of-stream flag:\n{info}");

    let (decoded_ok, report) =
        run("opusdec", Command::new("opusdec").args(["--quiet", "--rate", "48000"]).arg(&input).arg(&output));
    assert!(decoded_ok, "opusdec failed:\n{report}");

    let mut reader = hound::WavReader::open(&output).expect("opusdec writes a WAV file");
    let spec = reader.spec();
    let samples = reader.samples::<i16>().map(|s| s.expect("a sample")).collect();
    (Decoded { rate: spec.sample_rate, channels: usize::from(spec.channels), samples, packet_bytes: 0 }, info)
}

/// Runs a tool from opus-tools, failing the test (never skipping it) when
/// the tool is missing. Returns whether it succeeded and what it printed.
fn run(tool: &str, command: &mut Command) -> (bool, String) {
    let out = command.output().unwrap_or_else(|e| {
        panic!("cannot run `{tool}` ({e}); the Opus tests need Debian's opus-tools package (scripts/setup.sh)")
    });
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

/// Asserts that decoded audio is mono at `rate`, lasts `seconds` within 1%,
/// and is not silent.
pub(crate) fn assert_plausible(decoded: &Decoded, rate: u32, seconds: f64, what: &str) {
    assert_eq!(decoded.channels, 1, "{what}: channels");
    assert_eq!(decoded.rate, rate, "{what}: sample rate");
    let error = (decoded.seconds() - seconds).abs() / seconds;
    assert!(error < 0.01, "{what}: decoded {:.4} s for {seconds:.4} s of input", decoded.seconds());
    let level = super::rms(&decoded.samples);
    assert!(level > 0.01, "{what}: decoded audio is (nearly) silent, rms {level:.4}");
}
