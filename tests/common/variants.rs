//! Variants of the reference statement for batch tests and benchmarks: its
//! body paragraphs rotated and its title numbered, so each is a different
//! statement made of the same sentences.

const STATEMENT: &str = include_str!("../fixtures/nato-japan-joint-statement-2023-04-04.txt");

/// Variant `n`: the body rotated by `n` paragraphs, titled "… part n+1".
pub(crate) fn variant(n: usize) -> String {
    let blocks: Vec<&str> = STATEMENT.split("\n\n").collect();
    let (head, body) = blocks.split_at(4);
    let mut body = body.to_vec();
    let shift = n % body.len();
    body.rotate_left(shift);
    let title = format!("Joint statement, part {}", n + 1);
    [&[title.as_str()], &head[1..], &body[..]].concat().join("\n\n")
}
