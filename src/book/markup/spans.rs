//! Sentences of a run put in spans: the run's text is cut into sentences,
//! and each gets a `<span id=…>` that opens and closes inside the same
//! element, widened to whole inline elements it covers whole, or joined
//! with the next sentence where it cuts across one.

use super::{Atom, Marker, Say, Unit};

impl Marker<'_> {
    /// Wraps each sentence of a run (`atoms`, spoken in `lang`) in a
    /// span, widened or joined with the next as the markup requires.
    pub(super) fn wrap(&mut self, atoms: &[Atom], lang: Option<String>) {
        // The run's text with white space collapsed, and each char's atom.
        let (mut text, mut map) = (String::new(), Vec::new());
        for (index, atom) in atoms.iter().enumerate() {
            let space = atom.ch.is_whitespace();
            if space && (text.is_empty() || text.ends_with(' ')) {
                continue;
            }
            text.push(if space { ' ' } else { atom.ch });
            map.push(index);
        }
        if text.ends_with(' ') {
            text.pop();
            map.pop();
        }
        if !crate::text::normalize::has_content(&text) {
            return;
        }
        let sentences = crate::text::split_sentences(&text);
        let mut first = 0;
        while first < sentences.len() {
            let start_atom = map[sentences[first].start];
            let widened = (first..sentences.len()).find_map(|last| {
                let end_atom = map[sentences[last].end - 1];
                self.span(atoms, start_atom, end_atom).map(|span| (last, span))
            });
            let Some((last, (open_at, close_at))) = widened else {
                self.unwrapped += sentences.len() - first;
                tracing::warn!(file = self.path, "text cut across by markup is not read: {}", sentences[first].text);
                return;
            };
            let id = self.fresh_id();
            self.changes.push((open_at..open_at, format!("<span id=\"{id}\">")));
            self.changes.push((close_at..close_at, "</span>".to_string()));
            let spoken = spoken(&atoms[start_atom..=map[sentences[last].end - 1]]);
            self.units.push(Unit { id, text: spoken, lang: lang.clone() });
            first = last + 1;
        }
    }

    /// Where a span around atoms `a..=b` opens and closes, if one can: at
    /// the deepest level both ends share, each end widened to the whole
    /// elements it starts or ends.
    fn span(&self, atoms: &[Atom], a: usize, b: usize) -> Option<(usize, usize)> {
        let common = atoms[a].open.iter().zip(&atoms[b].open).take_while(|(x, y)| x == y).count();
        let level = atoms[a..=b].iter().map(|atom| atom.open.len()).min()?.min(common);
        let open_at = match atoms[a].open.get(level) {
            None => atoms[a].start,
            Some(&outer) => {
                let whole = atoms[a].open[level..].iter().all(|&e| self.inlines[e].first == Some(a));
                let start = self.inlines[outer].start;
                (whole && start != usize::MAX).then_some(start)?
            }
        };
        let close_at = match atoms[b].open.get(level) {
            None => atoms[b].end,
            Some(&outer) => {
                let whole = atoms[b].open[level..].iter().all(|&e| self.inlines[e].last == Some(b));
                (whole).then_some(self.inlines[outer].end?)?
            }
        };
        Some((open_at, close_at))
    }
}

/// What is spoken for `atoms`: their text, ruby bases by their readings,
/// white space collapsed.
fn spoken(atoms: &[Atom]) -> String {
    let mut text = String::new();
    for atom in atoms {
        match &atom.say {
            Say::Itself if atom.ch.is_whitespace() => {
                if !text.is_empty() && !text.ends_with(' ') {
                    text.push(' ');
                }
            }
            Say::Itself => text.push(atom.ch),
            Say::Reading(reading) => text.push_str(reading),
            Say::Nothing => {}
        }
    }
    text.trim_end().to_string()
}
