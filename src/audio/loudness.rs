//! Loudness after EBU R128 / ITU-R BS.1770, measured by the `ebur128` crate:
//! integrated loudness and true peak of mono PCM, and normalisation to a
//! loudness target under a true-peak ceiling (e.g. −16 LUFS, −1 dBTP for
//! podcasts).
//!
//! Normalising is a gain, plus a look-ahead peak limiter for the peaks the
//! gain would push over the ceiling. The limiter absorbs part of the gain,
//! so the result is measured again and the gain corrected by how much
//! loudness the last correction bought (a secant step), usually twice.

use std::collections::VecDeque;

use ebur128::{EbuR128, Mode};

/// How close to the target normalising aims, in LU.
const TOLERANCE_LU: f64 = 0.2;
/// Measure-and-correct rounds before settling for the ceiling alone.
const PASSES: usize = 8;
/// How far true peaks of speech rise between samples above the sample peaks
/// the limiter sees: the limiter starts this far below the ceiling, so the
/// first true-peak check usually passes.
const INTERSAMPLE_DB: f64 = 0.3;
/// Extra room below the ceiling when a round overshoots it, in dB.
const MARGIN_DB: f64 = 0.05;
/// The limiter reaches full gain reduction over this long before a peak and
/// recovers over as long after it.
const LIMITER_RAMP_MS: u32 = 5;

/// The loudness of a piece of audio.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Loudness {
    /// Integrated (programme) loudness, gated as R128 says; −∞ for silence
    /// or audio shorter than one 400 ms measuring block.
    pub(crate) integrated_lufs: f64,
    /// The highest true (inter-sample) peak, 4× oversampled; −∞ for silence.
    pub(crate) true_peak_dbtp: f64,
}

/// Measures `samples` (mono, `rate` Hz).
///
/// # Panics
///
/// If `rate` is zero.
pub(crate) fn loudness(samples: &[i16], rate: u32) -> Loudness {
    let meter = meter(samples, rate, Mode::I | Mode::TRUE_PEAK);
    Loudness { integrated_lufs: integrated_of(&meter), true_peak_dbtp: true_peak_of(&meter) }
}

/// A meter of `mode` that has heard `samples`.
fn meter(samples: &[i16], rate: u32, mode: Mode) -> EbuR128 {
    assert!(rate > 0, "sample rate must be positive");
    let mut meter = EbuR128::new(1, rate, mode).expect("one channel and a positive rate are valid");
    meter.add_frames_i16(samples).expect("a mono meter accepts mono frames");
    meter
}

fn integrated_of(meter: &EbuR128) -> f64 {
    meter.loudness_global().expect("the meter measures integrated loudness")
}

fn true_peak_of(meter: &EbuR128) -> f64 {
    linear_to_db(meter.true_peak(0).expect("the meter measures channel 0's true peak"))
}

/// Brings `samples` to `target_lufs` integrated loudness with no true peak
/// above `max_true_peak_dbtp`. The ceiling wins: if limiting cannot reach the
/// target, the result is as loud as the ceiling allows. Audio that has no
/// integrated loudness (silence, or shorter than 400 ms) comes back as it was.
///
/// # Panics
///
/// If `rate` is zero.
pub(crate) fn normalize(samples: &[i16], rate: u32, target_lufs: f64, max_true_peak_dbtp: f64) -> Vec<i16> {
    let measured = loudness(samples, rate);
    if !measured.integrated_lufs.is_finite() {
        return samples.to_vec();
    }
    let input: Vec<f64> = samples.iter().map(|&s| f64::from(s)).collect();
    let ramp = (rate * LIMITER_RAMP_MS / 1000).max(1) as usize;
    let mut gain_db = target_lufs - measured.integrated_lufs;
    let mut threshold_db = max_true_peak_dbtp - INTERSAMPLE_DB;
    let mut out = Vec::new();
    // The last round's gain and the loudness it gave.
    let mut previous: Option<(f64, f64)> = None;
    for _ in 0..PASSES {
        out = render(&input, gain_db, threshold_db, ramp);
        // True peak (4× oversampled, the costly part) only once on target.
        let lufs = integrated_of(&meter(&out, rate, Mode::I));
        let short = target_lufs - lufs;
        if short.abs() <= TOLERANCE_LU {
            let over = true_peak_of(&meter(&out, rate, Mode::TRUE_PEAK)) - max_true_peak_dbtp;
            if over <= 0.0 {
                return out;
            }
            threshold_db -= over + MARGIN_DB;
        }
        // Loudness gained per dB of gain: 1 without limiting, less with it.
        let slope = previous
            .map(|(gain, lufs_then)| (lufs - lufs_then) / (gain_db - gain))
            .filter(|s| s.is_finite())
            .map_or(1.0, |s| s.clamp(0.2, 1.0));
        previous = Some((gain_db, lufs));
        gain_db += short / slope;
    }
    // Out of rounds: keep the ceiling, whatever that costs in loudness.
    let over = loudness(&out, rate).true_peak_dbtp - max_true_peak_dbtp;
    if over > 0.0 {
        let scale = db_to_linear(-(over + MARGIN_DB));
        out = out.iter().map(|&s| to_i16(f64::from(s) * scale)).collect();
    }
    out
}

/// `input` (in 16-bit units) amplified by `gain_db`, with peaks above
/// `threshold_db` (relative to full scale) limited.
fn render(input: &[f64], gain_db: f64, threshold_db: f64, ramp: usize) -> Vec<i16> {
    let gain = db_to_linear(gain_db);
    let threshold = db_to_linear(threshold_db).min(1.0) * f64::from(i16::MAX);
    let amplified: Vec<f64> = input.iter().map(|s| s * gain).collect();
    let limit = limiter_gain(&amplified, threshold, ramp);
    amplified.iter().zip(limit).map(|(s, g)| to_i16(s * g)).collect()
}

/// Per-sample gain that keeps `|signal| <= threshold`: the gain each sample
/// needs, its minimum over ±`ramp` samples (so reduction starts before a
/// peak and holds past it), then averaged over ±`ramp` (so it ramps rather
/// than steps). Every sample's gain is an average of minima over windows
/// that contain it, so it is never above what that sample needs.
fn limiter_gain(signal: &[f64], threshold: f64, ramp: usize) -> Vec<f64> {
    let need: Vec<f64> = signal.iter().map(|s| if s.abs() > threshold { threshold / s.abs() } else { 1.0 }).collect();
    if need.iter().all(|&g| g == 1.0) {
        return need;
    }
    let held = sliding_min(&need, ramp);
    let mut prefix = Vec::with_capacity(held.len() + 1);
    prefix.push(0.0);
    for g in &held {
        prefix.push(prefix.last().copied().unwrap_or(0.0) + g);
    }
    (0..held.len())
        .map(|i| {
            let (lo, hi) = (i.saturating_sub(ramp), (i + ramp + 1).min(held.len()));
            // The mean is at most need[i]; min() keeps rounding from breaking that.
            ((prefix[hi] - prefix[lo]) / (hi - lo) as f64).min(need[i])
        })
        .collect()
}

/// The minimum of `values` over `[i - radius, i + radius]` for each `i`, by a
/// monotonic queue (linear time).
fn sliding_min(values: &[f64], radius: usize) -> Vec<f64> {
    let mut out = Vec::with_capacity(values.len());
    let mut queue: VecDeque<usize> = VecDeque::new();
    for i in 0..values.len() + radius {
        if i < values.len() {
            while queue.back().is_some_and(|&j| values[j] >= values[i]) {
                queue.pop_back();
            }
            queue.push_back(i);
        }
        if i >= radius {
            let centre = i - radius;
            while queue.front().is_some_and(|&j| j + radius < centre) {
                queue.pop_front();
            }
            out.push(values[queue[0]]);
        }
    }
    out
}

/// Loudness measured as audio goes by, for audio too long to hold.
pub(crate) struct LoudnessMeter(EbuR128);

impl LoudnessMeter {
    pub(crate) fn new(rate: u32) -> Self {
        assert!(rate > 0, "sample rate must be positive");
        Self(EbuR128::new(1, rate, Mode::I | Mode::TRUE_PEAK).expect("one channel and a positive rate are valid"))
    }

    pub(crate) fn add(&mut self, samples: &[i16]) {
        self.0.add_frames_i16(samples).expect("a mono meter accepts mono frames");
    }

    /// The loudness of everything added so far.
    pub(crate) fn loudness(&self) -> Loudness {
        Loudness { integrated_lufs: integrated_of(&self.0), true_peak_dbtp: true_peak_of(&self.0) }
    }
}

/// The one gain, in dB, that brings audio `measured` to `target_lufs`
/// without its true peak passing `max_true_peak_dbtp` (0 for silence). A
/// gain rather than [`normalize`]'s limiter, so that it can be applied as
/// the audio streams.
pub(crate) fn gain_db(measured: Loudness, target_lufs: f64, max_true_peak_dbtp: f64) -> f64 {
    if !measured.integrated_lufs.is_finite() {
        return 0.0;
    }
    (target_lufs - measured.integrated_lufs).min(max_true_peak_dbtp - INTERSAMPLE_DB - measured.true_peak_dbtp)
}

/// A gain in dB as a factor.
pub(crate) fn db_to_gain(db: f64) -> f64 {
    db_to_linear(db)
}

/// A sample scaled by `gain`, clamped to the sample range.
pub(crate) fn scaled(sample: i16, gain: f64) -> i16 {
    to_i16(f64::from(sample) * gain)
}

fn db_to_linear(db: f64) -> f64 {
    10f64.powf(db / 20.0)
}

fn linear_to_db(linear: f64) -> f64 {
    20.0 * linear.log10()
}

fn to_i16(x: f64) -> i16 {
    x.round().clamp(f64::from(i16::MIN), f64::from(i16::MAX)) as i16
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::testing::{dominant_frequency, sine, speech_like};

    #[test]
    fn a_full_scale_sine_reads_as_bs1770_says() {
        // BS.1770: a 0 dBFS 997 Hz sine in one channel reads −3.01 LKFS.
        let measured = loudness(&sine(997.0, 48000, 5.0, 1.0), 48000);
        assert!((measured.integrated_lufs + 3.01).abs() < 0.05, "{measured:?}");
        assert!(measured.true_peak_dbtp.abs() < 0.1, "{measured:?}");
        let quieter = loudness(&sine(997.0, 48000, 5.0, 0.1), 48000);
        assert!((quieter.integrated_lufs + 23.01).abs() < 0.05, "{quieter:?}");
    }

    #[test]
    fn silence_has_no_loudness_and_is_left_alone() {
        let silence = crate::audio::silence(2000, 22050);
        let measured = loudness(&silence, 22050);
        assert_eq!(measured.integrated_lufs, f64::NEG_INFINITY);
        assert_eq!(normalize(&silence, 22050, -16.0, -1.0), silence);
        let blip = sine(440.0, 22050, 0.2, 0.01); // shorter than a measuring block
        assert_eq!(normalize(&blip, 22050, -16.0, -1.0), blip);
    }

    #[test]
    fn normalizing_quiet_speech_hits_the_target_under_the_ceiling() {
        let quiet = speech_like(22050, 20.0, 0.05);
        let before = loudness(&quiet, 22050);
        assert!(before.integrated_lufs < -35.0, "{before:?}");
        // Gain alone would push the peaks past the ceiling: the limiter must work.
        assert!(before.true_peak_dbtp + (-16.0 - before.integrated_lufs) > 0.0, "{before:?}");
        let after = loudness(&normalize(&quiet, 22050, -16.0, -1.0), 22050);
        assert!((after.integrated_lufs + 16.0).abs() <= 0.5, "{after:?}");
        assert!(after.true_peak_dbtp <= -1.0, "{after:?}");
    }

    #[test]
    fn normalizing_a_quiet_sine_is_a_plain_gain() {
        let quiet = sine(440.0, 22050, 5.0, 0.01);
        let normalized = normalize(&quiet, 22050, -16.0, -1.0);
        let after = loudness(&normalized, 22050);
        assert!((after.integrated_lufs + 16.0).abs() <= 0.5, "{after:?}");
        assert!(after.true_peak_dbtp <= -1.0, "{after:?}");
        assert!((dominant_frequency(&normalized, 22050) - 440.0).abs() < 0.5);
        assert_eq!(normalized.len(), quiet.len());
    }

    #[test]
    fn an_unreachable_target_yields_to_the_ceiling() {
        let loud = speech_like(22050, 10.0, 0.5);
        let after = loudness(&normalize(&loud, 22050, 0.0, -6.0), 22050);
        assert!(after.true_peak_dbtp <= -6.0, "{after:?}");
    }

    #[test]
    fn limiter_gain_keeps_every_sample_under_the_threshold() {
        let signal: Vec<f64> = (0..1000).map(|i| if i % 97 == 0 { 3.0 } else { (i as f64 * 0.1).sin() }).collect();
        let gain = limiter_gain(&signal, 1.0, 10);
        for (s, g) in signal.iter().zip(&gain) {
            assert!((s * g).abs() <= 1.0 + 1e-12);
            assert!(*g > 0.0 && *g <= 1.0);
        }
        assert_eq!(sliding_min(&[3.0, 1.0, 4.0, 1.5, 5.0, 9.0], 1), [1.0, 1.0, 1.0, 1.5, 1.5, 5.0]);
    }
}
