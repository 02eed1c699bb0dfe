//! Numbers read in Japanese, in katakana: cardinals with 万/億/兆 grouping
//! and the sound changes inside them (300 サンビャク, 8000 ハッセン), and
//! numbers with counters, which change the number's last sound, the
//! counter's first, or both: 1冊 イッサツ, 3本 サンボン, 6匹 ロッピキ,
//! 10分 ジュップン, 2人 フタリ, 4月 シガツ, 4日 ヨッカ, 20日 ハツカ.

const DIGITS: [&str; 10] = ["ゼロ", "イチ", "ニ", "サン", "ヨン", "ゴ", "ロク", "ナナ", "ハチ", "キュウ"];

/// Kanji numerals as digits.
fn kanji_digit(c: char) -> Option<u64> {
    Some(match c {
        '〇' | '零' => 0,
        '一' => 1,
        '二' => 2,
        '三' => 3,
        '四' => 4,
        '五' => 5,
        '六' => 6,
        '七' => 7,
        '八' => 8,
        '九' => 9,
        _ => return None,
    })
}

/// The value of a number written in digits (ASCII or full-width, commas
/// allowed), kanji numerals, or both (`2023`, `二千二十三`, `3万`).
pub(crate) fn parse(written: &str) -> Option<u64> {
    let (mut total, mut section, mut current) = (0u64, 0u64, 0u64);
    let mut any = false;
    for c in written.chars() {
        if let Some(d) = super::digit(c).map(u64::from).or_else(|| kanji_digit(c)) {
            current = current.checked_mul(10)?.checked_add(d)?;
            any = true;
            continue;
        }
        let small = match c {
            '十' => 10,
            '百' => 100,
            '千' => 1000,
            _ => 0,
        };
        if small > 0 {
            section += current.max(1) * small;
            current = 0;
            any = true;
            continue;
        }
        let large: u64 = match c {
            '万' => 10_000,
            '億' => 100_000_000,
            '兆' => 1_000_000_000_000,
            ',' | '，' => continue,
            _ => return None,
        };
        total = total.checked_add((section + current).max(1).checked_mul(large)?)?;
        (section, current, any) = (0, 0, true);
    }
    any.then_some(total + section + current)
}

/// How a number ends, which decides the sound changes of a counter after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ending {
    Digit(u64),
    Ten,
    Hundred,
    Thousand,
    Large,
}

/// A number's reading without its last part, and that last part.
fn split(n: u64) -> (String, Ending) {
    if n == 0 {
        return (DIGITS[0].to_string(), Ending::Large);
    }
    let ending = match n {
        _ if !n.is_multiple_of(10) => Ending::Digit(n % 10),
        _ if !n.is_multiple_of(100) => Ending::Ten,
        _ if !n.is_multiple_of(1000) => Ending::Hundred,
        _ if !n.is_multiple_of(10_000) => Ending::Thousand,
        _ => Ending::Large,
    };
    let last = match ending {
        Ending::Digit(d) => d,
        Ending::Ten => n % 100,
        Ending::Hundred => n % 1000,
        Ending::Thousand => n % 10_000,
        Ending::Large => 0,
    };
    let head = if last == 0 || last == n { String::new() } else { cardinal(n - last) };
    (head, ending)
}

/// A cardinal number.
pub(crate) fn cardinal(n: u64) -> String {
    if n == 0 {
        return DIGITS[0].to_string();
    }
    let mut out = String::new();
    for (size, unit) in [(1_000_000_000_000u64, "チョウ"), (100_000_000, "オク"), (10_000, "マン")] {
        let group = n / size % 10_000;
        if n >= size && group > 0 {
            let group_reading = below_ten_thousand(group);
            if unit == "チョウ" && (matches!(group % 10, 1 | 8) || group % 100 == 10) {
                // 1兆 イッチョウ, 8兆 ハッチョウ, 10兆 ジュッチョウ.
                out.push_str(&geminate(&group_reading));
            } else {
                out.push_str(&group_reading);
            }
            out.push_str(unit);
        }
    }
    out.push_str(&below_ten_thousand(n % 10_000));
    out
}

/// 1–9999 (0 reads as nothing), with 一 spoken only before 万 and larger.
fn below_ten_thousand(n: u64) -> String {
    let mut out = String::new();
    match n / 1000 % 10 {
        0 => {}
        1 => out.push_str("セン"),
        3 => out.push_str("サンゼン"),
        8 => out.push_str("ハッセン"),
        d => out.extend([DIGITS[d as usize], "セン"]),
    }
    match n / 100 % 10 {
        0 => {}
        1 => out.push_str("ヒャク"),
        3 => out.push_str("サンビャク"),
        6 => out.push_str("ロッピャク"),
        8 => out.push_str("ハッピャク"),
        d => out.extend([DIGITS[d as usize], "ヒャク"]),
    }
    match n / 10 % 10 {
        0 => {}
        1 => out.push_str("ジュウ"),
        d => out.extend([DIGITS[d as usize], "ジュウ"]),
    }
    if !n.is_multiple_of(10) {
        out.push_str(DIGITS[(n % 10) as usize]);
    }
    out
}

/// A reading whose last sound doubles the next consonant (イチ → イッ).
fn geminate(reading: &str) -> String {
    for (full, short) in
        [("イチ", "イッ"), ("ロク", "ロッ"), ("ハチ", "ハッ"), ("ジュウ", "ジュッ"), ("ヒャク", "ヒャッ")]
    {
        if let Some(head) = reading.strip_suffix(full) {
            return format!("{head}{short}");
        }
    }
    reading.to_string()
}

/// How a counter's first sound changes after a number.
#[derive(Clone, Copy)]
enum Kind {
    /// h-row counters (本 ホン, 匹 ヒキ, 杯 ハイ): イッポン, サンボン, ロッポン.
    /// `b` is what follows 3 (ボン; プン for 分).
    H { p: &'static str, b: &'static str },
    /// k-, s- and t-row counters (冊 サツ, 個 コ, 回 カイ): イッサツ, ハッサツ.
    Geminating { six: bool, three: Option<&'static str> },
}

/// Counters with regular sound changes: surface, plain reading, kind.
const COUNTERS: &[(&str, &str, Kind)] = &[
    ("本", "ホン", Kind::H { p: "ポン", b: "ボン" }),
    ("匹", "ヒキ", Kind::H { p: "ピキ", b: "ビキ" }),
    ("杯", "ハイ", Kind::H { p: "パイ", b: "バイ" }),
    ("分", "フン", Kind::H { p: "プン", b: "プン" }),
    ("泊", "ハク", Kind::H { p: "パク", b: "パク" }),
    ("冊", "サツ", Kind::Geminating { six: false, three: None }),
    ("個", "コ", Kind::Geminating { six: true, three: None }),
    ("回", "カイ", Kind::Geminating { six: true, three: None }),
    ("階", "カイ", Kind::Geminating { six: true, three: Some("ガイ") }),
    ("軒", "ケン", Kind::Geminating { six: true, three: Some("ゲン") }),
    ("歳", "サイ", Kind::Geminating { six: false, three: None }),
    ("才", "サイ", Kind::Geminating { six: false, three: None }),
    ("週", "シュウ", Kind::Geminating { six: false, three: None }),
    ("件", "ケン", Kind::Geminating { six: true, three: None }),
];

/// Days of the month with their own words.
const DAYS: &[(u64, &str)] = &[
    (1, "ツイタチ"),
    (2, "フツカ"),
    (3, "ミッカ"),
    (4, "ヨッカ"),
    (5, "イツカ"),
    (6, "ムイカ"),
    (7, "ナノカ"),
    (8, "ヨウカ"),
    (9, "ココノカ"),
    (10, "トオカ"),
    (14, "ジュウヨッカ"),
    (20, "ハツカ"),
    (24, "ニジュウヨッカ"),
];

/// `n` with `counter` after it; `after_month`: the number follows a month
/// (`4月4日`), so 日 is a day of the month. `None` if `counter` is not a
/// counter read here.
pub(crate) fn with_counter(n: u64, counter: &str, after_month: bool) -> Option<String> {
    let (head, ending) = split(n);
    // The number with its last digit read as `irregular` gives for it.
    let last_digit = |irregular: &dyn Fn(u64) -> Option<&'static str>| match ending {
        Ending::Digit(d) => match irregular(d) {
            Some(said) => format!("{head}{said}"),
            None => cardinal(n),
        },
        _ => cardinal(n),
    };
    let said = match counter {
        "年" => {
            last_digit(&|d| match d {
                4 => Some("ヨ"),
                _ => None,
            }) + "ネン"
        }
        "月" if (1..=12).contains(&n) => {
            last_digit(&|d| match d {
                4 => Some("シ"),
                7 => Some("シチ"),
                9 => Some("ク"),
                _ => None,
            }) + "ガツ"
        }
        "日" => match DAYS.iter().find(|(day, _)| *day == n) {
            Some((1, _)) if !after_month => "イチニチ".to_string(),
            Some((_, word)) => word.to_string(),
            None => {
                last_digit(&|d| match d {
                    7 => Some("シチ"),
                    9 => Some("ク"),
                    _ => None,
                }) + "ニチ"
            }
        },
        "人" if n == 1 => "ヒトリ".to_string(),
        "人" if n == 2 => "フタリ".to_string(),
        "人" => {
            last_digit(&|d| match d {
                4 => Some("ヨ"),
                _ => None,
            }) + "ニン"
        }
        "時" => {
            last_digit(&|d| match d {
                4 => Some("ヨ"),
                7 => Some("シチ"),
                9 => Some("ク"),
                _ => None,
            }) + "ジ"
        }
        "円" => {
            last_digit(&|d| match d {
                4 => Some("ヨ"),
                _ => None,
            }) + "エン"
        }
        "歳" | "才" if n == 20 => "ハタチ".to_string(),
        _ => {
            let (_, plain, kind) = COUNTERS.iter().find(|(s, _, _)| *s == counter)?;
            regular(n, &head, ending, plain, *kind)
        }
    };
    Some(said)
}

/// A counter with the regular sound changes of its kind.
fn regular(n: u64, head: &str, ending: Ending, plain: &str, kind: Kind) -> String {
    let whole = cardinal(n);
    match (kind, ending) {
        (Kind::H { p, .. }, Ending::Digit(1 | 6 | 8) | Ending::Ten | Ending::Hundred) => geminate(&whole) + p,
        (Kind::H { b, .. }, Ending::Digit(3)) => format!("{head}サン{b}"),
        (Kind::H { p, .. }, Ending::Digit(4)) if plain == "フン" || plain == "ハク" => format!("{head}ヨン{p}"),
        (Kind::H { b, .. }, Ending::Thousand | Ending::Large) => whole + b,
        (Kind::Geminating { .. }, Ending::Digit(1 | 8) | Ending::Ten) => geminate(&whole) + plain,
        (Kind::Geminating { six: true, .. }, Ending::Digit(6)) => geminate(&whole) + plain,
        (Kind::Geminating { three: Some(voiced), .. }, Ending::Digit(3)) => format!("{head}サン{voiced}"),
        _ => whole + plain,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_digits_and_kanji_numerals() {
        assert_eq!(parse("2023"), Some(2023));
        assert_eq!(parse("２０２３"), Some(2023));
        assert_eq!(parse("1,000"), Some(1000));
        assert_eq!(parse("二千二十三"), Some(2023));
        assert_eq!(parse("二〇二三"), Some(2023));
        assert_eq!(parse("3万"), Some(30_000));
        assert_eq!(parse("十"), Some(10));
        assert_eq!(parse("百五十万"), Some(1_500_000));
        assert_eq!(parse("年"), None);
    }

    #[test]
    fn cardinals_change_sounds_inside() {
        assert_eq!(cardinal(2023), "ニセンニジュウサン");
        assert_eq!(cardinal(300), "サンビャク");
        assert_eq!(cardinal(8600), "ハッセンロッピャク");
        assert_eq!(cardinal(10_000), "イチマン");
        assert_eq!(cardinal(120_000_000), "イチオクニセンマン");
    }
}
