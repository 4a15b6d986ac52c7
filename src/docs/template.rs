//! The templates' language: markdown with `{{ ... }}` directives, a small subset of
//! tfplugindocs' so its templates read the same:
//!
//! - `{{ .Name }}`, `{{ .Description }}`, `{{ .SchemaMarkdown }}`, ...: a value the page
//!   provides (see `pages.rs`); naming one the page lacks is an error;
//! - `{{ tffile "examples/basic/main.tf" }}`: a file of the repository, verbatim, in a
//!   ```` ```terraform ```` fence;
//! - `{{ codefile "console" "examples/..." }}`: the same with the given fence language.
//!
//! File paths are relative to the repository root and may not leave it, by `..`, an absolute
//! path or a symbolic link leading outside. Anything else between `{{` and `}}` is an error
//! naming the template and its line.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

/// The largest file a template may include.
const MAX_INCLUDE_BYTES: u64 = 1024 * 1024;

/// Why a template could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("{template}:{line}: {problem}")]
    Directive {
        template: String,
        line: usize,
        problem: String,
    },
    #[error("{template}:{line}: {{{{ without a closing }}}}")]
    Unclosed { template: String, line: usize },
}

/// What a template is rendered with: the page's values and where included files live.
pub struct Context<'a> {
    pub values: BTreeMap<&'static str, String>,
    pub root: &'a Path,
}

/// Renders `source` (read from `template`, named in errors).
pub fn render(
    source: &str,
    template: &str,
    context: &Context<'_>,
) -> Result<String, TemplateError> {
    let mut out = String::with_capacity(source.len() * 2);
    let mut rest = source;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let line = line_of(source, rest, start);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            return Err(TemplateError::Unclosed {
                template: template.to_string(),
                line,
            });
        };
        let directive = after[..end].trim();
        let expanded = expand(directive, context).map_err(|problem| TemplateError::Directive {
            template: template.to_string(),
            line,
            problem,
        })?;
        out.push_str(expanded.trim_end_matches('\n'));
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

/// The 1-based line of `rest[offset]` in `source` (`rest` is a tail of `source`).
fn line_of(source: &str, rest: &str, offset: usize) -> usize {
    let consumed = source.len() - rest.len() + offset;
    source[..consumed].matches('\n').count() + 1
}

fn expand(directive: &str, context: &Context<'_>) -> Result<String, String> {
    if let Some(name) = directive.strip_prefix('.') {
        if !name.chars().all(|c| c.is_ascii_alphanumeric()) || name.is_empty() {
            return Err(format!(
                "{{{{ {directive} }}}}: only plain values (no pipes or functions) are supported"
            ));
        }
        return context.values.get(name).cloned().ok_or_else(|| {
            let known: Vec<String> = context.values.keys().map(|k| format!(".{k}")).collect();
            format!(
                "this page has no value .{name} (it has {})",
                known.join(", ")
            )
        });
    }
    let words = words(directive)?;
    match words.as_slice() {
        [function, path] if function == "tffile" => fenced("terraform", path, context.root),
        [function, language, path] if function == "codefile" => {
            fenced(language, path, context.root)
        }
        _ => Err(format!(
            "unknown directive {{{{ {directive} }}}}: use {{{{ .Value }}}}, \
             {{{{ tffile \"path\" }}}} or {{{{ codefile \"language\" \"path\" }}}}"
        )),
    }
}

/// A directive's words: bare words and double-quoted strings (no escapes).
fn words(directive: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut rest = directive.trim();
    while !rest.is_empty() {
        if let Some(quoted) = rest.strip_prefix('"') {
            let end = quoted
                .find('"')
                .ok_or_else(|| format!("unclosed quote in {{{{ {directive} }}}}"))?;
            words.push(quoted[..end].to_string());
            rest = quoted[end + 1..].trim_start();
        } else {
            let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
            words.push(rest[..end].to_string());
            rest = rest[end..].trim_start();
        }
    }
    Ok(words)
}

/// The file at `relative` (inside `root`) in a fence of `language`.
fn fenced(language: &str, relative: &str, root: &Path) -> Result<String, String> {
    let path = inside_repository(root, relative)?;
    let metadata =
        std::fs::metadata(&path).map_err(|e| format!("cannot include {relative}: {e}"))?;
    if !metadata.is_file() {
        return Err(format!("cannot include {relative}: not a regular file"));
    }
    if metadata.len() > MAX_INCLUDE_BYTES {
        return Err(format!(
            "cannot include {relative}: larger than {MAX_INCLUDE_BYTES} bytes"
        ));
    }
    let text =
        std::fs::read_to_string(&path).map_err(|e| format!("cannot include {relative}: {e}"))?;
    Ok(format!("```{language}\n{}\n```", text.trim_end()))
}

/// The real path of `root/relative` once every symbolic link is resolved, refusing absolute
/// paths, `..`, and links leading out of the repository.
pub fn inside_repository(root: &Path, relative: &str) -> Result<PathBuf, String> {
    let path = inside(root, relative)?;
    let real_root = std::fs::canonicalize(root)
        .map_err(|e| format!("cannot include {relative}: the repository {root:?}: {e}"))?;
    let real =
        std::fs::canonicalize(&path).map_err(|e| format!("cannot include {relative}: {e}"))?;
    if !real.starts_with(&real_root) {
        return Err(format!(
            "cannot include {relative}: a symbolic link leading outside the repository (to {})",
            real.display()
        ));
    }
    Ok(real)
}

/// `root/relative`, refusing absolute paths and `..`.
fn inside(root: &Path, relative: &str) -> Result<PathBuf, String> {
    let path = Path::new(relative);
    if relative.is_empty()
        || path
            .components()
            .any(|c| !matches!(c, Component::Normal(_) | Component::CurDir))
    {
        return Err(format!(
            "{relative:?}: include paths are relative to the repository and stay inside it"
        ));
    }
    Ok(root.join(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context(root: &Path) -> Context<'_> {
        Context {
            values: BTreeMap::from([("Name", "taurusdb_x".to_string())]),
            root,
        }
    }

    #[test]
    fn values_and_files_are_filled_in() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir(dir.path().join("examples")).expect("dir");
        std::fs::write(dir.path().join("examples/a.tf"), "x = 1\n\n").expect("write");
        let out = render(
            "# {{ .Name }}\n\n{{ tffile \"examples/a.tf\" }}\n\n{{codefile \"sh\" \"examples/a.tf\"}}\n",
            "t.md.tmpl",
            &context(dir.path()),
        )
        .expect("renders");
        assert_eq!(
            out,
            "# taurusdb_x\n\n```terraform\nx = 1\n```\n\n```sh\nx = 1\n```\n"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_link_may_not_lead_out_of_the_repository() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().join("repo");
        std::fs::create_dir_all(root.join("examples")).expect("dir");
        std::fs::write(dir.path().join("outside.tf"), "secret = 1\n").expect("write");
        std::fs::write(root.join("examples/a.tf"), "x = 1\n").expect("write");
        std::os::unix::fs::symlink("a.tf", root.join("examples/inside.tf")).expect("link");
        std::os::unix::fs::symlink(dir.path().join("outside.tf"), root.join("examples/out.tf"))
            .expect("link");
        let ctx = context(&root);
        let out = render("{{ tffile \"examples/inside.tf\" }}", "t", &ctx).expect("inside");
        assert_eq!(out, "```terraform\nx = 1\n```");
        let err = render("{{ tffile \"examples/out.tf\" }}", "t", &ctx)
            .expect_err("outside")
            .to_string();
        assert!(
            err.starts_with(
                "t:1: cannot include examples/out.tf: a symbolic link leading outside the repository"
            ),
            "{err}"
        );
    }

    #[test]
    fn mistakes_name_the_template_and_line() {
        let dir = tempfile::tempdir().expect("tempdir");
        let ctx = context(dir.path());
        for (source, problem) in [
            (
                "a\n{{ .Nope }}",
                "t:2: this page has no value .Nope (it has .Name)",
            ),
            (
                "{{ .Name | trimspace }}",
                "t:1: {{ .Name | trimspace }}: only plain values",
            ),
            ("\n\n{{ include \"x\" }}", "t:3: unknown directive"),
            (
                "{{ tffile \"../secret\" }}",
                "t:1: \"../secret\": include paths",
            ),
            (
                "{{ tffile \"/etc/passwd\" }}",
                "t:1: \"/etc/passwd\": include paths",
            ),
            (
                "{{ tffile \"missing.tf\" }}",
                "t:1: cannot include missing.tf",
            ),
            ("ok\n{{ .Name", "t:2: {{ without a closing }}"),
        ] {
            let err = render(source, "t", &ctx).expect_err(source).to_string();
            assert!(err.starts_with(problem), "{source:?}: {err}");
        }
    }
}
