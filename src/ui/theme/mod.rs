//! Colour themes: semantic roles mapped to styles.
//!
//! Themes are data (`themes/*.yaml`) rather than code so that users can copy a
//! built-in file, change it and load it with a path, without rebuilding. The
//! built-in files are embedded in the binary so that it works on its own.
//!
//! Widgets ask for a [`Role`] ("this is a warning"), never for a colour, so
//! that every theme, including the colourless NO_COLOR one, can keep states
//! apart in its own way.

use ratatui::style::{Modifier, Style};

mod de;

/// Defines [`Role`], [`Role::ALL`] and each role's key in a theme file from one list, so that
/// a role cannot be added without its key, nor the keys fall out of the enum's order.
macro_rules! roles {
    ($($(#[$doc:meta])* $role:ident => $name:literal,)+) => {
        /// What a piece of the screen means; a theme gives each one a style.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Role {
            $($(#[$doc])* $role,)+
        }

        impl Role {
            pub const ALL: [Role; ROLE_COUNT] = [$(Role::$role,)+];
        }

        const ROLE_COUNT: usize = [$($name,)+].len();

        /// YAML keys, in the order of [`Role::ALL`].
        const ROLE_NAMES: [&str; ROLE_COUNT] = [$($name,)+];
    };
}

roles! {
    /// Ordinary text, and the base style: its background, if any, is the
    /// theme's background, so draw it over the whole frame first.
    Text => "text",
    /// Secondary text: ages, hints, help.
    Muted => "muted",
    /// Decorative emphasis.
    Accent => "accent",
    /// Panel titles.
    Title => "title",
    /// Panel borders.
    Border => "border",
    /// The border of the panel that has the keyboard focus.
    BorderFocused => "border-focused",
    /// The top bar.
    Header => "header",
    /// The selected row.
    Selection => "selection",
    /// The filter or command input.
    Filter => "filter",
    /// Key hints.
    Key => "key",
    Ok => "ok",
    Warning => "warning",
    Critical => "critical",
    Unknown => "unknown",
    Info => "info",
    Syncing => "syncing",
    Stale => "stale",
}

impl Role {
    /// The role's key in a theme file (kebab-case).
    pub fn name(self) -> &'static str {
        ROLE_NAMES[self.index()]
    }

    fn index(self) -> usize {
        self as usize
    }
}

const BUILTIN_NAMES: [&str; 4] = ["dark", "light", "high-contrast", "terminal16"];

/// Paired with [`BUILTIN_NAMES`] by position.
const BUILTIN_FILES: [&str; 4] = [
    include_str!("../../../themes/dark.yaml"),
    include_str!("../../../themes/light.yaml"),
    include_str!("../../../themes/high-contrast.yaml"),
    include_str!("../../../themes/terminal16.yaml"),
];

#[derive(Debug, Clone)]
pub struct Theme {
    pub name: String,
    pub description: String,
    styles: [Style; ROLE_COUNT],
}

impl Theme {
    pub fn style(&self, role: Role) -> Style {
        self.styles[role.index()]
    }

    /// The built-in theme names in cycling order: ["dark", "light", "high-contrast", "terminal16"].
    pub fn builtin_names() -> &'static [&'static str] {
        &BUILTIN_NAMES
    }

    pub fn builtin(name: &str) -> Option<Theme> {
        builtin_result(name).and_then(Result::ok)
    }

    /// The default (dark) theme; never fails (the embedded file is tested).
    pub fn default_theme() -> Theme {
        match builtin_result(BUILTIN_NAMES[0]) {
            Some(Ok(theme)) => theme,
            // Unreachable while the tests pass; still better than a panic.
            _ => Theme::no_color(),
        }
    }

    /// No colours at all (NO_COLOR): only modifiers, so states stay readable: selection reversed,
    /// title/header/critical bold, muted dim, etc.
    pub fn no_color() -> Theme {
        let bold = Modifier::BOLD;
        let styles = Role::ALL.map(|role| {
            let modifiers = match role {
                Role::Text | Role::Accent | Role::Border | Role::Ok | Role::Info => {
                    Modifier::empty()
                }
                Role::Muted => Modifier::DIM,
                Role::Title | Role::BorderFocused | Role::Header | Role::Key | Role::Warning => {
                    bold
                }
                Role::Selection => Modifier::REVERSED | bold,
                Role::Filter => Modifier::UNDERLINED,
                // Stronger than warning, which is only bold.
                Role::Critical => bold | Modifier::UNDERLINED,
                Role::Unknown | Role::Syncing => Modifier::ITALIC,
                Role::Stale => Modifier::ITALIC | Modifier::DIM,
            };
            Style::new().add_modifier(modifiers)
        });
        Theme {
            name: "no-color".to_string(),
            description: "No colours (NO_COLOR is set): bold, dim, italic and reversed only"
                .to_string(),
            styles,
        }
    }

    /// Parses a theme file's text; `origin` names it in errors (a path or "dark (built in)").
    pub fn parse(origin: &str, text: &str) -> Result<Theme, ThemeError> {
        // A first pass that only checks the YAML itself, so that syntax errors
        // (reported by libyaml, with a column) are told apart from errors in
        // the theme's content (reported by the visitors in `de`, with a field).
        if let Err(err) = serde_yaml::from_str::<serde::de::IgnoredAny>(text) {
            return Err(de::syntax_error(origin, &err));
        }
        let file: de::ThemeFile =
            serde_yaml::from_str(text).map_err(|err| de::content_error(origin, &err))?;
        let Some(roles) = file.roles.filter(|roles| roles.iter().any(Option::is_some)) else {
            return Err(ThemeError::Missing {
                origin: origin.to_string(),
                fields: vec!["roles".to_string()],
            });
        };
        let missing: Vec<String> = Role::ALL
            .iter()
            .filter(|role| roles[role.index()].is_none())
            .map(|role| format!("roles.{}", role.name()))
            .collect();
        if !missing.is_empty() {
            return Err(ThemeError::Missing {
                origin: origin.to_string(),
                fields: missing,
            });
        }
        Ok(Theme {
            name: file.name.unwrap_or_else(|| file_stem(origin)),
            description: file.description.unwrap_or_default(),
            styles: roles.map(Option::unwrap_or_default),
        })
    }

    /// A built-in name or a path to a YAML file.
    pub fn load(name_or_path: &str) -> Result<Theme, ThemeError> {
        if let Some(result) = builtin_result(name_or_path) {
            return result;
        }
        let path = std::path::Path::new(name_or_path);
        let looks_like_path = name_or_path.contains(['/', '\\'])
            || matches!(
                path.extension().and_then(|ext| ext.to_str()),
                Some("yaml" | "yml")
            );
        // A bare word that is not a file is most likely a mistyped theme name,
        // and "no theme named" helps more than "no such file".
        if !looks_like_path && !path.exists() {
            return Err(ThemeError::UnknownTheme {
                name: name_or_path.to_string(),
            });
        }
        let text = crate::files::read_text(path, crate::files::THEME_LIMIT).map_err(|err| {
            ThemeError::Read {
                path: name_or_path.to_string(),
                reason: err.to_string(),
            }
        })?;
        Theme::parse(name_or_path, &text)
    }

    /// What the app uses at start: NO_COLOR set and non-empty (https://no-color.org) → no_color();
    /// else load(requested or "dark"); on error: log it with tracing::warn!, return the default
    /// theme AND the error so the UI can show it once: (Theme, Option<ThemeError>).
    pub fn resolve(
        requested: Option<&str>,
        no_color_env: Option<&str>,
    ) -> (Theme, Option<ThemeError>) {
        if no_color_env.is_some_and(|value| !value.is_empty()) {
            return (Theme::no_color(), None);
        }
        match Theme::load(requested.unwrap_or(BUILTIN_NAMES[0])) {
            Ok(theme) => (theme, None),
            Err(err) => {
                tracing::warn!(error = %err, "cannot use the requested theme; using the default");
                (Theme::default_theme(), Some(err))
            }
        }
    }

    /// The next built-in theme after this one (for the `t` key), wrapping around.
    pub fn next_builtin(&self) -> Theme {
        // A user or no-color theme is not in the cycle; it starts over at the first.
        let next = BUILTIN_NAMES
            .iter()
            .position(|name| *name == self.name)
            .map_or(0, |index| (index + 1) % BUILTIN_NAMES.len());
        Theme::builtin(BUILTIN_NAMES[next]).unwrap_or_else(Theme::default_theme)
    }
}

fn builtin_result(name: &str) -> Option<Result<Theme, ThemeError>> {
    let index = BUILTIN_NAMES.iter().position(|builtin| *builtin == name)?;
    Some(Theme::parse(
        &format!("{name} (built in)"),
        BUILTIN_FILES[index],
    ))
}

/// The name of a user theme whose file has no `name:`.
fn file_stem(origin: &str) -> String {
    std::path::Path::new(origin).file_stem().map_or_else(
        || origin.to_string(),
        |stem| stem.to_string_lossy().into_owned(),
    )
}

/// Why a theme cannot be used. Each message is one line that names the file
/// (and line and field, when known) and says what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ThemeError {
    #[error("cannot read {path}: {reason}")]
    Read { path: String, reason: String },
    #[error(
        "no theme named '{name}': use dark, light, high-contrast or terminal16, or a path to a YAML file"
    )]
    UnknownTheme { name: String },
    /// The file is not valid YAML.
    #[error("{origin}: line {line}, column {column}: {message}")]
    Syntax {
        origin: String,
        line: usize,
        column: usize,
        message: String,
    },
    /// Valid YAML, but a field has a wrong name or value.
    #[error("{origin}: line {line}: {field}: {message}")]
    Field {
        origin: String,
        line: usize,
        field: String,
        message: String,
    },
    #[error(
        "{origin}: {} {} missing: every role needs a style",
        fields.join(", "),
        if fields.len() == 1 { "is" } else { "are" }
    )]
    Missing { origin: String, fields: Vec<String> },
    /// Anything else wrong with the file as a whole (e.g. it is empty).
    #[error("{origin}: {message}")]
    Invalid { origin: String, message: String },
}

#[cfg(test)]
mod tests;
