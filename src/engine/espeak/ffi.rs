//! Raw bindings to the parts of libespeak-ng (`speak_lib.h`, API revision 12)
//! that Herald uses. Written by hand: the surface is small and stable.

use std::os::raw::{c_char, c_int, c_short, c_uchar, c_uint, c_void};

pub(crate) const AUDIO_OUTPUT_SYNCHRONOUS: c_int = 2;
pub(crate) const INITIALIZE_DONT_EXIT: c_int = 0x8000;
pub(crate) const CHARS_UTF8: c_uint = 1;
pub(crate) const ENDPAUSE: c_uint = 0x1000;
pub(crate) const POS_CHARACTER: c_int = 1;
pub(crate) const EE_OK: c_int = 0;
pub(crate) const PARAM_RATE: c_int = 1;
pub(crate) const PARAM_PITCH: c_int = 3;
/// `espeak_TextToPhonemes` phoneme mode: IPA as UTF-8.
pub(crate) const PHONEMES_IPA: c_int = 0x02;
/// `espeak_TextToPhonemes` phoneme mode: tie the letters of one phoneme with
/// the character in bits 8–23.
pub(crate) const PHONEMES_TIE: c_int = 0x80;

pub(crate) const EVENT_LIST_TERMINATED: c_int = 0;
pub(crate) const EVENT_WORD: c_int = 1;
pub(crate) const EVENT_SENTENCE: c_int = 2;

#[repr(C)]
pub(crate) struct Event {
    pub(crate) kind: c_int,
    unique_identifier: c_uint,
    pub(crate) text_position: c_int,
    pub(crate) length: c_int,
    pub(crate) audio_position: c_int,
    pub(crate) sample: c_int,
    pub(crate) user_data: *mut c_void,
    pub(crate) id: [u8; 8],
}

#[repr(C)]
pub(crate) struct Voice {
    pub(crate) name: *const c_char,
    pub(crate) languages: *const c_char,
    pub(crate) identifier: *const c_char,
    pub(crate) gender: c_uchar,
    pub(crate) age: c_uchar,
    pub(crate) variant: c_uchar,
    xx1: c_uchar,
    pub(crate) score: c_int,
    spare: *mut c_void,
}

type SynthCallback = unsafe extern "C" fn(wav: *mut c_short, samples: c_int, events: *mut Event) -> c_int;

#[link(name = "espeak-ng")]
extern "C" {
    pub(crate) fn espeak_Initialize(output: c_int, buflength: c_int, path: *const c_char, options: c_int) -> c_int;
    pub(crate) fn espeak_SetSynthCallback(callback: SynthCallback);
    pub(crate) fn espeak_SetVoiceByName(name: *const c_char) -> c_int;
    pub(crate) fn espeak_SetParameter(parameter: c_int, value: c_int, relative: c_int) -> c_int;
    pub(crate) fn espeak_Synth(
        text: *const c_void,
        size: usize,
        position: c_uint,
        position_type: c_int,
        end_position: c_uint,
        flags: c_uint,
        unique_identifier: *mut c_uint,
        user_data: *mut c_void,
    ) -> c_int;
    pub(crate) fn espeak_Synchronize() -> c_int;
    pub(crate) fn espeak_ListVoices(spec: *mut Voice) -> *const *const Voice;
    pub(crate) fn espeak_Info(path_data: *mut *const c_char) -> *const c_char;
    pub(crate) fn espeak_TextToPhonemes(
        textptr: *mut *const c_void,
        textmode: c_int,
        phonememode: c_int,
    ) -> *const c_char;
}
