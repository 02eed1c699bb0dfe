//! Test support for the audio module: generated signals, and measuring them.

use std::f64::consts::TAU;

/// A sine of `hz` Hz lasting `seconds`, peak `amplitude` (0..1 of full scale).
pub fn sine(hz: f64, rate: u32, seconds: f64, amplitude: f64) -> Vec<i16> {
    let n = (f64::from(rate) * seconds).round() as usize;
    (0..n).map(|i| (amplitude * 32767.0 * (TAU * hz * i as f64 / f64::from(rate)).sin()).round() as i16).collect()
}

/// Something with speech's shape: voiced "syllables" (a buzz of harmonics
/// whose pitch glides, under a 4 Hz envelope), fricatives, plosives (which
/// give it speech's high peak-to-loudness ratio) and short pauses. `peak` is the largest excursion as a fraction of full scale.
pub fn speech_like(rate: u32, seconds: f64, peak: f64) -> Vec<i16> {
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
pub fn dominant_frequency(samples: &[i16], rate: u32) -> f64 {
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
