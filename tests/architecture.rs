//! The module graph runs one way: no import cycle between Herald's
//! top-level modules, nor between sibling modules inside one of them (a
//! child using what its own parent defines is not counted). The graph is
//! read from the sources as the compiler sees them: `use crate::…`,
//! `use super::…` and `crate::…` paths outside test code.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const SRC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src");

/// Every source file with its module path (`audio::encode` for
/// `src/audio/encode.rs`), and its code before any `#[cfg(test)]`.
fn modules() -> Vec<(Vec<String>, String)> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(Path::new(SRC), &mut files);
    files
        .into_iter()
        .filter_map(|file| {
            let relative = file.strip_prefix(SRC).unwrap().with_extension("");
            let mut path: Vec<String> = relative.iter().map(|c| c.to_string_lossy().into_owned()).collect();
            if path.last().is_some_and(|l| l == "mod") {
                path.pop();
            }
            if path == ["lib"] || path == ["main"] {
                return None;
            }
            let text = std::fs::read_to_string(&file).unwrap();
            let code = text.split("#[cfg(test)]").next().unwrap().to_string();
            let code: String =
                code.lines().filter(|l| !l.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n");
            Some((path, code))
        })
        .collect()
}

/// The module paths a file's code names, resolved to absolute paths.
fn references(module: &[String], code: &str) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    for (prefix, base) in [("crate::", Vec::new()), ("super::", module[..module.len().saturating_sub(1)].to_vec())] {
        for (at, _) in code.match_indices(prefix) {
            // A `super::` inside `crate::a::super::` does not occur; a
            // `crate::` preceded by an identifier character is another path.
            if code[..at].chars().next_back().is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue;
            }
            let rest = &code[at + prefix.len()..];
            for path in expand(rest) {
                let mut full = base.clone();
                full.extend(path);
                found.push(full);
            }
        }
    }
    found
}

/// The paths a `use` tree or path starting at `rest` names: `a::b::C`,
/// or each branch of `{a::X, b::{Y, Z}}`.
fn expand(rest: &str) -> Vec<Vec<String>> {
    let head: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':').collect();
    let segments: Vec<String> = head.split("::").filter(|s| !s.is_empty()).map(str::to_string).collect();
    if !rest[head.len()..].starts_with('{') {
        return vec![segments];
    }
    let mut depth = 0;
    let mut inner = String::new();
    for c in rest[head.len()..].chars() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            _ => {}
        }
        inner.push(c);
        if depth == 0 {
            break;
        }
    }
    let inner = &inner[1..inner.len() - 1];
    let mut branches = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                branches.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    branches.push(&inner[start..]);
    let mut out = Vec::new();
    for branch in branches.iter().map(|b| b.trim()).filter(|b| !b.is_empty() && *b != "self") {
        for tail in expand(branch) {
            let mut path = segments.clone();
            path.extend(tail);
            out.push(path);
        }
    }
    if out.is_empty() {
        out.push(segments);
    }
    out
}

/// A cycle in `graph`, if there is one.
fn cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = stack.iter().position(|n| n == node) {
            return Some(stack[at..].to_vec());
        }
        if !done.insert(node.to_string()) {
            return None;
        }
        stack.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(found) = visit(next, graph, stack, done) {
                return Some(found);
            }
        }
        stack.pop();
        None
    }
    let mut done = BTreeSet::new();
    graph.keys().find_map(|node| visit(node, graph, &mut Vec::new(), &mut done))
}

#[test]
fn no_import_cycle_between_modules() {
    let modules = modules();
    let known: BTreeSet<Vec<String>> = modules.iter().map(|(m, _)| m.clone()).collect();
    // Edges between top-level modules, and between siblings under each parent.
    let mut graphs: BTreeMap<Vec<String>, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for (module, code) in &modules {
        for target in references(module, code) {
            // The deepest module the path names.
            let Some(target) = (1..=target.len()).rev().map(|n| target[..n].to_vec()).find(|p| known.contains(p))
            else {
                continue;
            };
            let common = module.iter().zip(&target).take_while(|(a, b)| a == b).count();
            // Within one parent: the two children of it on each side.
            if common < module.len() && common < target.len() {
                let parent = module[..common].to_vec();
                let graph = graphs.entry(parent).or_default();
                graph.entry(module[common].clone()).or_default().insert(target[common].clone());
            }
        }
    }
    let top_edges: usize = graphs.get(&Vec::new()).map_or(0, |g| g.values().map(BTreeSet::len).sum());
    assert!(top_edges > 40, "only {top_edges} edges between top-level modules were read");
    for (parent, graph) in &graphs {
        let place = if parent.is_empty() { "top level".to_string() } else { parent.join("::") };
        if let Some(found) = cycle(graph) {
            panic!("import cycle at {place}: {}", found.join(" -> "));
        }
    }
}

#[test]
fn the_reader_finds_known_edges_and_cycles() {
    assert_eq!(
        expand("a::{b::C, d::{E, f::G}}, x"),
        [vec!["a", "b", "C"], vec!["a", "d", "E"], vec!["a", "d", "f", "G"]]
    );
    let refs = references(
        &["web".into(), "speech".into()],
        "use super::error::Problems;\nlet r = crate::prosody::Rate::NORMAL;",
    );
    assert!(refs.contains(&vec!["web".to_string(), "error".into(), "Problems".into()]), "{refs:?}");
    assert!(refs.contains(&vec!["prosody".to_string(), "Rate".into(), "NORMAL".into()]), "{refs:?}");
    let graph = BTreeMap::from([
        ("a".to_string(), BTreeSet::from(["b".to_string()])),
        ("b".to_string(), BTreeSet::from(["a".to_string()])),
    ]);
    assert_eq!(cycle(&graph), Some(vec!["a".to_string(), "b".to_string()]));
}
