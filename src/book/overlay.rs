//! Media overlays (EPUB 3.3 Media Overlays): a SMIL file per content
//! document, a `<par>` per wrapped sentence whose clip points into that
//! document's audio file; the stylesheet that highlights the sentence being
//! read; and the package metadata that announces both.

use super::xml::escape;

/// The class reading systems put on the sentence being read.
pub(crate) const ACTIVE_CLASS: &str = "-epub-media-overlay-active";

/// The stylesheet that shows the sentence being read.
pub(crate) const STYLESHEET: &str = ".-epub-media-overlay-active {\n  background-color: #ffe58a;\n  color: #000;\n}\n";

/// One sentence's place in the text and in the audio.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Clip {
    /// The wrapped sentence's id in the content document.
    pub id: String,
    /// Seconds from the start of the document's audio.
    pub begin: f64,
    pub end: f64,
}

/// The SMIL file of one content document. `text_href` and `audio_href` are
/// relative to the SMIL file.
pub(crate) fn smil(text_href: &str, audio_href: &str, clips: &[Clip]) -> String {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <smil xmlns=\"http://www.w3.org/ns/SMIL\" xmlns:epub=\"http://www.idpf.org/2007/ops\" version=\"3.0\">\n\
         \x20 <body>\n",
    );
    for (n, clip) in clips.iter().enumerate() {
        out.push_str(&format!(
            "    <par id=\"par-{}\">\n      <text src=\"{}#{}\"/>\n      <audio src=\"{}\" clipBegin=\"{}\" clipEnd=\"{}\"/>\n    </par>\n",
            n + 1,
            escape(text_href),
            escape(&clip.id),
            escape(audio_href),
            clock(clip.begin),
            clock(clip.end),
        ));
    }
    out.push_str("  </body>\n</smil>\n");
    out
}

/// A SMIL clock value, `H:MM:SS.mmm`.
pub(crate) fn clock(seconds: f64) -> String {
    let millis = (seconds.max(0.0) * 1000.0).round() as u64;
    format!("{}:{:02}:{:02}.{:03}", millis / 3_600_000, millis / 60_000 % 60, millis / 1000 % 60, millis % 1000)
}

/// The package's media overlay and accessibility metadata, as `<meta>`
/// lines: each overlay's duration and the total, the active class, the
/// narrator (the synthetic voices), and what a reader may rely on. Claims
/// the book already makes (features, hazards, summary) are kept; only
/// what the overlays add is said.
pub(crate) fn metadata(overlays: &[(String, f64)], narrators: &[String], has: &ExistingClaims) -> String {
    let mut lines = Vec::new();
    let total: f64 = overlays.iter().map(|(_, seconds)| seconds).sum();
    for (id, seconds) in overlays {
        lines.push(format!("<meta property=\"media:duration\" refines=\"#{}\">{}</meta>", escape(id), clock(*seconds)));
    }
    lines.push(format!("<meta property=\"media:duration\">{}</meta>", clock(total)));
    lines.push(format!("<meta property=\"media:active-class\">{ACTIVE_CLASS}</meta>"));
    for narrator in narrators {
        lines.push(format!("<meta property=\"media:narrator\">{}</meta>", escape(narrator)));
    }
    for mode in ["textual", "auditory"] {
        if !has.access_modes.iter().any(|m| m == mode) {
            lines.push(format!("<meta property=\"schema:accessMode\">{mode}</meta>"));
        }
    }
    for sufficient in ["textual", "auditory"] {
        if !has.sufficient.iter().any(|s| s == sufficient) {
            lines.push(format!("<meta property=\"schema:accessModeSufficient\">{sufficient}</meta>"));
        }
    }
    if !has.features.iter().any(|f| f == "synchronizedAudioText") {
        lines.push("<meta property=\"schema:accessibilityFeature\">synchronizedAudioText</meta>".into());
    }
    if !has.hazard {
        lines.push("<meta property=\"schema:accessibilityHazard\">unknown</meta>".into());
    }
    if !has.summary {
        lines.push(
            "<meta property=\"schema:accessibilitySummary\">Every sentence of the text is read aloud by a synthetic \
             voice, with the text and the audio synchronised sentence by sentence.</meta>"
                .into(),
        );
    }
    lines.iter().map(|line| format!("    {line}\n")).collect()
}

/// Accessibility claims a package already makes.
#[derive(Debug, Default)]
pub(crate) struct ExistingClaims {
    pub access_modes: Vec<String>,
    pub sufficient: Vec<String>,
    pub features: Vec<String>,
    pub hazard: bool,
    pub summary: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_values_are_full_smil_clocks() {
        assert_eq!(clock(0.0), "0:00:00.000");
        assert_eq!(clock(3723.4567), "1:02:03.457");
    }

    #[test]
    fn a_par_per_clip_in_order() {
        let clips = [Clip { id: "s-1".into(), begin: 0.0, end: 1.5 }, Clip { id: "s-2".into(), begin: 1.5, end: 2.25 }];
        let smil = smil("../Text/c1.xhtml", "c1.mp3", &clips);
        assert_eq!(smil.matches("<par ").count(), 2);
        assert!(smil.contains("<text src=\"../Text/c1.xhtml#s-2\"/>"));
        assert!(smil.contains("clipBegin=\"0:00:01.500\" clipEnd=\"0:00:02.250\""));
    }

    #[test]
    fn metadata_claims_only_what_is_added() {
        let has = ExistingClaims { features: vec!["synchronizedAudioText".into()], hazard: true, ..Default::default() };
        let meta = metadata(&[("mo-1".into(), 61.0)], &["espeak-ng".into()], &has);
        assert!(meta.contains("<meta property=\"media:duration\" refines=\"#mo-1\">0:01:01.000</meta>"));
        assert_eq!(meta.matches("synchronizedAudioText").count(), 0, "already claimed");
        assert!(!meta.contains("accessibilityHazard"));
        assert!(meta.contains("media:narrator\">espeak-ng<"));
    }
}
