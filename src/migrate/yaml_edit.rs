//! Surgical edits of block-style YAML documents in a GitOps checkout: a key's block
//! removed, a block inserted or appended to a list, a scalar replaced; every other line,
//! comment and blank kept byte for byte. Whoever edits checks the result by parsing it
//! (see `repo_write`): an edit this cannot make safely is refused, never guessed.

/// One line's indentation and what follows it.
fn indent(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

fn is_content(line: &str) -> bool {
    let t = line.trim();
    !t.is_empty() && !t.starts_with('#')
}

/// The text after a key's colon, when `line` (seen at `at` columns) is `key:`.
fn key_value<'a>(line: &'a str, at: usize, key: &str) -> Option<&'a str> {
    let rest = line.get(at..)?;
    let rest = rest
        .strip_prefix(key)
        .or_else(|| rest.strip_prefix(&format!("\"{key}\"")))
        .or_else(|| rest.strip_prefix(&format!("'{key}'")))?;
    let rest = rest.strip_prefix(':')?;
    (rest.is_empty() || rest.starts_with(' ') || rest.starts_with('\t')).then(|| rest.trim())
}

/// A file's lines, with the YAML document boundaries.
#[derive(Debug, Clone)]
pub struct Text {
    pub lines: Vec<String>,
    trailing_newline: bool,
}

/// A mapping block: the lines it spans and the column its keys start at. The first line
/// may be a list item's `- ` line, whose first key sits after the dash.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Block {
    pub start: usize,
    pub end: usize,
    pub col: usize,
}

/// A key found in a mapping: its line, and the lines its value spans after it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Entry {
    pub line: usize,
    pub col: usize,
    /// One past the value's last line (a nested block or a sequence).
    pub end: usize,
}

impl Text {
    pub fn parse(text: &str) -> Text {
        Text {
            lines: text.lines().map(str::to_string).collect(),
            trailing_newline: text.ends_with('\n') || text.is_empty(),
        }
    }

    pub fn render(&self) -> String {
        let mut s = self.lines.join("\n");
        if self.trailing_newline {
            s.push('\n');
        }
        s
    }

    /// The `i`th document (0-based) as a block at column 0.
    pub fn document(&self, i: usize) -> Option<Block> {
        let mut starts = vec![0];
        for (n, l) in self.lines.iter().enumerate() {
            if l == "---" || l.starts_with("--- ") || l.starts_with("---\t") {
                starts.push(n + 1);
            }
        }
        // A leading `---` opens the first document rather than ending an empty one.
        if starts.len() > 1 && !self.lines[..starts[1] - 1].iter().any(|l| is_content(l)) {
            starts.remove(0);
        }
        let start = *starts.get(i)?;
        let end = starts.get(i + 1).map_or(self.lines.len(), |next| next - 1);
        Some(Block { start, end, col: 0 })
    }

    /// The `i`th document that has content (0-based, empty ones not counted), as the
    /// checkout's index numbers them; its number among all documents.
    pub fn content_document(&self, i: usize) -> Option<usize> {
        (0..)
            .map_while(|n| self.document(n).map(|b| (n, b)))
            .filter(|(_, b)| {
                (b.start..b.end.min(self.lines.len())).any(|l| is_content(&self.lines[l]))
            })
            .nth(i)
            .map(|(n, _)| n)
    }

    /// The document holding 1-based line `line`.
    pub fn document_at_line(&self, line: usize) -> Option<usize> {
        let n = line.checked_sub(1)?;
        (0..)
            .map_while(|i| self.document(i).map(|b| (i, b)))
            .find_map(|(i, b)| (b.start <= n && n < b.end.max(b.start + 1)).then_some(i))
    }

    /// Where a line's content starts when read as a member of `b` (after `- ` on its
    /// first line if `b` is a list item).
    fn col_of(&self, b: Block, n: usize) -> usize {
        let l = &self.lines[n];
        if n == b.start && l.trim_start().starts_with("- ") {
            indent(l) + 2 + indent(&l[indent(l) + 2..])
        } else {
            indent(l)
        }
    }

    /// The key `key` directly in block `b`.
    pub fn find(&self, b: Block, key: &str) -> Option<Entry> {
        let mut n = b.start;
        while n < b.end.min(self.lines.len()) {
            let l = &self.lines[n];
            if is_content(l) && self.col_of(b, n) == b.col && key_value(l, b.col, key).is_some() {
                return Some(Entry {
                    line: n,
                    col: b.col,
                    end: self.value_end(n, b.col, b.end),
                });
            }
            n += 1;
        }
        None
    }

    /// One past the last line of the value of the key at `line`: the lines indented
    /// deeper, and a sequence's `- ` items at the key's own column.
    fn value_end(&self, line: usize, col: usize, limit: usize) -> usize {
        let mut end = line + 1;
        let mut n = line + 1;
        while n < limit.min(self.lines.len()) {
            let l = &self.lines[n];
            if is_content(l) {
                let i = indent(l);
                let item = i == col && l.trim_start().starts_with('-');
                if i <= col && !item {
                    break;
                }
                end = n + 1;
            }
            n += 1;
        }
        end
    }

    /// The mapping that is `e`'s value.
    pub fn child(&self, e: Entry) -> Option<Block> {
        let first =
            (e.line + 1..e.end.min(self.lines.len())).find(|&n| is_content(&self.lines[n]))?;
        let l = &self.lines[first];
        if l.trim_start().starts_with('-') {
            return None;
        }
        Some(Block {
            start: e.line + 1,
            end: e.end,
            col: indent(l),
        })
    }

    /// The items of the sequence that is `e`'s value, each as a mapping block.
    pub fn items(&self, e: Entry) -> Vec<Block> {
        let mut starts = Vec::new();
        let mut dash_col = None;
        for n in e.line + 1..e.end.min(self.lines.len()) {
            let l = &self.lines[n];
            if !is_content(l) {
                continue;
            }
            let i = indent(l);
            let dash = l.trim_start().starts_with("- ") || l.trim() == "-";
            match dash_col {
                None if dash => {
                    dash_col = Some(i);
                    starts.push(n);
                }
                Some(c) if dash && i == c => starts.push(n),
                _ => {}
            }
        }
        let mut out = Vec::new();
        for (k, &s) in starts.iter().enumerate() {
            let end = starts.get(k + 1).copied().unwrap_or(e.end);
            let l = &self.lines[s];
            let col = indent(l) + 2 + indent(l.get(indent(l) + 2..).unwrap_or(""));
            out.push(Block { start: s, end, col });
        }
        out
    }

    /// The column a sequence's dashes sit at under a key at `key_col`, as this file writes
    /// them (indented under the key, or at its column).
    pub fn sequence_style(&self, key_col: usize) -> usize {
        for w in self.lines.windows(2) {
            if w[0].trim_end().ends_with(':') && is_content(&w[0]) {
                let d = &w[1];
                if d.trim_start().starts_with("- ") {
                    return key_col + (indent(d).saturating_sub(indent(&w[0])));
                }
            }
        }
        key_col + 2
    }

    /// The scalar value written after a key (quotes and a trailing comment taken off).
    pub fn scalar(&self, e: Entry) -> String {
        self.lines[e.line]
            .get(e.col..)
            .and_then(|r| r.split_once(':'))
            .map(|(_, v)| {
                v.split(" #")
                    .next()
                    .unwrap_or("")
                    .trim()
                    .trim_matches(['"', '\''])
                    .to_string()
            })
            .unwrap_or_default()
    }

    /// Whether a key's value is written on its own line (`key: {…}`, `key: []`, a scalar).
    pub fn inline(&self, e: Entry) -> bool {
        let after = self.lines[e.line]
            .get(e.col..)
            .and_then(|r| r.split_once(':'))
            .map(|(_, v)| v.trim())
            .unwrap_or("");
        !after.is_empty() && !after.starts_with('#')
    }

    /// Removes an entry (its key line and value), the line where a list item's dash sits
    /// excepted: the caller refuses that case.
    pub fn remove(&mut self, e: Entry) {
        let len = self.lines.len();
        self.lines
            .drain(e.line.min(len)..e.end.clamp(e.line.min(len), len));
    }

    /// Inserts lines before line `at`.
    pub fn insert(&mut self, at: usize, lines: Vec<String>) {
        let tail = self.lines.split_off(at.min(self.lines.len()));
        self.lines.extend(lines);
        self.lines.extend(tail);
    }

    /// Replaces the scalar value of the key at `e`, keeping a trailing comment.
    pub fn set_scalar(&mut self, e: Entry, key: &str, value: &str) {
        let l = &self.lines[e.line];
        let comment = l.find(" #").map(|i| l[i..].to_string()).unwrap_or_default();
        let prefix = &l[..e.col];
        self.lines[e.line] = format!("{prefix}{key}: {value}{comment}");
    }
}

/// A YAML value written as block lines at `col` (for a mapping's keys or a sequence's
/// dashes), in the file's sequence style.
pub fn block_lines(value: &serde_json::Value, col: usize) -> Vec<String> {
    let text = super::manifest::to_yaml(value);
    text.lines()
        .filter(|l| *l != "---")
        .map(|l| format!("{}{l}", " ".repeat(col)))
        .collect()
}

#[cfg(test)]
#[path = "yaml_edit_tests.rs"]
mod tests;
