//! The espeak-ng engine: libespeak-ng called in-process (inside a worker
//! process) in synchronous mode, with a synth callback that streams PCM
//! chunks and word/sentence marks to the caller's sink.
//!
//! Safety model: libespeak-ng keeps global state and is not thread-safe.
//! [`Espeak`] is the only owner of that state in a process: [`Espeak::new`]
//! refuses to make a second one, and the type is neither `Send` nor `Sync`,
//! so every call happens on the thread that created it.

mod ffi;
mod phonemes;

pub use phonemes::Clause;

use super::{
    Cancellation, Capabilities, Cause, Engine, EngineError, EngineInfo, EngineVoice, Flow, Gender, Mark, MarkKind,
    Outcome, SynthEvent, SynthesisRequest,
};
use std::ffi::{CStr, CString};
use std::marker::PhantomData;
use std::os::raw::{c_int, c_short};
use std::sync::atomic::{AtomicBool, Ordering};

/// Length of the audio chunks libespeak-ng hands the callback, in ms.
/// Short chunks mean the first audio leaves sooner.
const CHUNK_MS: c_int = 20;

static INITIALIZED: AtomicBool = AtomicBool::new(false);

/// The libespeak-ng engine. One per process.
pub struct Espeak {
    info: EngineInfo,
    current_voice: Option<String>,
    /// libespeak-ng's global state is tied to this thread.
    _not_send: PhantomData<*const ()>,
}

/// State shared with the callback for one `espeak_Synth` call.
struct CallContext<'a> {
    sink: &'a mut dyn FnMut(SynthEvent<'_>) -> Flow,
    sample_rate: u64,
    samples: u64,
    max_samples: u64,
    aborted: bool,
    truncated: bool,
}

impl Espeak {
    pub(crate) const ID: &'static str = "espeak-ng";

    pub fn new() -> Result<Self, EngineError> {
        if INITIALIZED.swap(true, Ordering::SeqCst) {
            return Err(EngineError::Init(Cause::new("libespeak-ng is already initialised in this process")));
        }
        // SAFETY: first and only initialisation in this process (checked above).
        let sample_rate = unsafe {
            ffi::espeak_Initialize(ffi::AUDIO_OUTPUT_SYNCHRONOUS, CHUNK_MS, std::ptr::null(), ffi::INITIALIZE_DONT_EXIT)
        };
        if sample_rate <= 0 {
            return Err(EngineError::Init(Cause::new("espeak_Initialize failed (is espeak-ng-data installed?)")));
        }
        // SAFETY: `synth_callback` matches the C signature and only touches
        // the context passed as user data by `synthesize`.
        unsafe { ffi::espeak_SetSynthCallback(synth_callback) };
        // SAFETY: espeak_Info returns a static NUL-terminated string.
        let version = unsafe { CStr::from_ptr(ffi::espeak_Info(std::ptr::null_mut())) }.to_string_lossy().into_owned();
        let info = EngineInfo {
            id: Self::ID.into(),
            version,
            sample_rate: sample_rate as u32,
            capabilities: Capabilities { rate_range: (80, 900) },
        };
        Ok(Self { info, current_voice: None, _not_send: PhantomData })
    }

    fn set_voice(&mut self, voice: &str) -> Result<(), EngineError> {
        if self.current_voice.as_deref() == Some(voice) {
            return Ok(());
        }
        let name = CString::new(voice).map_err(|_| EngineError::UnknownVoice(voice.into()))?;
        // SAFETY: valid C string; engine initialised.
        if unsafe { ffi::espeak_SetVoiceByName(name.as_ptr()) } != ffi::EE_OK {
            return Err(EngineError::UnknownVoice(voice.into()));
        }
        self.current_voice = Some(voice.into());
        Ok(())
    }
}

impl Engine for Espeak {
    fn info(&self) -> &EngineInfo {
        &self.info
    }

    fn voices(&self) -> Vec<EngineVoice> {
        let mut voices = Vec::new();
        // SAFETY: returns a NULL-terminated array of pointers to static voice records.
        let mut list = unsafe { ffi::espeak_ListVoices(std::ptr::null_mut()) };
        // SAFETY: `list` is non-null and points into the NULL-terminated array.
        while !list.is_null() && unsafe { !(*list).is_null() } {
            // SAFETY: non-null entry of the list above.
            let voice = unsafe { &**list };
            voices.push(EngineVoice {
                identifier: c_string(voice.identifier),
                name: c_string(voice.name).replace('_', " "),
                // SAFETY: `languages` follows the documented priority-byte + string layout.
                languages: unsafe { languages(voice.languages) },
                model: None,
                gender: match voice.gender {
                    1 => Some(Gender::Male),
                    2 => Some(Gender::Female),
                    _ => None,
                },
            });
            // SAFETY: this entry was not the terminator, so the next one exists.
            list = unsafe { list.add(1) };
        }
        voices
    }

    fn synthesize(
        &mut self,
        request: &SynthesisRequest,
        sink: &mut dyn FnMut(SynthEvent<'_>) -> Flow,
        _cancel: &Cancellation,
    ) -> Result<Outcome, EngineError> {
        // espeak-ng calls the sink every few milliseconds of audio; the
        // sink's Abort is its cancel.
        self.set_voice(&request.voice)?;
        let (min, max) = self.info.capabilities.rate_range;
        // SAFETY: plain parameter setters on an initialised engine.
        unsafe {
            ffi::espeak_SetParameter(ffi::PARAM_RATE, request.rate.clamp(min, max) as c_int, 0);
            ffi::espeak_SetParameter(ffi::PARAM_PITCH, request.pitch.min(100) as c_int, 0);
        }
        let text = CString::new(request.text.replace('\0', " ")).expect("NULs replaced");
        let mut context = CallContext {
            sink,
            sample_rate: self.info.sample_rate as u64,
            samples: 0,
            max_samples: request.max_samples,
            aborted: false,
            truncated: false,
        };
        // SAFETY: synchronous mode: the callback runs inside this call and the
        // context outlives it; the text is a valid NUL-terminated UTF-8 string.
        let status = unsafe {
            let status = ffi::espeak_Synth(
                text.as_ptr().cast(),
                text.as_bytes_with_nul().len(),
                0,
                ffi::POS_CHARACTER,
                0,
                ffi::CHARS_UTF8 | ffi::ENDPAUSE,
                std::ptr::null_mut(),
                (&mut context as *mut CallContext<'_>).cast(),
            );
            ffi::espeak_Synchronize();
            status
        };
        if status != ffi::EE_OK && !context.aborted && !context.truncated {
            return Err(EngineError::Synthesis(Cause::new(format!("espeak_Synth returned {status}"))));
        }
        Ok(Outcome { samples: context.samples, aborted: context.aborted, truncated: context.truncated })
    }
}

/// The synth callback: forwards marks and audio to the sink of the call whose
/// context arrives as the events' user data. Returns 1 to abort synthesis.
unsafe extern "C" fn synth_callback(wav: *mut c_short, count: c_int, events: *mut ffi::Event) -> c_int {
    if events.is_null() {
        return 0;
    }
    // SAFETY: every event of a call carries the user data `synthesize` passed,
    // a live `CallContext` for the duration of `espeak_Synth`.
    let context = unsafe { (*events).user_data.cast::<CallContext<'_>>().as_mut() };
    let Some(context) = context else { return 0 };
    let mut event = events;
    // SAFETY: the event list is terminated by EVENT_LIST_TERMINATED.
    while unsafe { (*event).kind } != ffi::EVENT_LIST_TERMINATED {
        // SAFETY: `event` is a live entry before the terminator.
        let e = unsafe { &*event };
        let kind = match e.kind {
            ffi::EVENT_WORD => Some(MarkKind::Word),
            ffi::EVENT_SENTENCE => Some(MarkKind::Sentence),
            _ => None,
        };
        // libespeak-ng sometimes closes a clause with an empty word event: skip it.
        let empty_word = kind == Some(MarkKind::Word) && e.length <= 0;
        if let (Some(kind), false) = (kind, empty_word) {
            let mark = Mark {
                kind,
                text_offset: (e.text_position.max(1) - 1) as u32,
                text_len: if kind == MarkKind::Word { e.length.max(0) as u32 } else { 0 },
                sample: e.audio_position.max(0) as u64 * context.sample_rate / 1000,
            };
            if (context.sink)(SynthEvent::Mark(mark)) == Flow::Abort {
                context.aborted = true;
                return 1;
            }
        }
        // SAFETY: this entry was not the terminator, so the next one exists.
        event = unsafe { event.add(1) };
    }
    if !wav.is_null() && count > 0 {
        let remaining = context.max_samples.saturating_sub(context.samples);
        let take = (count as u64).min(remaining) as usize;
        // SAFETY: espeak hands `count` valid samples at `wav`.
        let chunk = unsafe { std::slice::from_raw_parts(wav, take) };
        context.samples += take as u64;
        if !chunk.is_empty() && (context.sink)(SynthEvent::Audio(chunk)) == Flow::Abort {
            context.aborted = true;
            return 1;
        }
        if take < count as usize {
            context.truncated = true;
            return 1;
        }
    }
    0
}

fn c_string(ptr: *const std::os::raw::c_char) -> String {
    if ptr.is_null() {
        return String::new();
    }
    // SAFETY: non-null NUL-terminated string owned by libespeak-ng.
    unsafe { CStr::from_ptr(ptr) }.to_string_lossy().into_owned()
}

/// Decodes espeak's language list: (priority byte, NUL-terminated name)
/// pairs, ended by a zero priority byte.
unsafe fn languages(mut ptr: *const std::os::raw::c_char) -> Vec<(u8, String)> {
    let mut out = Vec::new();
    if ptr.is_null() {
        return out;
    }
    loop {
        // SAFETY: (the caller) the layout is as speak_lib.h documents; `ptr` is at a priority byte.
        let priority = unsafe { *ptr } as u8;
        if priority == 0 {
            break;
        }
        // SAFETY: a non-zero priority byte is followed by a NUL-terminated name.
        let name = unsafe { CStr::from_ptr(ptr.add(1)) };
        out.push((priority, name.to_string_lossy().into_owned()));
        // SAFETY: past the name's NUL comes the next priority byte (maybe the final zero).
        ptr = unsafe { ptr.add(2 + name.to_bytes().len()) };
    }
    out
}
