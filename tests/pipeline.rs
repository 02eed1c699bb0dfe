//! The core pipeline end to end, with real espeak-ng worker processes.

mod common;

use common::{pipeline, speak_all, STATEMENT};
use herald::document::InputFormat;
use herald::engine::MarkKind;
use herald::pipeline::{SpeechRequest, SpeechStream};
use herald::speech::{Role, SpeechEvent, SpeechOptions};
use std::time::Duration;

/// The stream's next event (`None` once it has ended); fails if none comes within a minute.
async fn next_event(stream: &mut SpeechStream) -> Option<SpeechEvent> {
    tokio::time::timeout(Duration::from_secs(60), stream.events.recv()).await.expect("no speech event for 60 s")
}

#[tokio::test]
async fn plans_the_reference_statement() {
    let (pipeline, _cache) = pipeline(1).await;
    let plan = pipeline.plan(STATEMENT, InputFormat::Text, &SpeechOptions::default()).unwrap();
    assert_eq!(plan.title.as_deref(), Some("Joint statement"));
    assert_eq!(plan.lang.as_str(), "en");
    let meta: Vec<&str> = plan.meta.iter().map(|m| m.text.as_str()).collect();
    assert_eq!(
        meta,
        [
            "by NATO Secretary General Jens Stoltenberg with the Minister of Foreign Affairs of Japan, Yoshimasa Hayashi",
            "04 Apr. 2023",
            "Last updated 05 Apr. 2023 10:30",
            "(As delivered)",
        ]
    );
    // Spoken: title, byline, then the 10 body paragraphs.
    let roles: Vec<Role> = plan.paragraphs.iter().map(|p| p.role).collect();
    assert_eq!(roles[..2], [Role::Title, Role::Byline]);
    let body: Vec<_> = plan.body().collect();
    assert_eq!(body.len(), 10);
    assert_eq!(body[0].text, "Minister Hayashi,");
    assert_eq!(body[9].text, "Once again, a warm welcome to you.");
    assert!(plan
        .paragraphs
        .iter()
        .all(|p| p.lang.as_str() == "en" && p.sentences.iter().all(|s| s.lang.as_str() == "en")));
    assert!(!plan.paragraphs.iter().any(|p| p.text.contains('•') || p.text.contains('|')));
    let sentences: Vec<&str> = body[1].sentences.iter().map(|s| s.text.as_str()).collect();
    assert_eq!(sentences[..2], ["Welcome to NATO Headquarters.", "It is great to see you again."]);
    let total: usize = body.iter().map(|p| p.sentences.len()).sum();
    assert_eq!(total, 16);
    for p in &plan.paragraphs {
        let chars: Vec<char> = p.text.chars().collect();
        for s in &p.sentences {
            assert_eq!(chars[s.start..s.end].iter().collect::<String>(), s.text);
        }
    }
    // Dates stay unsplit when they are spoken too.
    let dated = pipeline
        .plan("It was updated on 05 Apr. 2023 10:30 by the office.", InputFormat::Text, &SpeechOptions::default())
        .unwrap();
    assert_eq!(dated.paragraphs[0].sentences.len(), 1);
}

#[tokio::test]
async fn synthesizes_the_reference_statement() {
    let (pipeline, _cache) = pipeline(2).await;
    let plan = pipeline.plan(STATEMENT, InputFormat::Text, &SpeechOptions::default()).unwrap();
    let out = speak_all(&pipeline, plan.utterances()).await;
    assert_eq!(out.skipped().count(), 0, "{:?}", out.events);
    let rate = pipeline.sample_rate();
    assert_eq!(rate, 22050);
    let seconds = out.samples.len() as f64 / rate as f64;
    assert!((100.0..200.0).contains(&seconds), "{seconds} s");
    assert!(herald::audio::rms(&out.samples) > 0.02, "silent audio");
    assert!(
        matches!(out.events.last(), Some(SpeechEvent::Finished { samples }) if *samples == out.samples.len() as u64)
    );
    // Utterances arrive in plan order.
    let order: Vec<usize> = out
        .events
        .iter()
        .filter_map(|e| if let SpeechEvent::Utterance { index, .. } = e { Some(*index) } else { None })
        .collect();
    assert_eq!(order, (0..plan.utterances().len()).collect::<Vec<_>>());
}

#[tokio::test]
async fn french_and_russian_paragraphs_use_their_voices() {
    let (pipeline, _cache) = pipeline(1).await;
    let text = "Le conseil municipal a voté hier soir le nouveau budget de la ville, qui prévoit davantage de pistes cyclables.\n\n\
                Городской совет вчера вечером утвердил новый бюджет, который предусматривает больше велосипедных дорожек.";
    let plan = pipeline.plan(text, InputFormat::Text, &SpeechOptions::default()).unwrap();
    let voices: Vec<(&str, &str)> = plan.paragraphs.iter().map(|p| (p.lang.as_str(), p.voice.as_str())).collect();
    assert_eq!(voices, [("fr", "espeak:fr"), ("ru", "espeak:ru")]);
    for paragraph in &plan.paragraphs {
        let out = speak_all(&pipeline, plan.paragraph_utterances(paragraph)).await;
        assert_eq!(out.skipped().count(), 0);
        assert!(out.samples.len() > 22050 && herald::audio::rms(&out.samples) > 0.02);
    }
    // The voice shapes the audio: the same French text in the English voice differs.
    let forced =
        SpeechOptions { voice: Some(herald::voice::VoiceId::parse("espeak:en-us").unwrap()), ..Default::default() };
    let english = pipeline.plan(text, InputFormat::Text, &forced).unwrap();
    let french = speak_all(&pipeline, plan.paragraph_utterances(&plan.paragraphs[0])).await;
    let anglicised = speak_all(&pipeline, english.paragraph_utterances(&english.paragraphs[0])).await;
    assert_ne!(french.samples, anglicised.samples);
}

#[tokio::test]
async fn word_marks_are_monotonic_and_point_at_words() {
    let (pipeline, _cache) = pipeline(1).await;
    let text = "Welcome to NATO Headquarters. It’s a great pleasure — and honour — to welcome you, Minister.";
    let plan = pipeline.plan(text, InputFormat::Text, &SpeechOptions::default()).unwrap();
    let utterances = plan.utterances();
    let out = speak_all(&pipeline, utterances.clone()).await;
    let words: Vec<_> = out
        .events
        .iter()
        .filter_map(|e| match e {
            SpeechEvent::Mark { index, mark } if mark.kind == MarkKind::Word => Some((*index, *mark)),
            _ => None,
        })
        .collect();
    assert!(words.len() >= 14, "{} word marks", words.len());
    assert!(words.windows(2).all(|w| w[0].1.sample <= w[1].1.sample), "marks go back in time");
    assert!(words.iter().all(|(_, m)| m.sample <= out.samples.len() as u64));
    for (index, mark) in &words {
        let chars: Vec<char> = utterances[*index].text.chars().collect();
        let word: String =
            chars[mark.text_offset as usize..(mark.text_offset + mark.text_len) as usize].iter().collect();
        assert!(
            word.chars().next().is_some_and(char::is_alphanumeric),
            "mark {mark:?} points at {word:?} in {:?}",
            utterances[*index].text
        );
        assert!(!word.contains(' '), "mark spans several words: {word:?}");
    }
    let first_words: Vec<String> = words
        .iter()
        .take(4)
        .map(|(i, m)| utterances[*i].text.chars().skip(m.text_offset as usize).take(m.text_len as usize).collect())
        .collect();
    assert_eq!(first_words, ["Welcome", "to", "NATO", "Headquarters"]);
}

#[tokio::test]
async fn first_audio_of_a_long_text_comes_before_the_text_is_all_planned() {
    let (pipeline, _cache) = pipeline(1).await;
    let pipeline = std::sync::Arc::new(pipeline);
    let text = [STATEMENT; 20].join("\n\n");
    let total = pipeline.plan(&text, InputFormat::Text, &SpeechOptions::default()).unwrap().utterances().len();
    let request = SpeechRequest { text, format: InputFormat::Text, options: SpeechOptions::default() };
    let mut stream = pipeline.speech(request).await.unwrap();
    assert_eq!(stream.opening.voice.as_ref().map(|v| v.as_str()), Some("espeak:en-us"));
    loop {
        match next_event(&mut stream).await.expect("speech") {
            SpeechEvent::Audio(samples) if !samples.is_empty() => break,
            SpeechEvent::Skipped { error, .. } => panic!("{error}"),
            _ => {}
        }
    }
    // The rest is planned only once the reader has delivered the first
    // utterance: until then only the opening (the title) is.
    let mut spoken = 0;
    while spoken == 0 {
        assert_eq!(stream.planned(), 1, "sentences planned before the first utterance was delivered");
        match next_event(&mut stream).await.expect("speech") {
            SpeechEvent::UtteranceEnd { .. } => spoken += 1,
            SpeechEvent::Skipped { error, .. } => panic!("{error}"),
            _ => {}
        }
    }
    assert_eq!(stream.planned(), 1, "sentences planned before the first utterance was delivered");
    // Read on: every sentence is planned and spoken, and the outline tells the whole.
    while let Some(event) = next_event(&mut stream).await {
        match event {
            SpeechEvent::UtteranceEnd { .. } => spoken += 1,
            SpeechEvent::Skipped { error, .. } => panic!("{error}"),
            _ => {}
        }
    }
    assert_eq!((spoken, stream.planned()), (total, total));
    let outline = stream.outline.await.expect("the outline, once all is planned");
    assert_eq!((outline.sentences, outline.lang.as_str()), (total, "en"));
    assert_eq!(outline.voices.iter().map(|v| v.as_str()).collect::<Vec<_>>(), ["espeak:en-us"]);
}

#[tokio::test]
async fn a_text_that_cannot_be_planned_is_refused_before_any_audio() {
    let (pipeline, _cache) = pipeline(1).await;
    let pipeline = std::sync::Arc::new(pipeline);
    let unknown = SpeechOptions {
        voice: Some(herald::voice::VoiceId::parse("espeak:nonexistent").unwrap()),
        ..SpeechOptions::default()
    };
    for (text, format, options) in [
        (r#"<!DOCTYPE speak [<!ENTITY x "y">]><speak>&x;</speak>"#, InputFormat::Ssml, SpeechOptions::default()),
        ("A voice nobody has.", InputFormat::Text, unknown),
    ] {
        let request = SpeechRequest { text: text.into(), format, options };
        assert!(pipeline.speech(request).await.is_err(), "{text}");
    }
}

#[tokio::test]
async fn a_listener_who_leaves_stops_the_planning_of_the_rest() {
    let (pipeline, _cache) = pipeline(1).await;
    let pipeline = std::sync::Arc::new(pipeline);
    let text = [STATEMENT; 50].join("\n\n");
    let request = SpeechRequest { text, format: InputFormat::Text, options: SpeechOptions::default() };
    let mut stream = pipeline.speech(request).await.unwrap();
    loop {
        match next_event(&mut stream).await.expect("the stream ended before any audio") {
            SpeechEvent::Audio(_) => break,
            SpeechEvent::Skipped { error, .. } => panic!("{error}"),
            _ => {}
        }
    }
    assert_eq!(pipeline.stats().texts_being_planned, 1);
    drop(stream);
    // Planning ends with the stream: it neither spins nor runs to the end of the text.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while pipeline.stats().texts_being_planned > 0 {
        assert!(std::time::Instant::now() < deadline, "planning went on after the listener left");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}
