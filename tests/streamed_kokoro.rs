//! Kokoro-82M split into encoder and decoder (`scripts/voice_split.py`, run
//! by the setup) streams inside a sentence: its first audio reaches the
//! sink while the rest is still to be decoded, so a cancel then stops the
//! sentence after its first run. One engine in this process (ONNX Runtime
//! allows one environment per process), so one test.

mod common;

use herald::engine::kokoro::{Kokoro, KokoroSetup};
use herald::engine::neural::discover;
use herald::engine::Engine;

#[test]
fn a_long_sentence_streams_and_a_cancel_at_its_first_audio_stops_it_there() {
    let found = discover::find(None, &[common::neural_dir()]).expect("./scripts/setup.sh installs the runtime");
    let setup = KokoroSetup::find(&found, 2, 22_050).expect("./scripts/setup.sh installs Kokoro");
    assert!(setup.packs.iter().all(|p| p.streaming.is_some()), "./scripts/setup.sh splits the model");
    let mut kokoro = Kokoro::new(&setup).expect("the neural engine starts");
    assert!(kokoro.info().version.ends_with("; streamed"), "{}", kokoro.info().version);
    common::streamed::streams_and_stops_at_a_cancel(&mut kokoro, "af_heart");
}
