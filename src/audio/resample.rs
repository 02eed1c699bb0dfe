//! Sample-rate conversion, from the `herald-resample` crate (`crates/resample`):
//! whole buffers with [`resample`], streams with [`StreamResampler`]. It is a
//! crate of its own so that its FFT code is optimised in debug builds too.

pub(crate) use herald_resample::{resample, ResampleError, StreamResampler};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::testing::{dominant_frequency, sine};

    #[test]
    fn equal_rates_pass_samples_through() {
        let input = sine(440.0, 22050, 0.5, 0.3);
        assert_eq!(resample(&input, 22050, 22050), input);
    }

    #[test]
    fn resampling_keeps_duration_and_pitch() {
        for (from, to) in [(22050, 48000), (22050, 44100), (48000, 22050), (16000, 22050)] {
            let input = sine(440.0, from, 2.0, 0.5);
            let output = resample(&input, from, to);
            assert_eq!(output.len() as u64, (input.len() as u64 * u64::from(to)).div_ceil(u64::from(from)));
            let hz = dominant_frequency(&output, to);
            assert!((hz - 440.0).abs() < 2.0, "{from} -> {to}: a 440 Hz sine came out at {hz} Hz");
            let level = crate::audio::rms(&output[output.len() / 4..output.len() * 3 / 4]);
            assert!((level - 0.5 / 2f64.sqrt()).abs() < 0.01, "{from} -> {to}: level {level}");
        }
    }

    #[test]
    fn output_is_aligned_with_input() {
        // A click 0.5 s in must stay 0.5 s in: the start-up delay is trimmed.
        let mut input = vec![0i16; 22050];
        input[11025] = 20000;
        let output = resample(&input, 22050, 48000);
        let peak = (0..output.len()).max_by_key(|&i| output[i].unsigned_abs()).unwrap();
        assert!((peak as i64 - 24000).abs() <= 2, "click moved to sample {peak}");
    }

    #[test]
    fn streaming_in_odd_pieces_matches_one_buffer() {
        let input = sine(300.0, 22050, 1.3, 0.4);
        let whole = resample(&input, 22050, 48000);
        let mut stream = StreamResampler::new(22050, 48000).unwrap();
        let mut pieces = Vec::new();
        for piece in input.chunks(777) {
            pieces.extend(stream.push(piece).unwrap());
        }
        pieces.extend(stream.finish().unwrap());
        assert_eq!(pieces, whole);
    }

    #[test]
    fn short_and_empty_inputs() {
        assert!(resample(&[], 22050, 48000).is_empty());
        assert_eq!(resample(&[1000; 10], 22050, 48000).len(), 22);
    }
}
