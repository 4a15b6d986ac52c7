//! The rules of ARCHITECTURE.md that code can check, checked on every test run:
//!
//! - layering: `src/tf/` and `src/plugin/` know nothing of TaurusDB (they never name
//!   `crate::taurusdb` or `crate::sim`, so they cannot import the typed API either), and
//!   `src/taurusdb/api/` and `src/taurusdb/grpc/` know nothing of Terraform or the serving
//!   layer (they never name `crate::tf`, `crate::plugin` or `crate::sim`). Every path
//!   counts: `use` trees (grouped ones included), paths in code, and `super::` paths,
//!   resolved from the module they appear in (inline modules such as `mod tests`
//!   included); comments and string literals do not;
//! - every source file opens with a `//!` comment saying why it exists;
//! - every provider setting is documented: its attribute and environment variable are in
//!   docs/index.md (the top-level attributes, the `endpoints` keys and the attributes of
//!   the `assume_role` and `assume_role_with_oidc` blocks), and README.md links to that
//!   page's authentication section and settings table, both of which exist.

use std::path::{Path, PathBuf};

use taurusdb_provider::taurusdb::config::{Setting, assume_role, attrs, endpoints, oidc};

/// A layer and the modules it must never reach.
struct Rule {
    /// Source folder of the layer, relative to the crate root.
    layer: &'static str,
    /// Module paths (from the crate root) the layer must not name.
    forbidden: &'static [&'static str],
    why: &'static str,
}

const RULES: [Rule; 4] = [
    Rule {
        layer: "src/tf",
        forbidden: &["taurusdb", "sim"],
        why: "tf/ is Terraform's protocol and knows nothing of TaurusDB",
    },
    Rule {
        layer: "src/plugin",
        forbidden: &["taurusdb", "sim"],
        why: "plugin/ is go-plugin and gRPC serving and knows nothing of TaurusDB",
    },
    Rule {
        layer: "src/taurusdb/api",
        forbidden: &["tf", "plugin", "sim"],
        why: "taurusdb/api/ is a plain REST client and knows nothing of Terraform",
    },
    Rule {
        layer: "src/taurusdb/grpc",
        forbidden: &["tf", "plugin", "sim"],
        why: "taurusdb/grpc/ is the typed API for direct clients: it uses the provider's \
              client and job flow, not Terraform's protocol nor the serving layer",
    },
];

#[test]
fn layers_import_only_what_they_may() {
    let mut broken = Vec::new();
    for rule in &RULES {
        let mut seen = 0;
        for file in rust_files(&crate_root().join(rule.layer)) {
            let module = module_of(&file);
            let source = std::fs::read_to_string(&file).expect("readable source");
            for (line, path) in crate_paths(&source, &module) {
                seen += 1;
                if let Some(bad) = rule
                    .forbidden
                    .iter()
                    .find(|f| path.first().map(String::as_str) == Some(**f))
                {
                    broken.push(format!(
                        "{}:{line}: names crate::{} ({}; {} must not reach crate::{bad})",
                        relative(&file),
                        path.join("::"),
                        rule.why,
                        rule.layer,
                    ));
                }
            }
        }
        // Every layer names some of the crate: none seen would mean a blind check.
        assert!(seen > 10, "only {seen} crate paths seen in {}", rule.layer);
    }
    assert!(broken.is_empty(), "layering broken:\n{}", broken.join("\n"));
}

#[test]
fn every_source_file_says_why_it_exists() {
    let undocumented: Vec<String> = rust_files(&crate_root().join("src"))
        .into_iter()
        .filter(|file| {
            let source = std::fs::read_to_string(file).expect("readable source");
            !source.starts_with("//!")
        })
        .map(|file| relative(&file))
        .collect();
    assert!(
        undocumented.is_empty(),
        "these files do not open with a //! comment: {undocumented:?}"
    );
}

#[test]
fn every_setting_is_documented() {
    let every: Vec<&Setting> = attrs::ALL
        .iter()
        .chain(&endpoints::ALL)
        .chain(&assume_role::ALL)
        .chain(&oidc::ALL)
        .collect();
    let index = std::fs::read_to_string(crate_root().join("docs/index.md")).expect("readable doc");
    let missing: Vec<&str> = every
        .iter()
        .filter(|setting| !index.contains(setting.env) || !index.contains(setting.attr))
        .map(|setting| setting.env)
        .collect();
    assert!(
        missing.is_empty(),
        "docs/index.md does not document {missing:?}"
    );
    // README sends readers there: to sections that exist.
    let readme = std::fs::read_to_string(crate_root().join("README.md")).expect("readable doc");
    for (anchor, heading) in [
        ("authentication", "## Authentication"),
        ("environment-variables", "## Environment Variables"),
    ] {
        assert!(
            readme.contains(&format!("](docs/index.md#{anchor})")),
            "README.md does not link to docs/index.md#{anchor}"
        );
        assert!(
            index.lines().any(|line| line == heading),
            "docs/index.md has no {heading:?} section for README's link"
        );
    }
    // The settings table holds a row per setting, variable beside attribute.
    let table_rows = index
        .lines()
        .filter(|line| line.starts_with("| `"))
        .collect::<Vec<_>>();
    let unlisted: Vec<&str> = every
        .iter()
        .filter(|setting| {
            !table_rows.iter().any(|row| {
                row.contains(&format!("`{}`", setting.env)) && row.contains(setting.attr)
            })
        })
        .map(|setting| setting.env)
        .collect();
    assert!(
        unlisted.is_empty(),
        "docs/index.md's settings table has no row for {unlisted:?}"
    );
}

/// The checker itself: each way of naming a module is seen, and only real paths are.
#[test]
fn the_layering_check_sees_every_way_of_naming_a_module() {
    let cases: [(&str, &[&str], &[&str]); 9] = [
        (
            "use crate::sim::SimHandle;",
            &["tf", "x"],
            &["sim::SimHandle"],
        ),
        (
            "use crate::{sim, taurusdb::api::{ApiError, TaskRef as T}};",
            &["tf", "x"],
            &["sim", "taurusdb::api::ApiError", "taurusdb::api::TaskRef"],
        ),
        (
            "fn f() { let _ = crate::sim::start; }",
            &["plugin", "x"],
            &["sim::start"],
        ),
        ("use super::sim;", &["tf"], &["sim"]),
        (
            "use super::super::super::tf::value::Value;",
            &["taurusdb", "api", "x"],
            &["tf::value::Value"],
        ),
        (
            "mod tests { use super::super::sim; }",
            &["tf", "x"],
            &["tf::sim"],
        ),
        (
            "// use crate::sim;\n/* crate::sim */ const S: &str = \"crate::sim\";",
            &["tf", "x"],
            &[],
        ),
        (
            "let c = '\"'; let q = '\\''; let r = r#\"crate::sim\"#; fn f<'a>(x: &'a str) {}",
            &["tf", "x"],
            &[],
        ),
        ("macro_rules! m { () => { $crate::x }; }", &["tf", "x"], &[]),
    ];
    for (source, module, expected) in cases {
        let module: Vec<String> = module.iter().map(|s| s.to_string()).collect();
        let found: Vec<String> = crate_paths(source, &module)
            .into_iter()
            .map(|(_, path)| path.join("::"))
            .collect();
        assert_eq!(found, expected, "{source}");
    }
}

fn crate_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn relative(file: &Path) -> String {
    file.strip_prefix(crate_root())
        .unwrap_or(file)
        .display()
        .to_string()
}

/// Every `.rs` file below `dir`, sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("readable source folder") {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// The module a file under `src/` defines, from the crate root: `src/tf/value/mod.rs`
/// is `tf::value`, `src/tf/path.rs` is `tf::path`, `src/lib.rs` the root.
fn module_of(file: &Path) -> Vec<String> {
    let relative = file
        .strip_prefix(crate_root().join("src"))
        .expect("a file under src/");
    let mut module: Vec<String> = relative
        .with_extension("")
        .iter()
        .map(|part| part.to_string_lossy().into_owned())
        .collect();
    if matches!(
        module.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        module.pop();
    }
    module
}

/// A token of Rust source, as far as paths need.
#[derive(Debug, Clone, PartialEq)]
enum Token {
    Ident(String),
    /// `::`
    PathSep,
    Punct(char),
}

/// The tokens of `source` with their lines; comments, strings and character literals
/// are dropped, lifetimes too.
fn tokens(source: &str) -> Vec<(usize, Token)> {
    let chars: Vec<char> = source.chars().collect();
    let mut out = Vec::new();
    let (mut i, mut line) = (0, 1);
    let at = |i: usize| chars.get(i).copied().unwrap_or('\0');
    while i < chars.len() {
        let c = chars[i];
        if c == '\n' {
            line += 1;
            i += 1;
        } else if c.is_whitespace() {
            i += 1;
        } else if c == '/' && at(i + 1) == '/' {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && at(i + 1) == '*' {
            let mut depth = 0;
            loop {
                if i >= chars.len() {
                    break;
                }
                if chars[i] == '/' && at(i + 1) == '*' {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && at(i + 1) == '/' {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    line += usize::from(chars[i] == '\n');
                    i += 1;
                }
            }
        } else if c == '"' || ((c == 'r' || c == 'b') && raw_or_byte_string(&chars, i)) {
            // Skip the prefix (b, r, br) and the hashes of a raw string.
            let mut hashes = 0;
            let mut raw = false;
            while chars[i] != '"' {
                raw |= chars[i] == 'r';
                hashes += usize::from(chars[i] == '#');
                i += 1;
            }
            i += 1;
            loop {
                if i >= chars.len() {
                    break;
                }
                let ch = chars[i];
                if !raw && ch == '\\' {
                    i += 2;
                    continue;
                }
                line += usize::from(ch == '\n');
                i += 1;
                if ch == '"' && (0..hashes).all(|k| at(i + k) == '#') {
                    i += hashes;
                    break;
                }
            }
        } else if c == '\'' {
            if at(i + 1) == '\\' {
                // An escaped character literal: '\n', '\'', '\u{..}'.
                i += 3;
                while i < chars.len() && chars[i] != '\'' {
                    i += 1;
                }
                i += 1;
            } else if at(i + 2) == '\'' {
                i += 3; // 'x'
            } else {
                i += 1; // a lifetime: its name follows as an identifier
                while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                    i += 1;
                }
            }
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            out.push((line, Token::Ident(chars[start..i].iter().collect())));
        } else if c == ':' && at(i + 1) == ':' {
            out.push((line, Token::PathSep));
            i += 2;
        } else {
            out.push((line, Token::Punct(c)));
            i += 1;
        }
    }
    out
}

/// Whether a string literal with a prefix (`b"`, `r"`, `r#"`, `br#"`) starts at `i`.
fn raw_or_byte_string(chars: &[char], i: usize) -> bool {
    if i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_') {
        return false; // inside an identifier such as `for`
    }
    let mut j = i;
    if chars.get(j) == Some(&'b') {
        j += 1;
    }
    if chars.get(j) == Some(&'r') {
        j += 1;
        while chars.get(j) == Some(&'#') {
            j += 1;
        }
    }
    j > i && chars.get(j) == Some(&'"')
}

/// Every path of `source` that starts at `crate` or escapes with `super`, resolved to a
/// path from the crate root, with its line. `module` is the file's module.
fn crate_paths(source: &str, module: &[String]) -> Vec<(usize, Vec<String>)> {
    let tokens = tokens(source);
    let mut found = Vec::new();
    // Inline modules (`mod tests { ... }`) with the brace depth they close at.
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut depth = 0;
    let mut i = 0;
    while i < tokens.len() {
        let here: Vec<String> = module
            .iter()
            .cloned()
            .chain(inline.iter().map(|(name, _)| name.clone()))
            .collect();
        match &tokens[i].1 {
            Token::Punct('{') => depth += 1,
            Token::Punct('}') => {
                if inline.last().is_some_and(|(_, at)| *at == depth) {
                    inline.pop();
                }
                depth = depth.saturating_sub(1);
            }
            Token::Punct('$') => i += 1, // `$crate` in a macro is not a path of this file
            Token::Ident(word) if word == "mod" => {
                if let (Some((_, Token::Ident(name))), Some((_, Token::Punct('{')))) =
                    (tokens.get(i + 1), tokens.get(i + 2))
                {
                    inline.push((name.clone(), depth + 1));
                }
            }
            Token::Ident(word) if word == "use" => {
                let mut paths = Vec::new();
                let end = use_tree(&tokens, i + 1, Vec::new(), &mut paths);
                for (line, path) in paths {
                    if let Some(resolved) = resolve(&path, &here) {
                        found.push((line, resolved));
                    }
                }
                i = end;
                continue;
            }
            Token::Ident(word)
                if (word == "crate" || word == "super")
                    && tokens.get(i + 1).map(|t| &t.1) == Some(&Token::PathSep) =>
            {
                let line = tokens[i].0;
                let mut path = vec![word.clone()];
                let mut j = i + 1;
                while let (Some((_, Token::PathSep)), Some((_, Token::Ident(next)))) =
                    (tokens.get(j), tokens.get(j + 1))
                {
                    path.push(next.clone());
                    j += 2;
                }
                if let Some(resolved) = resolve(&path, &here) {
                    found.push((line, resolved));
                }
                i = j;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    found
}

/// Expands the use tree starting at token `i` (after `use`, or inside braces) into full
/// paths, each with its line; returns the index after the tree.
fn use_tree(
    tokens: &[(usize, Token)],
    mut i: usize,
    mut prefix: Vec<String>,
    paths: &mut Vec<(usize, Vec<String>)>,
) -> usize {
    let mut line = tokens.get(i).map_or(0, |t| t.0);
    loop {
        match tokens.get(i) {
            Some((at, Token::Ident(word))) if word != "as" => {
                line = *at;
                prefix.push(word.clone());
                i += 1;
            }
            Some((_, Token::Ident(_))) => i += 2, // `as alias`
            Some((_, Token::PathSep)) => i += 1,
            Some((_, Token::Punct('*'))) => i += 1,
            Some((_, Token::Punct('{'))) => {
                i += 1;
                loop {
                    i = use_tree(tokens, i, prefix.clone(), paths);
                    match tokens.get(i) {
                        Some((_, Token::Punct(','))) => i += 1,
                        Some((_, Token::Punct('}'))) => return i + 1,
                        _ => return i,
                    }
                    if matches!(tokens.get(i), Some((_, Token::Punct('}')))) {
                        return i + 1;
                    }
                }
            }
            _ => {
                // The end of this tree: `,` or `}` of a group, `;` of the statement.
                if !prefix.is_empty() {
                    paths.push((line, prefix));
                }
                if matches!(tokens.get(i), Some((_, Token::Punct(';')))) {
                    return i + 1;
                }
                return i;
            }
        }
    }
}

/// `path` (starting at `crate` or `super`) from the crate root, as seen from `here`;
/// None for paths that start elsewhere (std, other crates, this module's items).
fn resolve(path: &[String], here: &[String]) -> Option<Vec<String>> {
    match path.first().map(String::as_str) {
        Some("crate") => Some(path[1..].to_vec()),
        Some("super") => {
            let ups = path.iter().take_while(|p| *p == "super").count();
            let base = here.get(..here.len().checked_sub(ups)?)?;
            Some(base.iter().chain(&path[ups..]).cloned().collect())
        }
        _ => None,
    }
}
