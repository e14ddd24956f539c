//! The key map: every key the dashboard reads is matched here, through tables that also
//! write the `?` help and the footer hints, so the three can never disagree. (Typed text,
//! in a filter, a command, a search or a note, is the one exception: it is text.)

mod tables;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

pub use tables::*;

pub struct Binding<A: 'static> {
    pub keys: &'static [(KeyCode, KeyModifiers)],
    /// How the keys are written in help.
    pub label: &'static str,
    pub action: A,
    pub help: &'static str,
    /// Shown in the footer.
    pub hint: Option<&'static str>,
}

/// One binding; a function so that each table is a line per key.
pub const fn bind<A>(
    keys: &'static [(KeyCode, KeyModifiers)],
    label: &'static str,
    action: A,
    help: &'static str,
    hint: Option<&'static str>,
) -> Binding<A> {
    Binding {
        keys,
        label,
        action,
        help,
        hint,
    }
}

/// The action a key press means in normal navigation, if any.
pub fn action_for(key: &KeyEvent) -> Option<Action> {
    action_in(BINDINGS, key)
}

/// The action a key press means in one of the key tables.
pub fn action_in<A: Copy>(table: &[Binding<A>], key: &KeyEvent) -> Option<A> {
    table
        .iter()
        .find(|b| {
            b.keys
                .iter()
                .any(|(code, mods)| *code == key.code && *mods == key.modifiers)
        })
        .map(|b| b.action)
}

/// Help and quit come first: a narrow footer loses the others, never those.
pub fn hints() -> Vec<(&'static str, &'static str)> {
    let mut ordered: Vec<&Binding<Action>> = BINDINGS.iter().collect();
    ordered.sort_by_key(|b| !matches!(b.action, Action::Help | Action::Quit));
    hints_of(ordered)
}

/// The footer hints of a table, in its order.
pub fn hints_of<'a, A: 'static>(
    table: impl IntoIterator<Item = &'a Binding<A>>,
) -> Vec<(&'static str, &'static str)> {
    table
        .into_iter()
        .filter_map(|b| b.hint.map(|h| (b.label, h)))
        .collect()
}

/// Each table's (keys, what they do), as the help lists them.
fn help_of<A>(table: &[Binding<A>]) -> Vec<(&'static str, &'static str)> {
    table.iter().map(|b| (b.label, b.help)).collect()
}

/// The help, section by section: every table, so no key goes unexplained.
pub fn help_sections() -> Vec<(&'static str, Vec<(&'static str, &'static str)>)> {
    vec![
        ("In every view", help_of(GLOBAL_BINDINGS)),
        ("In the panes", help_of(BINDINGS)),
        ("In an object's detail", help_of(DETAIL_BINDINGS)),
        ("In the findings list", help_of(FINDINGS_BINDINGS)),
        ("In a YAML, events or log view", help_of(TEXT_BINDINGS)),
        (
            "Typing a filter, command or search",
            help_of(INPUT_BINDINGS),
        ),
        ("In the walker", help_of(WALK_BINDINGS)),
        ("Writing a note in the walker", help_of(NOTE_BINDINGS)),
        ("In the tree chooser", help_of(CHOOSER_BINDINGS)),
        ("In an action's confirm dialog", help_of(CONFIRM_BINDINGS)),
        ("In a restore plan", help_of(PLAN_BINDINGS)),
        (
            "In a restore drill's confirm dialog",
            help_of(DRILL_CONFIRM_BINDINGS),
        ),
        ("In a running restore drill", help_of(DRILL_BINDINGS)),
        (
            "When no cluster could be reached",
            help_of(CONNECT_ERROR_BINDINGS),
        ),
        ("On the fleet screen", help_of(FLEET_BINDINGS)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys_of<A>(table: &[Binding<A>]) -> Vec<(KeyCode, KeyModifiers)> {
        table.iter().flat_map(|b| b.keys.iter().copied()).collect()
    }

    #[test]
    fn no_key_means_two_things_in_one_view() {
        fn check(name: &str, keys: Vec<(KeyCode, KeyModifiers)>) {
            let mut seen = std::collections::HashSet::new();
            for k in keys {
                assert!(seen.insert(k), "{k:?} is bound twice in {name}");
            }
        }
        // Each view reads its own table after the global one.
        let global = keys_of(GLOBAL_BINDINGS);
        let with_global = |t: Vec<_>| global.iter().copied().chain(t).collect::<Vec<_>>();
        check("panes", with_global(keys_of(BINDINGS)));
        check("walker", with_global(keys_of(WALK_BINDINGS)));
        check("chooser", with_global(keys_of(CHOOSER_BINDINGS)));
        check("help", with_global(keys_of(HELP_BINDINGS)));
        check("findings", with_global(keys_of(FINDINGS_BINDINGS)));
        check("text", with_global(keys_of(TEXT_BINDINGS)));
        check("input", with_global(keys_of(INPUT_BINDINGS)));
        check("confirm", with_global(keys_of(CONFIRM_BINDINGS)));
        check("restore plan", with_global(keys_of(PLAN_BINDINGS)));
        check("restore drill", with_global(keys_of(DRILL_BINDINGS)));
        check(
            "connect error",
            with_global(keys_of(CONNECT_ERROR_BINDINGS)),
        );
        check("fleet", with_global(keys_of(FLEET_BINDINGS)));
        check(
            "drill confirm",
            with_global(keys_of(DRILL_CONFIRM_BINDINGS)),
        );
        // The detail view takes its own keys first, then the panes' actions on its object.
        let mut detail = with_global(keys_of(DETAIL_BINDINGS));
        detail.extend(
            BINDINGS
                .iter()
                .filter(|b| b.action.acts_on_an_object())
                .flat_map(|b| b.keys.iter().copied()),
        );
        check("detail", detail);
    }

    #[test]
    fn ctrl_c_quits_everywhere_and_digits_focus() {
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(
            action_in(GLOBAL_BINDINGS, &ctrl_c),
            Some(GlobalAction::Quit)
        );
        assert_eq!(
            action_for(&KeyEvent::new(KeyCode::Char('3'), KeyModifiers::NONE)),
            Some(Action::FocusPane(2))
        );
        assert_eq!(
            action_for(&KeyEvent::new(KeyCode::Char('z'), KeyModifiers::NONE)),
            None
        );
    }

    #[test]
    fn the_help_lists_every_table() {
        let listed: usize = help_sections().iter().map(|(_, l)| l.len()).sum();
        let all = GLOBAL_BINDINGS.len()
            + BINDINGS.len()
            + DETAIL_BINDINGS.len()
            + FINDINGS_BINDINGS.len()
            + TEXT_BINDINGS.len()
            + INPUT_BINDINGS.len()
            + WALK_BINDINGS.len()
            + NOTE_BINDINGS.len()
            + CHOOSER_BINDINGS.len()
            + CONFIRM_BINDINGS.len()
            + PLAN_BINDINGS.len()
            + DRILL_CONFIRM_BINDINGS.len()
            + DRILL_BINDINGS.len()
            + CONNECT_ERROR_BINDINGS.len()
            + FLEET_BINDINGS.len();
        assert_eq!(listed, all);
    }
}
