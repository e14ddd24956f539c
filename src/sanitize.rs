//! Making untrusted text safe for a terminal or a Markdown file. Names, messages, log
//! lines, trees, themes and configs can carry escape sequences that retitle a window,
//! write the clipboard (OSC 52) or clear the screen, and bidirectional overrides that make
//! text read differently from what it is. Everything that leaves the app as text passes
//! through [`clean`]; JSON is left to serde, which escapes control characters itself.

use std::borrow::Cow;

/// Bidirectional controls: embeddings and overrides (U+202A-202E), isolates (U+2066-2069)
/// and the marks that steer them (U+200E, U+200F, U+061C).
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// A character that must not reach a terminal as it is. Newline and tab stay: they
/// lay text out and do nothing else.
fn is_unsafe(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t') || is_bidi_control(c)
}

/// Whether `s` needs cleaning at all: most text does not, and is then not copied.
pub fn is_clean(s: &str) -> bool {
    !s.chars().any(is_unsafe)
}

/// What an escape sequence that starts at ESC (or at its 8-bit C1 form) spans.
#[derive(Clone, Copy, PartialEq)]
enum Escape {
    /// Not in a sequence.
    None,
    /// Just after ESC: the next character decides the kind.
    Start,
    /// CSI: parameters and intermediates up to a final byte in @..~.
    Csi,
    /// OSC, DCS, SOS, PM, APC: a string up to BEL or ST (ESC \).
    Str,
    /// An ESC inside a string: `\` ends it.
    StrEsc,
    /// ESC followed by intermediates (0x20-0x2F) up to a final byte.
    Intermediate,
}

/// `s` without control characters (but newline and tab), without whole escape sequences
/// (CSI, OSC, DCS and the other strings, in their 7-bit and 8-bit forms), and without
/// bidirectional controls. A sequence is removed whole, so `ESC]0;title BEL` leaves
/// nothing behind rather than `]0;title`.
pub fn clean(s: &str) -> Cow<'_, str> {
    if is_clean(s) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut state = Escape::None;
    for c in s.chars() {
        state = match state {
            Escape::None => match c {
                '\u{1b}' => Escape::Start,
                '\u{9b}' => Escape::Csi,
                '\u{9d}' | '\u{90}' | '\u{98}' | '\u{9e}' | '\u{9f}' => Escape::Str,
                c if is_unsafe(c) => Escape::None,
                c => {
                    out.push(c);
                    Escape::None
                }
            },
            Escape::Start => match c {
                '[' => Escape::Csi,
                ']' | 'P' | 'X' | '^' | '_' => Escape::Str,
                '\u{20}'..='\u{2f}' => Escape::Intermediate,
                // A two-character sequence (ESC 7, ESC c, ...) ends here.
                _ => Escape::None,
            },
            Escape::Csi => match c {
                '\u{40}'..='\u{7e}' => Escape::None,
                // A line break cannot be part of a sequence: the data just ended badly.
                '\n' => {
                    out.push('\n');
                    Escape::None
                }
                _ => Escape::Csi,
            },
            Escape::Intermediate => match c {
                '\u{20}'..='\u{2f}' => Escape::Intermediate,
                _ => Escape::None,
            },
            Escape::Str => match c {
                '\u{07}' | '\u{9c}' => Escape::None,
                '\u{1b}' => Escape::StrEsc,
                '\n' => {
                    out.push('\n');
                    Escape::None
                }
                _ => Escape::Str,
            },
            Escape::StrEsc => match c {
                '\\' => Escape::None,
                '\u{1b}' => Escape::StrEsc,
                _ => Escape::Str,
            },
        };
    }
    Cow::Owned(out)
}

/// One line of a table cell or a heading: [`clean`], and line breaks become spaces.
pub fn clean_line(s: &str) -> Cow<'_, str> {
    let cleaned = clean(s);
    if cleaned.contains(['\n', '\t']) {
        Cow::Owned(cleaned.replace(['\n', '\t'], " "))
    } else {
        cleaned
    }
}

/// The most characters of one outside string a report, a transcript or stderr shows: a
/// 100k-character error or an HTML page given as a reason would bury everything else.
pub const MAX_FIELD: usize = 4096;

/// `s` cut to `max` characters, saying how much was left out.
pub fn bounded(s: &str, max: usize) -> Cow<'_, str> {
    match s.char_indices().nth(max) {
        None => Cow::Borrowed(s),
        Some((cut, _)) => {
            let rest = s[cut..].chars().count();
            Cow::Owned(format!("{}… ({rest} more characters)", &s[..cut]))
        }
    }
}

/// Text from outside for a report, a transcript or stderr: credentials masked, cleaned,
/// and bounded to [`MAX_FIELD`] characters.
pub fn untrusted(s: &str) -> String {
    let redacted = crate::redact::redact(s);
    bounded(&clean(&redacted), MAX_FIELD).into_owned()
}

/// A Markdown code fence that no line of `lines` can close early: backticks, one more
/// than the longest run of them in the text, and at least three.
pub fn code_fence<'a>(lines: impl IntoIterator<Item = &'a str>) -> String {
    let longest = lines.into_iter().map(backtick_run).max().unwrap_or(0);
    "`".repeat((longest + 1).max(3))
}

/// The longest run of backticks in `s`.
pub fn backtick_run(s: &str) -> usize {
    s.split(|c| c != '`').map(str::len).max().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The audit's payload: a retitle, a clipboard write, colour, a screen clear, BEL, CR,
    /// BS and a right-to-left override around ordinary text.
    const PAYLOAD: &str = "ready \u{1b}]0;PWNED-TITLE\u{7}\u{1b}]52;c;ZWNobyBwd25lZA==\u{7}\u{1b}[31mRED\u{1b}[2J\u{7}\r\u{8}\u{202e}evil 日本語 🔥é";

    #[test]
    fn escape_sequences_go_whole_and_text_stays() {
        assert_eq!(clean(PAYLOAD), "ready REDevil 日本語 🔥é");
    }

    #[test]
    fn eight_bit_and_string_sequences_go_too() {
        assert_eq!(clean("a\u{9b}31mb"), "ab");
        assert_eq!(clean("a\u{9d}0;t\u{9c}b"), "ab");
        assert_eq!(clean("a\u{1b}P1;2|data\u{1b}\\b"), "ab");
        assert_eq!(clean("a\u{1b}(Bb"), "ab");
        assert_eq!(clean("a\u{1b}7b\u{1b}8c"), "abc");
        assert_eq!(clean("x\u{2066}y\u{2069}z\u{200f}"), "xyz");
        assert_eq!(clean("del\u{7f}ete"), "delete");
    }

    #[test]
    fn an_unterminated_sequence_ends_at_the_line() {
        assert_eq!(clean("one\u{1b}]0;title\ntwo"), "one\ntwo");
        assert_eq!(clean("one\u{1b}[31\ntwo"), "one\ntwo");
    }

    #[test]
    fn a_fence_outlasts_the_backticks_inside() {
        assert_eq!(code_fence(["plain"]), "```");
        assert_eq!(code_fence(["a ```` b", "``"]), "`````");
    }

    #[test]
    fn long_text_is_cut_and_says_so() {
        assert_eq!(bounded("héllo", 5), "héllo");
        assert_eq!(bounded("héllo wörld", 5), "héllo… (6 more characters)");
        let huge = format!("password={}", "a".repeat(100_000));
        let shown = untrusted(&huge);
        assert!(shown.starts_with("password=[redacted]"), "{shown}");
        assert!(untrusted(&"é".repeat(10_000)).ends_with("… (5904 more characters)"));
    }

    #[test]
    fn clean_text_is_not_copied() {
        let s = "pg-orders-1 (plugin-barman-cloud): archived\tWAL\n";
        assert!(matches!(clean(s), Cow::Borrowed(_)));
        assert_eq!(
            clean_line(s),
            "pg-orders-1 (plugin-barman-cloud): archived WAL "
        );
    }
}
