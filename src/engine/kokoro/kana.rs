//! Kana to Kokoro phonemes. Kokoro's Japanese voices were trained on
//! misaki's `ja` romaniser: one IPA-like symbol string per mora (`か` →
//! `ka`, `きゃ` → `kʲa`, `ー` → `ː`, `っ` → `ʔ`, `ん` assimilated to what
//! follows), words separated by spaces, Japanese punctuation as ASCII.
//! This is that mapping for text that is already kana (hiragana or
//! katakana, words separated by spaces); anything else that is not ASCII
//! is dropped, ASCII letters are kept as they are.

use unicode_normalization::UnicodeNormalization;

/// One kana (hiragana) and its phonemes.
#[rustfmt::skip]
const MORAE: &[(char, &str)] = &[
    ('ぁ', "a"), ('あ', "a"), ('ぃ', "i"), ('い', "i"), ('ぅ', "ɯ"), ('う', "ɯ"), ('ぇ', "e"), ('え', "e"), ('ぉ', "o"),
    ('お', "o"), ('か', "ka"), ('が', "ɡa"), ('き', "kʲi"), ('ぎ', "ɡʲi"), ('く', "kɯ"), ('ぐ', "ɡɯ"), ('け', "ke"),
    ('げ', "ɡe"), ('こ', "ko"), ('ご', "ɡo"), ('さ', "sa"), ('ざ', "ʣa"), ('し', "ɕi"), ('じ', "ʥi"), ('す', "sɨ"),
    ('ず', "zɨ"), ('せ', "se"), ('ぜ', "ʣe"), ('そ', "so"), ('ぞ', "ʣo"), ('た', "ta"), ('だ', "da"), ('ち', "ʨi"),
    ('ぢ', "ʥi"), ('つ', "ʦɨ"), ('づ', "zɨ"), ('て', "te"), ('で', "de"), ('と', "to"), ('ど', "do"), ('な', "na"),
    ('に', "ɲi"), ('ぬ', "nɯ"), ('ね', "ne"), ('の', "no"), ('は', "ha"), ('ば', "ba"), ('ぱ', "pa"), ('ひ', "çi"),
    ('び', "bʲi"), ('ぴ', "pʲi"), ('ふ', "ɸɯ"), ('ぶ', "bɯ"), ('ぷ', "pɯ"), ('へ', "he"), ('べ', "be"), ('ぺ', "pe"),
    ('ほ', "ho"), ('ぼ', "bo"), ('ぽ', "po"), ('ま', "ma"), ('み', "mʲi"), ('む', "mɯ"), ('め', "me"), ('も', "mo"),
    ('ゃ', "ja"), ('や', "ja"), ('ゅ', "jɯ"), ('ゆ', "jɯ"), ('ょ', "jo"), ('よ', "jo"), ('ら', "ɾa"), ('り', "ɾʲi"),
    ('る', "ɾɯ"), ('れ', "ɾe"), ('ろ', "ɾo"), ('ゎ', "βa"), ('わ', "βa"), ('ゐ', "i"), ('ゑ', "e"), ('を', "o"), ('ゔ', "vɯ"),
    ('ゕ', "ka"), ('ゖ', "ke"), ('ヷ', "va"), ('ヸ', "vʲi"), ('ヹ', "ve"), ('ヺ', "vo"),
];

/// Two kana read as one mora, and its phonemes.
#[rustfmt::skip]
const DIGRAPHS: &[(&str, &str)] = &[
    ("いぇ", "je"), ("うぃ", "βi"), ("うぇ", "βe"), ("うぉ", "βo"), ("きぇ", "kʲe"), ("きゃ", "kʲa"), ("きゅ", "kʲɨ"),
    ("きょ", "kʲo"), ("ぎゃ", "ɡʲa"), ("ぎゅ", "ɡʲɨ"), ("ぎょ", "ɡʲo"), ("くぁ", "kᵝa"), ("くぃ", "kᵝi"), ("くぇ", "kᵝe"),
    ("くぉ", "kᵝo"), ("ぐぁ", "ɡᵝa"), ("ぐぃ", "ɡᵝi"), ("ぐぇ", "ɡᵝe"), ("ぐぉ", "ɡᵝo"), ("しぇ", "ɕe"), ("しゃ", "ɕa"),
    ("しゅ", "ɕɨ"), ("しょ", "ɕo"), ("じぇ", "ʥe"), ("じゃ", "ʥa"), ("じゅ", "ʥɨ"), ("じょ", "ʥo"), ("ちぇ", "ʨe"), ("ちゃ", "ʨa"),
    ("ちゅ", "ʨɨ"), ("ちょ", "ʨo"), ("ぢゃ", "ʥa"), ("ぢゅ", "ʥɨ"), ("ぢょ", "ʥo"), ("つぁ", "ʦa"), ("つぃ", "ʦʲi"), ("つぇ", "ʦe"),
    ("つぉ", "ʦo"), ("てぃ", "tʲi"), ("てゅ", "tʲɨ"), ("でぃ", "dʲi"), ("でゅ", "dʲɨ"), ("とぅ", "tɯ"), ("どぅ", "dɯ"),
    ("にぇ", "ɲe"), ("にゃ", "ɲa"), ("にゅ", "ɲɨ"), ("にょ", "ɲo"), ("ひぇ", "çe"), ("ひゃ", "ça"), ("ひゅ", "çɨ"), ("ひょ", "ço"),
    ("びゃ", "bʲa"), ("びゅ", "bʲɨ"), ("びょ", "bʲo"), ("ぴゃ", "pʲa"), ("ぴゅ", "pʲɨ"), ("ぴょ", "pʲo"), ("ふぁ", "ɸa"),
    ("ふぃ", "ɸʲi"), ("ふぇ", "ɸe"), ("ふぉ", "ɸo"), ("ふゅ", "ɸʲɨ"), ("ふょ", "ɸʲo"), ("みゃ", "mʲa"), ("みゅ", "mʲɨ"),
    ("みょ", "mʲo"), ("りゃ", "ɾʲa"), ("りゅ", "ɾʲɨ"), ("りょ", "ɾʲo"), ("ゔぁ", "va"), ("ゔぃ", "vʲi"), ("ゔぇ", "ve"),
    ("ゔぉ", "vo"), ("ゔゅ", "bʲɨ"), ("ゔょ", "bʲo"),
];

/// Japanese punctuation and what the model was trained to see for it.
#[rustfmt::skip]
const PUNCTUATION: &[(char, &str)] = &[
    ('。', "."), ('、', ","), ('？', "?"), ('！', "!"), ('「', "“"), ('」', "”"), ('『', "“"), ('』', "”"), ('：', ":"),
    ('；', ";"), ('，', ","), ('・', " "), ('～', "—"), ('〜', "—"), ('—', "—"), ('…', "…"), ('.', "."), (',', ","),
    ('?', "?"), ('!', "!"), (':', ":"), (';', ";"),
];

/// Small kana that join the kana before them into one mora.
const SMALL: &[char] = &['ゃ', 'ゅ', 'ょ', 'ぁ', 'ぃ', 'ぅ', 'ぇ', 'ぉ'];

/// Small katakana of the phonetic extensions block, and their full-size kana.
#[rustfmt::skip]
const EXTENSIONS: &[(char, char)] = &[
    ('ㇰ', 'く'), ('ㇱ', 'し'), ('ㇲ', 'す'), ('ㇳ', 'と'), ('ㇴ', 'ぬ'), ('ㇵ', 'は'), ('ㇶ', 'ひ'), ('ㇷ', 'ふ'), ('ㇸ', 'へ'),
    ('ㇹ', 'ほ'), ('ㇺ', 'む'), ('ㇻ', 'ら'), ('ㇼ', 'り'), ('ㇽ', 'る'), ('ㇾ', 'れ'), ('ㇿ', 'ろ'),
];

fn mora(kana: char) -> Option<&'static str> {
    MORAE.iter().find(|(k, _)| *k == kana).map(|(_, p)| *p)
}

fn digraph(first: char, second: char) -> Option<&'static str> {
    DIGRAPHS.iter().find(|(k, _)| k.chars().eq([first, second])).map(|(_, p)| *p)
}

fn punctuation(c: char) -> Option<&'static str> {
    PUNCTUATION.iter().find(|(k, _)| *k == c).map(|(_, p)| *p)
}

/// Full-width forms made plain (NFKC), katakana made hiragana.
fn normalize(text: &str) -> Vec<char> {
    let text: String =
        text.chars().map(|c| EXTENSIONS.iter().find(|(k, _)| *k == c).map_or(c, |(_, full)| *full)).collect();
    text.nfkc()
        .map(|c| match c {
            'ァ'..='ヶ' => char::from_u32(c as u32 - 0x60).unwrap_or(c),
            _ => c,
        })
        .collect()
}

/// Kana text as Kokoro phonemes.
pub(crate) fn phonemes(text: &str) -> String {
    // Each token, and whether a space follows it.
    let mut tokens: Vec<(String, bool)> = Vec::new();
    for word in words(&normalize(text)) {
        let (text, opening) = match word {
            Word::Punctuation(c) => (punctuation(c).unwrap_or_default().to_string(), "「『".contains(c)),
            Word::Ascii(w) => (w.to_ascii_lowercase(), false),
            Word::Kana(w) => (romanize(&w), false),
        };
        let spaced = if opening || text.is_empty() {
            if let Some((_, space)) = tokens.last_mut() {
                *space = true;
            }
            false
        } else if matches!(text.as_str(), "”" | "." | "," | "?" | "!" | ":") {
            if let Some((_, space)) = tokens.last_mut() {
                *space = false;
            }
            true
        } else {
            text != " "
        };
        tokens.push((text, spaced));
    }
    let joined: String = tokens.iter().map(|(t, space)| if *space { format!("{t} ") } else { t.clone() }).collect();
    join_glottal_stops(&joined.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// A sokuon (`ʔ`) belongs to the syllable after it: no space on either
/// side, unless punctuation stands there.
fn join_glottal_stops(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    for (i, &c) in chars.iter().enumerate() {
        let before = i.checked_sub(1).map(|j| chars[j]);
        let after = chars.get(i + 1).copied();
        let drop = c == ' '
            && ((after == Some('ʔ') && !before.is_some_and(|b| "!\",.:;?»—…”".contains(b)))
                || (before == Some('ʔ') && !after.is_some_and(|a| "\"«“".contains(a))));
        if !drop {
            out.push(c);
        }
    }
    out
}

enum Word {
    Kana(Vec<char>),
    Ascii(String),
    Punctuation(char),
}

/// Runs of kana (or of ASCII letters), split at spaces and punctuation.
fn words(chars: &[char]) -> Vec<Word> {
    let mut words = Vec::new();
    let mut current: Vec<char> = Vec::new();
    let flush = |current: &mut Vec<char>, words: &mut Vec<Word>| {
        if current.is_empty() {
            return;
        }
        let word = std::mem::take(current);
        if word.iter().all(char::is_ascii) {
            words.push(Word::Ascii(word.into_iter().collect()));
        } else {
            words.push(Word::Kana(word));
        }
    };
    for &c in chars {
        if c.is_whitespace() {
            flush(&mut current, &mut words);
        } else if punctuation(c).is_some() {
            flush(&mut current, &mut words);
            words.push(Word::Punctuation(c));
        } else if current.last().is_some_and(|last| last.is_ascii() != c.is_ascii()) {
            flush(&mut current, &mut words);
            current.push(c);
        } else {
            current.push(c);
        }
    }
    flush(&mut current, &mut words);
    words
}

/// One word of kana, mora by mora.
fn romanize(kana: &[char]) -> String {
    let mut out = String::new();
    for (i, &c) in kana.iter().enumerate() {
        let previous = i.checked_sub(1).map(|j| kana[j]);
        let next = kana.get(i + 1).copied();
        out.push_str(&single(previous, c, next));
    }
    out
}

/// The phonemes of kana `c` between its neighbours.
fn single(previous: Option<char>, c: char, next: Option<char>) -> String {
    match c {
        'ゝ' => return previous.and_then(mora).unwrap_or_default().to_string(),
        'ゞ' => return previous.and_then(voiced).and_then(mora).unwrap_or_default().to_string(),
        '々' | '〃' => return String::new(),
        _ => {}
    }
    if let Some(both) = previous.and_then(|p| digraph(p, c)) {
        return both.to_string();
    }
    if next.is_some_and(|n| digraph(c, n).is_some()) {
        return String::new();
    }
    if let Some(small) = next.filter(|n| SMALL.contains(n)).and_then(mora) {
        if c == 'っ' {
            return String::new();
        }
        let Some(own) = mora(c) else { return String::new() };
        let mut consonant: Vec<char> = own.chars().collect();
        consonant.pop();
        return consonant.into_iter().chain(small.chars()).collect();
    }
    if SMALL.contains(&c) {
        return String::new();
    }
    match c {
        'ー' => "ː".to_string(),
        'っ' => "ʔ".to_string(),
        'ん' => moraic_nasal(next).to_string(),
        _ => mora(c).unwrap_or_default().to_string(),
    }
}

/// `ん` takes the place of articulation of what follows.
fn moraic_nasal(next: Option<char>) -> &'static str {
    let Some(following) = next.and_then(mora) else { return "ɴ" };
    match following.chars().next() {
        Some('m' | 'p' | 'b') => "m",
        Some('k' | 'ɡ') => "ŋ",
        Some('ɲ' | 'ʨ' | 'ʥ') => "ɲ",
        Some('n' | 't' | 'd' | 'ɾ' | 'z') => "n",
        _ => "ɴ",
    }
}

/// The kana with a dakuten (`か` → `が`).
fn voiced(kana: char) -> Option<char> {
    let plain: Vec<char> = "かきくけこさしすせそたちつてとはひふへほ".chars().collect();
    let voiced: Vec<char> = "がぎぐげござじずぜぞだぢづでどばびぶべぼ".chars().collect();
    plain.iter().position(|&k| k == kana).map(|i| voiced[i])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Expected strings are misaki 0.7.4's `ja.JAG2P` output for the same
    /// kana, given to it as the words' readings.
    #[test]
    fn matches_the_romaniser_kokoro_was_trained_on() {
        let cases = [
            ("にほん の へいわ。", "ɲihoɴ no heiβa."),
            ("ニッポン ノ ヘーワト アンテー", "ɲiʔpoɴ no heːβato anteː"),
            ("こんにちは、 せかい。", "koɲɲiʨiha, sekai."),
            ("きょう は いい てんき です ね。", "kʲoɯ ha ii teŋkʲi desɨ ne."),
            ("しんぶん を よみました か？", "ɕimbɯɴ o jomʲimaɕita ka?"),
            ("ヴァイオリン と ティーカップ", "vaioɾʲiɴ to tʲiːkaʔpɯ"),
            ("がっこう に いって、 べんきょう しました！", "ɡaʔkoɯ ɲi iʔte, beŋkʲoɯ ɕimaɕita!"),
            ("「はい」 と いいました。", "“hai” to iimaɕita."),
            ("ｶﾀｶﾅ も よめます", "katakana mo jomemasɨ"),
            ("ファイル ヲ ウェブ ニ", "ɸaiɾɯ o βebɯ ɲi"),
            ("さんぽ さんか かんじ さんにん ほんや", "sampo saŋka kaɲʥi saɲɲiɴ hoɴja"),
            ("しぃ ちゃ ぢゃ", "ɕi ʨa ʥa"),
            ("まっ、 いい か。", "maʔ, ii ka."),
            ("きっぷ と ざっし", "kʲiʔpɯ to ʣaʔɕi"),
            ("ひゃく にじゅう　ごえん", "çakɯ ɲiʥɨɯ ɡoeɴ"),
            ("みょうにち・ごご", "mʲoɯɲiʨi ɡoɡo"),
        ];
        for (kana, expected) in cases {
            assert_eq!(phonemes(kana), expected, "{kana}");
        }
    }

    /// Where misaki's output is not what the model can say: it repeats the
    /// kana itself for `ゝ`, and keeps capitals, which the vocabulary
    /// reserves for English diphthongs.
    #[test]
    fn iteration_marks_repeat_sounds_and_letters_are_lower_case() {
        assert_eq!(phonemes("こゝろ と いすゞ"), "kokoɾo to isɨzɨ");
        assert_eq!(phonemes("NATO の かいぎ"), "nato no kaiɡʲi");
    }
}
