//! Herald's sample-rate conversion of 16-bit mono PCM through rubato's
//! synchronous FFT resampler: whole buffers with [`resample`], streams with
//! [`StreamResampler`] (what Herald's encoders use to reach 44.1 or 48 kHz
//! from an engine's rate, and its neural engines to reach the output rate).
//!
//! The resampler's start-up delay is trimmed and its tail flushed, so `n`
//! input samples always become `ceil(n * to / from)` output samples, aligned
//! with the input.

use rubato::audioadapter_buffers::direct::InterleavedSlice;
use rubato::{Fft, FixedSync, Indexing, Resampler};

/// Input frames per resampler call: about 46 ms at 22,050 Hz, a latency the
/// encoders' own framing hides anyway.
const CHUNK: usize = 1024;

/// Why a resampler could not be built or run.
#[derive(Debug, thiserror::Error)]
pub enum ResampleError {
    #[error("cannot resample from {from} Hz to {to} Hz: {source}")]
    Construction { from: u32, to: u32, source: rubato::ResamplerConstructionError },
    #[error("resampling failed: {0}")]
    Process(#[from] rubato::ResampleError),
}

/// Resamples a whole buffer from `from` Hz to `to` Hz.
///
/// # Panics
///
/// If either rate is zero.
pub fn resample(samples: &[i16], from: u32, to: u32) -> Vec<i16> {
    assert!(from > 0 && to > 0, "sample rates must be positive (from {from} Hz to {to} Hz)");
    let run = || -> Result<Vec<i16>, ResampleError> {
        let mut resampler = StreamResampler::new(from, to)?;
        let mut out = resampler.push(samples)?;
        out.extend(resampler.finish()?);
        Ok(out)
    };
    run().expect("the FFT resampler accepts any pair of positive rates and sizes its own buffers")
}

/// A resampler fed in pieces of any size. Output comes in whole resampler
/// chunks, so [`push`](Self::push) may return nothing until enough input has
/// arrived; [`finish`](Self::finish) returns the rest.
pub struct StreamResampler {
    /// `None` when the rates are equal and samples pass through untouched.
    fft: Option<Fft<f32>>,
    from: u32,
    to: u32,
    /// Input not yet handed to the resampler.
    pending: Vec<f32>,
    /// Scratch space for one call's output.
    scratch: Vec<f32>,
    /// Start-up delay still to drop from the output, in output frames.
    delay: usize,
    samples_in: u64,
    samples_out: u64,
}

impl StreamResampler {
    /// A resampler from `from` Hz to `to` Hz.
    pub fn new(from: u32, to: u32) -> Result<Self, ResampleError> {
        let fft = if from == to {
            None
        } else {
            let fft = Fft::<f32>::new(from as usize, to as usize, CHUNK, 1, FixedSync::Both)
                .map_err(|source| ResampleError::Construction { from, to, source })?;
            Some(fft)
        };
        let (scratch, delay) = match &fft {
            Some(fft) => (vec![0.0; fft.output_frames_max()], fft.output_delay()),
            None => (Vec::new(), 0),
        };
        Ok(Self { fft, from, to, pending: Vec::new(), scratch, delay, samples_in: 0, samples_out: 0 })
    }

    /// The output rate.
    pub fn output_rate(&self) -> u32 {
        self.to
    }

    /// Takes more input; returns the output that is ready.
    pub fn push(&mut self, samples: &[i16]) -> Result<Vec<i16>, ResampleError> {
        self.samples_in += samples.len() as u64;
        let Some(fft) = self.fft.as_mut() else {
            self.samples_out += samples.len() as u64;
            return Ok(samples.to_vec());
        };
        self.pending.extend(samples.iter().map(|&s| f32::from(s) / 32768.0));
        let mut out = Vec::new();
        let mut start = 0;
        while self.pending.len() - start >= fft.input_frames_next() {
            let needed = fft.input_frames_next();
            let input = &self.pending[start..start + needed];
            start += run(fft, input, None, &mut self.scratch, &mut self.delay, &mut out)?;
        }
        self.pending.drain(..start);
        self.samples_out += out.len() as u64;
        Ok(out)
    }

    /// Flushes what is left: the buffered input, then the resampler's tail,
    /// cut so the whole output is exactly `ceil(input * to / from)` long.
    pub fn finish(mut self) -> Result<Vec<i16>, ResampleError> {
        let Some(fft) = self.fft.as_mut() else {
            return Ok(Vec::new());
        };
        let expected = (self.samples_in * u64::from(self.to)).div_ceil(u64::from(self.from));
        let mut out = Vec::new();
        let mut pending = std::mem::take(&mut self.pending);
        while self.samples_out + (out.len() as u64) < expected {
            let partial = Indexing::new().partial_len(pending.len());
            let used = run(fft, &pending, Some(&partial), &mut self.scratch, &mut self.delay, &mut out)?;
            pending.drain(..used.min(pending.len()));
        }
        out.truncate((expected - self.samples_out) as usize);
        Ok(out)
    }
}

/// One resampler call on `input` (a full chunk, or a shorter final one with
/// `partial` set). Appends the output, less any start-up delay still owed, and
/// returns how many input frames were consumed.
fn run(
    fft: &mut Fft<f32>,
    input: &[f32],
    partial: Option<&Indexing>,
    scratch: &mut [f32],
    delay: &mut usize,
    out: &mut Vec<i16>,
) -> Result<usize, ResampleError> {
    let frames_in = input.len();
    let scratch_frames = scratch.len();
    let input = InterleavedSlice::new(input, 1, frames_in).expect("a mono slice always fits its own length");
    let (used, written) = {
        let mut output = InterleavedSlice::new_mut(&mut *scratch, 1, scratch_frames).expect("a mono slice fits");
        fft.process_into_buffer(&input, &mut output, partial)?
    };
    let skip = (*delay).min(written);
    *delay -= skip;
    out.extend(scratch[skip..written].iter().map(|&x| to_i16(x)));
    Ok(used)
}

/// A float sample in [-1, 1) to 16 bits, rounded and clipped.
fn to_i16(x: f32) -> i16 {
    (x * 32768.0).round().clamp(f32::from(i16::MIN), f32::from(i16::MAX)) as i16
}
