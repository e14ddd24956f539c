//! Reading a theme file's content, with errors that point at the offending key or value.
//!
//! Hand-written rather than derived so that each error is raised while its own key or value
//! is being read (serde_yaml then knows its line and path), and says what to write instead
//! ("did you mean border-focused?", "quote #rrggbb colours"). [`Theme::parse`] has already
//! checked the YAML syntax; only the theme's content is judged here.
//!
//! [`Theme::parse`]: super::Theme::parse

use std::fmt;

use ratatui::style::{Color, Modifier, Style};
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use super::{ROLE_COUNT, ROLE_NAMES, ThemeError};

// How errors keep their line and field: serde_yaml marks an error with the
// position and path of the value being read when it was raised, but only
// shows them in its Display text ("path: message at line L column C"). So the
// visitors below raise every error while reading the offending scalar (a key
// or a value), and wrap their message in SEP so that it can be cut back out
// of that text without guessing where serde_yaml's path ends.
const SEP: char = '\u{1f}';

/// An error about `key` in the mapping being read (a key error carries the
/// parent's path) or, with an empty `key`, about the value being read.
fn located<E: de::Error>(key: &str, message: impl fmt::Display) -> E {
    E::custom(format_args!("{SEP}{key}{SEP}{message}"))
}

fn without_location(shown: &str, err: &serde_yaml::Error) -> String {
    match err.location() {
        Some(at) => shown.replacen(
            &format!(" at line {} column {}", at.line(), at.column()),
            "",
            1,
        ),
        None => shown.to_string(),
    }
}

pub(super) fn syntax_error(origin: &str, err: &serde_yaml::Error) -> ThemeError {
    let message = without_location(&err.to_string(), err);
    match err.location() {
        Some(at) => ThemeError::Syntax {
            origin: origin.to_string(),
            line: at.line(),
            column: at.column(),
            message,
        },
        None => ThemeError::Invalid {
            origin: origin.to_string(),
            message,
        },
    }
}

pub(super) fn content_error(origin: &str, err: &serde_yaml::Error) -> ThemeError {
    let shown = without_location(&err.to_string(), err);
    let origin = origin.to_string();
    let Some((prefix, rest)) = shown.split_once(SEP) else {
        // Not one of ours (serde's own "invalid type" and the like): keep
        // serde_yaml's wording, which still names the path.
        let message = match err.location() {
            Some(at) => format!("line {}: {shown}", at.line()),
            None => shown,
        };
        return ThemeError::Invalid { origin, message };
    };
    let (key, message) = rest.split_once(SEP).unwrap_or(("", rest));
    let path = prefix.strip_suffix(": ").unwrap_or(prefix);
    let field = match (path.is_empty(), key.is_empty()) {
        (_, true) => path.to_string(),
        (true, false) => key.to_string(),
        (false, false) => format!("{path}.{key}"),
    };
    let message = message.to_string();
    match err.location() {
        Some(at) if !field.is_empty() => ThemeError::Field {
            origin,
            line: at.line(),
            field,
            message,
        },
        _ if field.is_empty() => ThemeError::Invalid { origin, message },
        _ => ThemeError::Invalid {
            origin,
            message: format!("{field}: {message}"),
        },
    }
}

/// A theme file as written; completeness is checked afterwards.
pub(super) struct ThemeFile {
    pub(super) name: Option<String>,
    pub(super) description: Option<String>,
    pub(super) roles: Option<[Option<Style>; ROLE_COUNT]>,
}

const FILE_FIELDS: [&str; 3] = ["name", "description", "roles"];
const STYLE_FIELDS: [&str; 3] = ["fg", "bg", "modifiers"];
const MODIFIER_NAMES: [(&str, Modifier); 5] = [
    ("bold", Modifier::BOLD),
    ("dim", Modifier::DIM),
    ("italic", Modifier::ITALIC),
    ("underlined", Modifier::UNDERLINED),
    ("reversed", Modifier::REVERSED),
];
const COLOUR_HELP: &str = "use a name (red, bright-blue, ...), #rrggbb or 0-255";
const MODIFIER_HELP: &str = "use bold, dim, italic, underlined or reversed";

/// Reads one mapping key and returns its index in `names`. Unknown and
/// repeated keys are rejected here, while the key is being read, so that the
/// error points at the key's own line.
struct Key<'a> {
    names: &'a [&'a str],
    seen: &'a [bool],
    /// What the keys are, for messages: "role", "field".
    what: &'a str,
}

impl<'de> DeserializeSeed<'de> for Key<'_> {
    type Value = usize;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<usize, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key<'_> {
    type Value = usize;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "a {} name ({})", self.what, self.names.join(", "))
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<usize, E> {
        match self.names.iter().position(|name| *name == key) {
            Some(index) if self.seen.get(index).copied().unwrap_or(false) => {
                Err(located(key, "appears twice: keep one"))
            }
            Some(index) => Ok(index),
            None => {
                let near = key.trim().to_lowercase().replace(['_', ' '], "-");
                match self.names.iter().find(|name| **name == near) {
                    Some(name) => Err(located(
                        key,
                        format_args!("unknown {}: did you mean {name}?", self.what),
                    )),
                    None => Err(located(
                        key,
                        format_args!(
                            "unknown {what}: the {what}s are {}",
                            self.names.join(", "),
                            what = self.what
                        ),
                    )),
                }
            }
        }
    }
}

/// The methods that reject anything but a mapping, with a message that shows
/// what a correct value looks like.
macro_rules! only_mappings {
    ($expected:expr) => {
        fn visit_bool<E: de::Error>(self, value: bool) -> Result<Self::Value, E> {
            Err(located("", format_args!("{}, not '{value}'", $expected)))
        }
        fn visit_i64<E: de::Error>(self, value: i64) -> Result<Self::Value, E> {
            Err(located("", format_args!("{}, not '{value}'", $expected)))
        }
        fn visit_u64<E: de::Error>(self, value: u64) -> Result<Self::Value, E> {
            Err(located("", format_args!("{}, not '{value}'", $expected)))
        }
        fn visit_f64<E: de::Error>(self, value: f64) -> Result<Self::Value, E> {
            Err(located("", format_args!("{}, not '{value}'", $expected)))
        }
        fn visit_str<E: de::Error>(self, value: &str) -> Result<Self::Value, E> {
            Err(located("", format_args!("{}, not '{value}'", $expected)))
        }
        fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
            Err(located("", format_args!("{}, not a list", $expected)))
        }
    };
}

impl<'de> de::Deserialize<'de> for ThemeFile {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(FileVisitor)
    }
}

struct FileVisitor;

impl<'de> Visitor<'de> for FileVisitor {
    type Value = ThemeFile;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a theme: a mapping with name, description and roles")
    }

    only_mappings!("a theme file must be a mapping with name, description and roles");

    fn visit_unit<E: de::Error>(self) -> Result<ThemeFile, E> {
        Err(located(
            "",
            "the file is empty: a theme needs name, description and roles (see themes/dark.yaml)",
        ))
    }

    fn visit_none<E: de::Error>(self) -> Result<ThemeFile, E> {
        self.visit_unit()
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ThemeFile, A::Error> {
        let mut file = ThemeFile {
            name: None,
            description: None,
            roles: None,
        };
        loop {
            let seen = [
                file.name.is_some(),
                file.description.is_some(),
                file.roles.is_some(),
            ];
            let key = Key {
                names: &FILE_FIELDS,
                seen: &seen,
                what: "field",
            };
            match map.next_key_seed(key)? {
                None => return Ok(file),
                Some(0) => file.name = Some(map.next_value()?),
                Some(1) => file.description = Some(map.next_value()?),
                Some(_) => file.roles = Some(map.next_value::<Roles>()?.0),
            }
        }
    }
}

struct Roles([Option<Style>; ROLE_COUNT]);

impl<'de> de::Deserialize<'de> for Roles {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(RolesVisitor)
    }
}

struct RolesVisitor;

impl<'de> Visitor<'de> for RolesVisitor {
    type Value = Roles;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a mapping from role names to styles")
    }

    only_mappings!("expected a mapping from role names to styles");

    // `roles:` with nothing under it: reported as missing roles afterwards.
    fn visit_unit<E: de::Error>(self) -> Result<Roles, E> {
        Ok(Roles([None; ROLE_COUNT]))
    }

    fn visit_none<E: de::Error>(self) -> Result<Roles, E> {
        self.visit_unit()
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Roles, A::Error> {
        let mut styles = [None; ROLE_COUNT];
        loop {
            let seen = styles.map(|style: Option<Style>| style.is_some());
            let key = Key {
                names: &ROLE_NAMES,
                seen: &seen,
                what: "role",
            };
            match map.next_key_seed(key)? {
                None => return Ok(Roles(styles)),
                Some(index) => styles[index] = Some(map.next_value::<StyleSpec>()?.0),
            }
        }
    }
}

struct StyleSpec(Style);

impl<'de> de::Deserialize<'de> for StyleSpec {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StyleVisitor)
    }
}

struct StyleVisitor;

impl<'de> Visitor<'de> for StyleVisitor {
    type Value = StyleSpec;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a style: a mapping with fg, bg and modifiers")
    }

    only_mappings!("expected a style such as {fg: red, modifiers: [bold]}");

    // `text:` or `text: {}` alike: the terminal's defaults, nothing added.
    fn visit_unit<E: de::Error>(self) -> Result<StyleSpec, E> {
        Ok(StyleSpec(Style::new()))
    }

    fn visit_none<E: de::Error>(self) -> Result<StyleSpec, E> {
        self.visit_unit()
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<StyleSpec, A::Error> {
        let mut style = Style::new();
        let mut seen = [false; 3];
        loop {
            let key = Key {
                names: &STYLE_FIELDS,
                seen: &seen,
                what: "field",
            };
            let Some(index) = map.next_key_seed(key)? else {
                return Ok(StyleSpec(style));
            };
            seen[index] = true;
            style = match index {
                0 => style.fg(map.next_value::<Colour>()?.0),
                1 => style.bg(map.next_value::<Colour>()?.0),
                _ => style.add_modifier(map.next_value::<Modifiers>()?.0),
            };
        }
    }
}

struct Colour(Color);

impl<'de> de::Deserialize<'de> for Colour {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ColourVisitor)
    }
}

struct ColourVisitor;

impl<'de> Visitor<'de> for ColourVisitor {
    type Value = Colour;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "a colour: {COLOUR_HELP}")
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Colour, E> {
        parse_colour(value)
            .map(Colour)
            .ok_or_else(|| located("", format_args!("'{value}' is not a colour: {COLOUR_HELP}")))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Colour, E> {
        u8::try_from(value)
            .map(|index| Colour(Color::Indexed(index)))
            .map_err(|_| located("", format_args!("'{value}' is not a colour: {COLOUR_HELP}")))
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Colour, E> {
        match u64::try_from(value) {
            Ok(value) => self.visit_u64(value),
            Err(_) => Err(located(
                "",
                format_args!("'{value}' is not a colour: {COLOUR_HELP}"),
            )),
        }
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Colour, E> {
        Err(located(
            "",
            format_args!("'{value}' is not a colour: {COLOUR_HELP}"),
        ))
    }

    fn visit_bool<E: de::Error>(self, value: bool) -> Result<Colour, E> {
        Err(located(
            "",
            format_args!("'{value}' is not a colour: {COLOUR_HELP}"),
        ))
    }

    // Usually `fg: #123456`, where YAML reads the unquoted # as a comment.
    fn visit_unit<E: de::Error>(self) -> Result<Colour, E> {
        Err(located(
            "",
            "no colour given: quote #rrggbb colours (\"#1e1e2e\"), as an unquoted # starts a YAML comment, or leave the field out to keep the terminal's colour",
        ))
    }

    fn visit_none<E: de::Error>(self) -> Result<Colour, E> {
        self.visit_unit()
    }

    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<Colour, A::Error> {
        Err(located(
            "",
            format_args!("a list is not a colour: {COLOUR_HELP}"),
        ))
    }

    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<Colour, A::Error> {
        Err(located(
            "",
            format_args!("a mapping is not a colour: {COLOUR_HELP}"),
        ))
    }
}

/// A colour as written in a theme file, or None if it is not one.
pub(super) fn parse_colour(text: &str) -> Option<Color> {
    let text = text.trim();
    if let Some(hex) = text.strip_prefix('#') {
        // from_str_radix alone would also take a sign.
        if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let rgb = u32::from_str_radix(hex, 16).ok()?;
        let [_, r, g, b] = rgb.to_be_bytes();
        return Some(Color::Rgb(r, g, b));
    }
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        return text.parse::<u8>().ok().map(Color::Indexed);
    }
    // ANSI "white" is ratatui's Gray and "bright white" its White.
    let colour = match text.to_lowercase().replace(['_', ' '], "-").as_str() {
        "default" | "reset" => Color::Reset,
        "black" => Color::Black,
        "red" => Color::Red,
        "green" => Color::Green,
        "yellow" => Color::Yellow,
        "blue" => Color::Blue,
        "magenta" => Color::Magenta,
        "cyan" => Color::Cyan,
        "white" => Color::Gray,
        "bright-black" => Color::DarkGray,
        "bright-red" => Color::LightRed,
        "bright-green" => Color::LightGreen,
        "bright-yellow" => Color::LightYellow,
        "bright-blue" => Color::LightBlue,
        "bright-magenta" => Color::LightMagenta,
        "bright-cyan" => Color::LightCyan,
        "bright-white" => Color::White,
        _ => return None,
    };
    Some(colour)
}

struct Modifiers(Modifier);

impl<'de> de::Deserialize<'de> for Modifiers {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ModifiersVisitor)
    }
}

struct ModifiersVisitor;

impl<'de> Visitor<'de> for ModifiersVisitor {
    type Value = Modifiers;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "a list of modifiers: {MODIFIER_HELP}")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Modifiers, A::Error> {
        let mut all = Modifier::empty();
        while let Some(ModifierName(one)) = seq.next_element()? {
            all |= one;
        }
        Ok(Modifiers(all))
    }

    // `modifiers: bold` is what people write for a single one.
    fn visit_str<E: de::Error>(self, value: &str) -> Result<Modifiers, E> {
        ModifierVisitor
            .visit_str(value)
            .map(|ModifierName(one)| Modifiers(one))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Modifiers, E> {
        Ok(Modifiers(Modifier::empty()))
    }

    fn visit_none<E: de::Error>(self) -> Result<Modifiers, E> {
        self.visit_unit()
    }
}

struct ModifierName(Modifier);

impl<'de> de::Deserialize<'de> for ModifierName {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(ModifierVisitor)
    }
}

struct ModifierVisitor;

impl<'de> Visitor<'de> for ModifierVisitor {
    type Value = ModifierName;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "a modifier: {MODIFIER_HELP}")
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<ModifierName, E> {
        let wanted = value.trim().to_lowercase();
        MODIFIER_NAMES
            .iter()
            .find(|(name, _)| *name == wanted)
            .map(|(_, modifier)| ModifierName(*modifier))
            .ok_or_else(|| {
                located(
                    "",
                    format_args!("'{value}' is not a modifier: {MODIFIER_HELP}"),
                )
            })
    }
}
