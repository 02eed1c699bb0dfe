//! Numbers read in Mandarin, as numbered pinyin syllables: cardinals with
//! 万/亿 grouping and 零 for skipped places (`105` 一百零五, `10005`
//! 一万零五), decimals (`3.14` 三点一四), percentages (`50%` 百分之五十),
//! years digit by digit (`2023年` 二零二三年) and 两 before measure words
//! (`2个` 两个).

const DIGITS: [&str; 10] = ["ling2", "yi1", "er4", "san1", "si4", "wu3", "liu4", "qi1", "ba1", "jiu3"];

/// Measure words before which 2 is read 两.
const MEASURES: &str = "个位本次天只种件张条名家台辆岁点";

/// The syllables of `token` (digits, optionally with a decimal part and a
/// trailing `%`) before the word `next` (whose first character is what
/// counts: jieba may join a measure word to what follows it, as in 个人),
/// or `None` if it is not a number.
pub(crate) fn read(token: &str, next: Option<&str>) -> Option<Vec<&'static str>> {
    let (body, percent) = match token.strip_suffix('%') {
        Some(body) => (body, true),
        None => (token, false),
    };
    let (whole, fraction) = body.split_once('.').unwrap_or((body, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || whole.len() > 16 || !all_digits(whole) || !all_digits(fraction) || body.ends_with('.') {
        return None;
    }
    let mut out = Vec::new();
    if percent {
        out.extend(["bai3", "fen1", "zhi1"]);
    }
    let value: u64 = whole.parse().ok()?;
    let next = next.and_then(|n| n.chars().next());
    let year = !percent && fraction.is_empty() && whole.len() == 4 && next == Some('年');
    if year || (whole.len() > 1 && whole.starts_with('0')) {
        out.extend(by_digit(whole));
    } else if value == 2 && fraction.is_empty() && !percent && next.is_some_and(|n| MEASURES.contains(n)) {
        out.push("liang3");
    } else {
        out.extend(cardinal(value));
    }
    if !fraction.is_empty() {
        out.push("dian3");
        out.extend(by_digit(fraction));
    }
    Some(out)
}

fn by_digit(digits: &str) -> impl Iterator<Item = &'static str> + '_ {
    digits.bytes().map(|b| DIGITS[(b - b'0') as usize])
}

/// A cardinal number's syllables.
pub(crate) fn cardinal(n: u64) -> Vec<&'static str> {
    let mut out = Vec::new();
    if n == 0 {
        out.push(DIGITS[0]);
    } else {
        grouped(n, &mut out, true);
    }
    out
}

/// `n` > 0 in groups of 亿 (10⁸) and 万 (10⁴); `leading`: nothing is said
/// before it, so 10–19 drop their 一.
fn grouped(n: u64, out: &mut Vec<&'static str>, leading: bool) {
    for (size, unit) in [(100_000_000u64, "yi4"), (10_000, "wan4")] {
        if n >= size {
            grouped(n / size, out, leading);
            out.push(unit);
            let rest = n % size;
            if rest > 0 {
                if rest < size / 10 {
                    out.push(DIGITS[0]);
                }
                grouped(rest, out, false);
            }
            return;
        }
    }
    below_ten_thousand(n, out, leading);
}

fn below_ten_thousand(n: u64, out: &mut Vec<&'static str>, leading: bool) {
    let places = [(n / 1000 % 10, "qian1"), (n / 100 % 10, "bai3"), (n / 10 % 10, "shi2"), (n % 10, "")];
    let (mut started, mut zero) = (false, false);
    for (i, (d, unit)) in places.into_iter().enumerate() {
        if d == 0 {
            zero |= started;
            continue;
        }
        if zero {
            out.push(DIGITS[0]);
            zero = false;
        }
        if !(i == 2 && d == 1 && !started && leading) {
            out.push(DIGITS[d as usize]);
        }
        if !unit.is_empty() {
            out.push(unit);
        }
        started = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn said(token: &str, next: Option<&str>) -> String {
        read(token, next).unwrap().join(" ")
    }

    #[test]
    fn cardinals_group_and_fill_zeros() {
        assert_eq!(said("10", None), "shi2");
        assert_eq!(said("15", None), "shi2 wu3");
        assert_eq!(said("105", None), "yi1 bai3 ling2 wu3");
        assert_eq!(said("110", None), "yi1 bai3 yi1 shi2");
        assert_eq!(said("1010", None), "yi1 qian1 ling2 yi1 shi2");
        assert_eq!(said("10005", None), "yi1 wan4 ling2 wu3");
        assert_eq!(said("120000", None), "shi2 er4 wan4");
        assert_eq!(said("300000000", None), "san1 yi4");
        assert_eq!(said("0", None), "ling2");
    }

    #[test]
    fn years_decimals_percentages_and_liang() {
        assert_eq!(said("2023", Some("年")), "er4 ling2 er4 san1");
        assert_eq!(said("2023", None), "er4 qian1 ling2 er4 shi2 san1");
        assert_eq!(said("3.14", None), "san1 dian3 yi1 si4");
        assert_eq!(said("50%", None), "bai3 fen1 zhi1 wu3 shi2");
        assert_eq!(said("2", Some("个")), "liang3");
        assert_eq!(said("2", Some("月")), "er4");
        assert!(read("3.", None).is_none() && read("abc", None).is_none());
    }
}
