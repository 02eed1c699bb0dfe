//! The worker protocol decoder on arbitrary bytes (a broken or hostile
//! worker): errors are fine, panics and huge allocations are not.
#![no_main]

use herald::engine::protocol::{read_frame, FromWorker, ToWorker};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut input = data;
    while let Ok(Some((tag, payload))) = read_frame(&mut input) {
        let _ = FromWorker::decode(tag, &payload);
        let _ = ToWorker::decode(tag, &payload);
    }
});
