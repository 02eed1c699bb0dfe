//! A Piper voice split into encoder and decoder (`scripts/piper_split.py`,
//! run by the setup) streams inside a sentence: its first frames reach the
//! sink while the rest are still to be decoded, so a cancel then stops the
//! sentence after its first run. One engine in this process (ONNX Runtime
//! allows one environment per process), so one test.

mod common;

use herald::engine::neural::discover;
use herald::engine::piper::{Piper, PiperSetup};
use herald::engine::{Cancellation, Engine, Flow, MarkKind, SynthEvent, SynthesisRequest};

#[test]
fn a_long_sentence_streams_and_a_cancel_at_its_first_audio_stops_it_there() {
    let found = discover::find(None, &[common::neural_dir()]).expect("./scripts/setup.sh installs the runtime");
    let setup = PiperSetup::find(&found, 1, 22_050).expect("./scripts/setup.sh installs a voice");
    assert!(!setup.parts.is_empty(), "./scripts/setup.sh splits the voice it installs");
    let mut piper = Piper::new(&setup).expect("the neural engine starts");
    assert!(piper.info().version.ends_with("; streamed"), "{}", piper.info().version);
    let voice = piper.voices()[0].identifier.clone();
    let text = "Welcome to NATO Headquarters, it is great to see you again, and we met not so many weeks ago \
                in Tokyo, because no other partner is closer and more capable than Japan.";
    let request = SynthesisRequest { text: text.into(), voice, rate: 175, pitch: 50, max_samples: u64::MAX };

    // Whole: every word is marked, within the audio, in order.
    let (mut samples, mut words) = (0u64, Vec::new());
    let outcome = piper
        .synthesize(
            &request,
            &mut |event| {
                match event {
                    SynthEvent::Audio(audio) => samples += audio.len() as u64,
                    SynthEvent::Mark(mark) if mark.kind == MarkKind::Word => words.push(mark.sample),
                    SynthEvent::Mark(_) => {}
                }
                Flow::Continue
            },
            &Cancellation::default(),
        )
        .unwrap();
    assert!(!outcome.aborted && samples == outcome.samples, "{outcome:?}");
    assert!(samples > 22_050 * 4, "a long sentence: {samples} samples");
    assert_eq!(words.len(), text.split_whitespace().count());
    assert!(words.windows(2).all(|w| w[0] <= w[1]) && *words.last().unwrap() < samples, "{words:?}");

    // Cancelled at its first audio: the decoder stops after that run,
    // long before the sentence's end.
    let cancel = Cancellation::default();
    let mut heard = 0u64;
    let outcome = piper
        .synthesize(
            &request,
            &mut |event| {
                if let SynthEvent::Audio(audio) = event {
                    heard += audio.len() as u64;
                    cancel.cancel();
                }
                Flow::Continue
            },
            &cancel,
        )
        .unwrap();
    assert!(outcome.aborted, "{outcome:?}");
    assert!(heard > 0 && heard * 4 < samples, "{heard} of {samples} samples before the cancel took effect");
}
