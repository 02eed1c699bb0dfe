//! What every streamed neural engine must do with a long sentence: mark
//! every word within its audio, in order, and stop soon after its first
//! audio when cancelled there (the first audio came before the rest of the
//! sentence was decoded).

use herald::engine::{Cancellation, Engine, Flow, MarkKind, SynthEvent, SynthesisRequest};

/// A sentence of 25 words from the reference statement.
pub(crate) const LONG_SENTENCE: &str =
    "Welcome to NATO Headquarters, it is great to see you again, and we met not so many \
                                 weeks ago in Tokyo, because no other partner is closer and more capable than Japan.";

/// Speaks [`LONG_SENTENCE`] with `voice` of `engine`, whole and then
/// cancelled at its first audio, and checks both.
pub(crate) fn streams_and_stops_at_a_cancel(engine: &mut dyn Engine, voice: &str) {
    let request = SynthesisRequest {
        text: LONG_SENTENCE.into(),
        voice: voice.into(),
        rate: 175,
        pitch: 50,
        max_samples: u64::MAX,
    };

    // Whole: every word is marked, within the audio, in order.
    let (mut samples, mut words) = (0u64, Vec::new());
    let outcome = engine
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
    assert!(samples > u64::from(engine.info().sample_rate) * 4, "a long sentence: {samples} samples");
    assert_eq!(words.len(), LONG_SENTENCE.split_whitespace().count());
    assert!(words.windows(2).all(|w| w[0] <= w[1]) && *words.last().unwrap() < samples, "{words:?}");

    // Cancelled at its first audio: the decoder stops after that run,
    // long before the sentence's end.
    let cancel = Cancellation::default();
    let mut heard = 0u64;
    let outcome = engine
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
