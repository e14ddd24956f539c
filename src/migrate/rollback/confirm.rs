//! Asking the person before a step that writes: the command line answers from the
//! terminal, `--yes` answers yes, a test answers as it likes.

use std::future::Future;

/// An answer to "do this step?".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Yes,
    /// Skip this step, go on with the next.
    No,
    /// Stop here.
    Quit,
}

/// Who answers.
pub trait Confirm {
    fn ask(&mut self, question: &str) -> impl Future<Output = Answer> + Send;
}

/// Always yes: `--yes`.
pub struct Always;

impl Confirm for Always {
    #[allow(clippy::manual_async_fn)]
    fn ask(&mut self, _question: &str) -> impl Future<Output = Answer> + Send {
        async { Answer::Yes }
    }
}

/// Reads an answer from a line: y, n or q (anything else is no).
pub fn parse(line: &str) -> Answer {
    match line.trim().to_ascii_lowercase().as_str() {
        "y" | "yes" => Answer::Yes,
        "q" | "quit" => Answer::Quit,
        _ => Answer::No,
    }
}
