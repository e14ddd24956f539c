//! The one pass that swaps originals for pseudonyms in a text.
//!
//! A single left-to-right scan, longest original first at each position, so a pseudonym
//! written earlier is never matched again (a namespace called `cluster` cannot eat the
//! `cluster` of `cluster-1`), and words that must survive (the plugin's name, API groups)
//! are matched as themselves before a shorter original inside them can be.

#[derive(Default)]
struct Node {
    /// Children by byte: most nodes have one, so a short list beats a map in memory.
    next: Vec<(u8, usize)>,
    /// What this node's path is replaced by, when it is a whole entry.
    to: Option<String>,
}

impl Node {
    fn child(&self, b: u8) -> Option<usize> {
        self.next.iter().find(|(c, _)| *c == b).map(|(_, n)| *n)
    }
}

/// The originals (and the kept words, mapped to themselves) as a byte trie.
pub(super) struct Replacer {
    nodes: Vec<Node>,
}

fn alnum(b: u8) -> bool {
    b.is_ascii_alphanumeric()
}

impl Replacer {
    pub(super) fn new<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let mut r = Replacer {
            nodes: vec![Node::default()],
        };
        for (from, to) in pairs {
            if from.is_empty() {
                continue;
            }
            let mut at = 0;
            for &b in from.as_bytes() {
                let len = r.nodes.len();
                at = match r.nodes[at].child(b) {
                    Some(n) => n,
                    None => {
                        r.nodes[at].next.push((b, len));
                        r.nodes.push(Node::default());
                        len
                    }
                };
            }
            // A kept word must not be overwritten by an original spelled the same.
            if r.nodes[at].to.is_none() {
                r.nodes[at].to = Some(to.to_string());
            }
        }
        r
    }

    /// The longest entry starting at `start` that ends on a boundary: its length and
    /// replacement.
    fn longest_at(&self, text: &[u8], start: usize) -> Option<(usize, &str)> {
        let mut at = 0;
        let mut best = None;
        let mut i = start;
        while i < text.len() {
            match self.nodes[at].child(text[i]) {
                Some(n) => at = n,
                None => break,
            }
            i += 1;
            if let Some(to) = &self.nodes[at].to
                && (i == text.len() || !alnum(text[i]))
            {
                best = Some((i - start, to.as_str()));
            }
        }
        best
    }

    /// The text with every original on boundaries replaced.
    pub(super) fn apply(&self, text: &str) -> String {
        let bytes = text.as_bytes();
        let mut out = String::with_capacity(text.len());
        let mut copied = 0;
        let mut i = 0;
        while i < bytes.len() {
            if i > 0 && alnum(bytes[i - 1]) {
                i += 1;
                continue;
            }
            match self.longest_at(bytes, i) {
                Some((len, to)) => {
                    // Entries are whole UTF-8 strings and start after an ASCII byte or at
                    // the start, so both ends are char boundaries.
                    out.push_str(&text[copied..i]);
                    out.push_str(to);
                    i += len;
                    copied = i;
                }
                None => i += 1,
            }
        }
        out.push_str(&text[copied..]);
        out
    }
}
