use ratatui::style::Color;

use super::de::parse_colour;
use super::*;

fn parse_err(text: &str) -> String {
    match Theme::parse("mine.yaml", text) {
        Ok(theme) => panic!("expected an error, got {theme:?}"),
        Err(err) => err.to_string(),
    }
}

/// The dark theme's text with one line replaced, so that each error test
/// starts from a file that is otherwise valid.
fn dark_with(role: &str, line: &str) -> String {
    let prefix = format!("  {role}:");
    BUILTIN_FILES[0]
        .lines()
        .map(|l| if l.starts_with(&prefix) { line } else { l })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The 1-based line of the role in dark.yaml.
fn dark_line(role: &str) -> usize {
    let prefix = format!("  {role}:");
    BUILTIN_FILES[0]
        .lines()
        .position(|l| l.starts_with(&prefix))
        .expect("role in dark.yaml")
        + 1
}

/// A minimal complete file around `roles`, for tests that need exact lines.
fn all_roles_except(skip: &[&str]) -> String {
    ROLE_NAMES
        .iter()
        .filter(|name| !skip.contains(name))
        .map(|name| format!("  {name}: {{}}\n"))
        .collect()
}

#[test]
fn role_names_follow_all() {
    // `index` is the discriminant: right only while `roles!` gives none explicitly.
    for (index, role) in Role::ALL.iter().enumerate() {
        assert_eq!(role.index(), index);
    }
    assert_eq!(Role::BorderFocused.name(), "border-focused");
    assert_eq!(Role::Stale.name(), "stale");
    // A key given twice would leave the second role impossible to set from a file.
    let mut names = ROLE_NAMES.to_vec();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), ROLE_NAMES.len());
}

#[test]
fn every_builtin_parses_and_defines_every_role() {
    assert_eq!(
        Theme::builtin_names(),
        ["dark", "light", "high-contrast", "terminal16"]
    );
    for name in Theme::builtin_names() {
        let theme = match Theme::load(name) {
            Ok(theme) => theme,
            Err(err) => panic!("{err}"),
        };
        assert_eq!(theme.name, *name);
        assert!(!theme.description.is_empty(), "{name} has no description");
        assert!(Theme::builtin(name).is_some());
        // parse() already rejects a missing role; this checks the file
        // states each one rather than relying on that.
        let text = BUILTIN_FILES[BUILTIN_NAMES.iter().position(|n| n == name).unwrap()];
        for role in Role::ALL {
            let key = format!("\n  {}:", role.name());
            assert!(
                text.contains(&key),
                "{name} does not define {}",
                role.name()
            );
        }
    }
    assert!(Theme::builtin("nope").is_none());
}

#[test]
fn default_is_dark() {
    let theme = Theme::default_theme();
    assert_eq!(theme.name, "dark");
    assert_eq!(
        theme.style(Role::Text).bg,
        Some(Color::Rgb(0x14, 0x18, 0x1f))
    );
}

#[test]
fn terminal16_uses_only_named_colours() {
    let theme = Theme::builtin("terminal16").unwrap();
    for role in Role::ALL {
        let style = theme.style(role);
        for colour in [style.fg, style.bg].into_iter().flatten() {
            assert!(
                !matches!(colour, Color::Rgb(..) | Color::Indexed(_)),
                "terminal16 {} uses {colour:?}",
                role.name()
            );
        }
    }
}

/// WCAG contrast ratio, used to keep the true-colour themes readable.
fn contrast(a: Color, b: Color) -> f64 {
    fn luminance(colour: Color) -> f64 {
        let Color::Rgb(r, g, b) = colour else {
            panic!("not a true colour: {colour:?}");
        };
        let channel = |c: u8| {
            let c = f64::from(c) / 255.0;
            if c <= 0.03928 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)
    }
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

#[test]
fn true_colour_themes_are_readable() {
    for name in ["dark", "light", "high-contrast"] {
        let theme = Theme::builtin(name).unwrap();
        let base = theme.style(Role::Text);
        let background = base.bg.expect("paints its own background");
        for role in Role::ALL {
            if role == Role::Border {
                continue;
            }
            let style = theme.style(role);
            let fg = style.fg.or(base.fg).unwrap();
            let bg = style.bg.unwrap_or(background);
            let ratio = contrast(fg, bg);
            assert!(ratio >= 4.5, "{name} {}: contrast {ratio:.1}", role.name());
        }
    }
}

#[test]
fn high_contrast_is_black_and_white() {
    let theme = Theme::builtin("high-contrast").unwrap();
    let text = theme.style(Role::Text);
    assert_eq!(text.fg, Some(Color::Rgb(255, 255, 255)));
    assert_eq!(text.bg, Some(Color::Rgb(0, 0, 0)));
    assert!(
        theme
            .style(Role::Selection)
            .add_modifier
            .contains(Modifier::REVERSED)
    );
}

#[test]
fn critical_stands_out_without_colour() {
    for name in Theme::builtin_names() {
        let theme = Theme::builtin(name).unwrap();
        let critical = theme.style(Role::Critical).add_modifier;
        assert!(critical.contains(Modifier::BOLD), "{name}");
        assert_ne!(theme.style(Role::Ok), theme.style(Role::Critical), "{name}");
    }
}

#[test]
fn colour_syntax() {
    let cases: [(&str, Color); 12] = [
        ("\"#1e1E2e\"", Color::Rgb(0x1e, 0x1e, 0x2e)),
        ("208", Color::Indexed(208)),
        ("\"208\"", Color::Indexed(208)),
        ("0", Color::Indexed(0)),
        ("255", Color::Indexed(255)),
        ("black", Color::Black),
        ("white", Color::Gray),
        ("bright-black", Color::DarkGray),
        ("bright-red", Color::LightRed),
        ("Bright_White", Color::White),
        ("default", Color::Reset),
        ("reset", Color::Reset),
    ];
    for (written, expected) in cases {
        let text = dark_with("accent", &format!("  accent: {{ fg: {written} }}"));
        let theme = Theme::parse("t.yaml", &text).unwrap_or_else(|err| panic!("{err}"));
        assert_eq!(theme.style(Role::Accent).fg, Some(expected), "{written}");
    }
    for bad in [
        "256",
        "-1",
        "\"#12345\"",
        "\"#12345g\"",
        "grey",
        "1.5",
        "true",
    ] {
        assert!(parse_colour(bad.trim_matches('"')).is_none(), "{bad}");
        let text = dark_with("accent", &format!("  accent: {{ fg: {bad} }}"));
        assert!(Theme::parse("t.yaml", &text).is_err(), "{bad}");
    }
}

#[test]
fn modifiers_and_styles() {
    let text = dark_with(
        "accent",
        "  accent: { fg: red, bg: 17, modifiers: [bold, Italic, underlined, reversed, dim] }",
    );
    let style = Theme::parse("t.yaml", &text).unwrap().style(Role::Accent);
    assert_eq!(
        style,
        Style::new()
            .fg(Color::Red)
            .bg(Color::Indexed(17))
            .add_modifier(
                Modifier::BOLD
                    | Modifier::ITALIC
                    | Modifier::UNDERLINED
                    | Modifier::REVERSED
                    | Modifier::DIM
            )
    );
    let single = dark_with("accent", "  accent: { modifiers: bold }");
    let style = Theme::parse("t.yaml", &single).unwrap().style(Role::Accent);
    assert_eq!(style, Style::new().add_modifier(Modifier::BOLD));
    let empty = dark_with("accent", "  accent:");
    let style = Theme::parse("t.yaml", &empty).unwrap().style(Role::Accent);
    assert_eq!(style, Style::new());
}

#[test]
fn bad_colour_names_file_line_and_field() {
    let text = format!(
        "name: mine\ndescription: x\nroles:\n{}  selection:\n    fg: red\n    bg: purplish\n",
        all_roles_except(&["selection"])
    );
    let line = 3 + 16 + 3;
    assert_eq!(
        Theme::parse("themes/mine.yaml", &text)
            .unwrap_err()
            .to_string(),
        format!(
            "themes/mine.yaml: line {line}: roles.selection.bg: 'purplish' is not a colour: use a name (red, bright-blue, ...), #rrggbb or 0-255"
        )
    );
    // Flow style, as in the built-in files.
    let text = dark_with("selection", "  selection: { fg: red, bg: purplish }");
    assert_eq!(
        parse_err(&text),
        format!(
            "mine.yaml: line {}: roles.selection.bg: 'purplish' is not a colour: use a name (red, bright-blue, ...), #rrggbb or 0-255",
            dark_line("selection")
        )
    );
    let text = dark_with("ok", "  ok: { fg: 300 }");
    assert_eq!(
        parse_err(&text),
        format!(
            "mine.yaml: line {}: roles.ok.fg: '300' is not a colour: use a name (red, bright-blue, ...), #rrggbb or 0-255",
            dark_line("ok")
        )
    );
}

#[test]
fn unquoted_hex_is_explained() {
    let text = format!(
        "name: mine\nroles:\n{}  ok:\n    fg: #00ff00\n",
        all_roles_except(&["ok"])
    );
    let err = parse_err(&text);
    assert!(
        err.starts_with("mine.yaml: line ")
            && err.contains(": roles.ok.fg: no colour given: quote #rrggbb colours"),
        "{err}"
    );
}

#[test]
fn unknown_role() {
    let text = "name: mine\nroles:\n  sparkle: { fg: red }\n";
    assert_eq!(
        parse_err(text),
        "mine.yaml: line 3: roles.sparkle: unknown role: the roles are text, muted, accent, title, border, border-focused, header, selection, filter, key, ok, warning, critical, unknown, info, syncing, stale"
    );
    let text = "name: mine\nroles:\n  text: {}\n  border_focused: {}\n";
    assert_eq!(
        parse_err(text),
        "mine.yaml: line 4: roles.border_focused: unknown role: did you mean border-focused?"
    );
}

#[test]
fn other_field_errors() {
    let text = "name: mine\nroles:\n  text: {}\n  text: {}\n";
    assert_eq!(
        parse_err(text),
        "mine.yaml: line 4: roles.text: appears twice: keep one"
    );
    let text = "nmae: mine\n";
    assert_eq!(
        parse_err(text),
        "mine.yaml: line 1: nmae: unknown field: the fields are name, description, roles"
    );
    let text = "name: mine\nroles:\n  text:\n    fg: red\n    colour: blue\n";
    assert_eq!(
        parse_err(text),
        "mine.yaml: line 5: roles.text.colour: unknown field: the fields are fg, bg, modifiers"
    );
    let text = "name: mine\nroles:\n  text: {}\n  muted: { modifiers: [bold, sparkly] }\n";
    assert_eq!(
        parse_err(text),
        "mine.yaml: line 4: roles.muted.modifiers[1]: 'sparkly' is not a modifier: use bold, dim, italic, underlined or reversed"
    );
    let text = "name: mine\nroles:\n  text: red\n";
    assert_eq!(
        parse_err(text),
        "mine.yaml: line 3: roles.text: expected a style such as {fg: red, modifiers: [bold]}, not 'red'"
    );
    let text = "name: mine\nroles: [text]\n";
    assert_eq!(
        parse_err(text),
        "mine.yaml: line 2: roles: expected a mapping from role names to styles, not a list"
    );
}

#[test]
fn missing_roles() {
    let text = format!("name: mine\nroles:\n{}", all_roles_except(&["critical"]));
    assert_eq!(
        parse_err(&text),
        "mine.yaml: roles.critical is missing: every role needs a style"
    );
    let text = format!(
        "name: mine\nroles:\n{}",
        all_roles_except(&["critical", "stale"])
    );
    assert_eq!(
        parse_err(&text),
        "mine.yaml: roles.critical, roles.stale are missing: every role needs a style"
    );
    assert_eq!(
        parse_err("name: mine\n"),
        "mine.yaml: roles is missing: every role needs a style"
    );
    assert_eq!(
        parse_err("name: mine\nroles:\n"),
        "mine.yaml: roles is missing: every role needs a style"
    );
}

#[test]
fn whole_file_errors() {
    assert_eq!(
        parse_err(""),
        "mine.yaml: the file is empty: a theme needs name, description and roles (see themes/dark.yaml)"
    );
    assert_eq!(
        parse_err("- dark\n"),
        "mine.yaml: a theme file must be a mapping with name, description and roles, not a list"
    );
}

#[test]
fn yaml_syntax_error() {
    assert_eq!(
        parse_err("name: mine\n  roles: x\n"),
        "mine.yaml: line 2, column 8: mapping values are not allowed in this context"
    );
    let err = parse_err("name: mine\nroles:\n  text: {fg: red\n");
    assert!(
        err.starts_with("mine.yaml: line 4, column 1: did not find expected"),
        "{err}"
    );
    assert_eq!(
        Theme::parse("mine.yaml", "name: [x\n").unwrap_err(),
        ThemeError::Syntax {
            origin: "mine.yaml".to_string(),
            line: 2,
            column: 1,
            message:
                "did not find expected ',' or ']', while parsing a flow sequence at line 1 column 7"
                    .to_string(),
        }
    );
}

#[test]
fn name_defaults_to_file_stem() {
    let text = format!("roles:\n{}", all_roles_except(&[]));
    let theme = Theme::parse("/home/me/themes/sunset.yaml", &text).unwrap();
    assert_eq!(theme.name, "sunset");
    assert_eq!(theme.description, "");
}

#[test]
fn load_errors() {
    assert_eq!(
        Theme::load("x").unwrap_err().to_string(),
        "no theme named 'x': use dark, light, high-contrast or terminal16, or a path to a YAML file"
    );
    let missing = std::env::temp_dir().join(format!(
        "backstop-theme-missing-{}.yaml",
        std::process::id()
    ));
    let shown = missing.display().to_string();
    let err = Theme::load(&shown).unwrap_err();
    assert!(
        matches!(&err, ThemeError::Read { path, .. } if *path == shown),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .starts_with(&format!("cannot read {shown}: ")),
        "{err}"
    );
}

/// A file in the temp directory that is removed when dropped, even if the test fails.
struct TempFile(std::path::PathBuf);

impl TempFile {
    fn new(tag: &str, text: &str) -> TempFile {
        let path = std::env::temp_dir().join(format!(
            "backstop-theme-{tag}-{}-{:?}.yaml",
            std::process::id(),
            std::thread::current().id()
        ));
        std::fs::write(&path, text).unwrap();
        TempFile(path)
    }

    fn path(&self) -> String {
        self.0.display().to_string()
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[test]
fn load_user_file() {
    let text = dark_with("ok", "  ok: { fg: bright-green }").replace("name: dark", "name: mine");
    let file = TempFile::new("good", &text);
    let theme = Theme::load(&file.path()).unwrap();
    assert_eq!(theme.name, "mine");
    assert_eq!(theme.style(Role::Ok).fg, Some(Color::LightGreen));
}

#[test]
fn no_color_has_no_colours() {
    let theme = Theme::no_color();
    for role in Role::ALL {
        let style = theme.style(role);
        assert_eq!((style.fg, style.bg), (None, None), "{}", role.name());
    }
    assert!(
        theme
            .style(Role::Selection)
            .add_modifier
            .contains(Modifier::REVERSED)
    );
    assert!(
        theme
            .style(Role::Critical)
            .add_modifier
            .contains(Modifier::BOLD)
    );
    assert!(
        theme
            .style(Role::Title)
            .add_modifier
            .contains(Modifier::BOLD)
    );
    assert!(
        theme
            .style(Role::Header)
            .add_modifier
            .contains(Modifier::BOLD)
    );
    assert!(
        theme
            .style(Role::Muted)
            .add_modifier
            .contains(Modifier::DIM)
    );
    assert_ne!(theme.style(Role::Warning), theme.style(Role::Critical));
}

#[test]
fn resolve_honours_no_color() {
    let (theme, err) = Theme::resolve(Some("light"), Some("1"));
    assert_eq!((theme.name.as_str(), err), ("no-color", None));
    // An empty NO_COLOR does not count (no-color.org).
    let (theme, err) = Theme::resolve(None, Some(""));
    assert_eq!((theme.name.as_str(), err), ("dark", None));
    let (theme, err) = Theme::resolve(Some("high-contrast"), None);
    assert_eq!((theme.name.as_str(), err), ("high-contrast", None));
}

#[test]
fn resolve_falls_back_to_dark() {
    let file = TempFile::new("bad", "name: broken\nroles:\n  text: { fg: purplish }\n");
    let (theme, err) = Theme::resolve(Some(&file.path()), None);
    assert_eq!(theme.name, "dark");
    assert_eq!(
        err.map(|err| err.to_string()),
        Some(format!(
            "{}: line 3: roles.text.fg: 'purplish' is not a colour: use a name (red, bright-blue, ...), #rrggbb or 0-255",
            file.path()
        ))
    );
    let (theme, err) = Theme::resolve(Some("x"), None);
    assert_eq!(theme.name, "dark");
    assert!(matches!(err, Some(ThemeError::UnknownTheme { .. })));
}

#[test]
fn next_builtin_cycles_and_wraps() {
    let mut theme = Theme::default_theme();
    let mut seen = Vec::new();
    for _ in 0..5 {
        theme = theme.next_builtin();
        seen.push(theme.name.clone());
    }
    assert_eq!(
        seen,
        ["light", "high-contrast", "terminal16", "dark", "light"]
    );
    assert_eq!(Theme::no_color().next_builtin().name, "dark");
}
