//! A Piper voice split into encoder and decoder (`scripts/voice_split.py`,
//! run by the setup) streams inside a sentence: its first frames reach the
//! sink while the rest are still to be decoded, so a cancel then stops the
//! sentence after its first run. One engine in this process (ONNX Runtime
//! allows one environment per process), so one test.

mod common;

use herald::engine::neural::discover;
use herald::engine::piper::{Piper, PiperSetup};
use herald::engine::Engine;

#[test]
fn a_long_sentence_streams_and_a_cancel_at_its_first_audio_stops_it_there() {
    let found = discover::find(None, &[common::neural_dir()]).expect("./scripts/setup.sh installs the runtime");
    let setup = PiperSetup::find(&found, 1, 22_050).expect("./scripts/setup.sh installs a voice");
    assert!(!setup.parts.is_empty(), "./scripts/setup.sh splits the voice it installs");
    let mut piper = Piper::new(&setup).expect("the neural engine starts");
    assert!(piper.info().version.ends_with("; streamed"), "{}", piper.info().version);
    let voice = piper.voices()[0].identifier.clone();
    common::streamed::streams_and_stops_at_a_cancel(&mut piper, &voice);
}
