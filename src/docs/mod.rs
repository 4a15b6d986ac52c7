//! `terraform-provider-taurusdb docs --out DIR`: the registry's documentation pages,
//! generated. Argument and attribute sections come from the schemas the provider serves
//! (their descriptions are the reference text, see [`markdown`]); prose comes from
//! `templates/` (one `<page>.md.tmpl` per page, e.g. `templates/resources/
//! replication_pause.md.tmpl`; see [`template`]), which include `examples/` files
//! verbatim; the provider page's table of settings comes from the `Setting` table
//! ([`settings`]). `tests/docs.rs` fails when `docs/` differs from what this writes.

pub mod markdown;
pub mod pages;
pub mod settings;
pub mod template;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::taurusdb::api::error::BUSY_CODES;
use crate::taurusdb::{PROVIDER_ADDRESS, TaurusDbProvider};
use pages::{Kind, Page};
use template::{Context, TemplateError};

/// The folder of templates under the repository root.
pub const TEMPLATES: &str = "templates";

/// What a page without a template of its own is rendered from.
const DEFAULT_TEMPLATE: &str = "# {{ .Name }} ({{ .Type }})\n\n{{ .Description }}\n\n\
                                {{ .SchemaMarkdown }}\n";
const DEFAULT_RESOURCE_TEMPLATE: &str = "# {{ .Name }} ({{ .Type }})\n\n{{ .Description }}\n\n\
                                         {{ .SchemaMarkdown }}\n\n{{ .IdentitySchemaMarkdown }}\n";

/// Why the pages could not be generated.
#[derive(Debug, thiserror::Error)]
pub enum DocsError {
    #[error("{0}: no templates folder; run from the repository root or pass --root REPOSITORY")]
    NoTemplates(PathBuf),
    #[error(transparent)]
    Template(#[from] TemplateError),
    #[error("{path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}: no page of that name (the provider serves no such type); remove or rename it")]
    StaleTemplate(PathBuf),
}

/// One generated page: its path under the output folder and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub path: PathBuf,
    pub content: String,
}

/// What [`generate`] did to the output folder.
#[derive(Debug, Default)]
pub struct Written {
    pub written: Vec<PathBuf>,
    /// Pages of types the provider no longer serves.
    pub removed: Vec<PathBuf>,
}

/// Renders every page from the repository at `root` (its `templates/` and `examples/`)
/// and writes them under `out`, removing pages of types that no longer exist.
pub fn generate(root: &Path, out: &Path) -> Result<Written, DocsError> {
    let rendered = render_pages(root)?;
    write_pages(out, &rendered)
}

/// Every page, rendered in memory.
pub fn render_pages(root: &Path) -> Result<Vec<Rendered>, DocsError> {
    let templates = root.join(TEMPLATES);
    if !templates.is_dir() {
        return Err(DocsError::NoTemplates(templates));
    }
    let provider = TaurusDbProvider::with_env(Box::new(|_| None));
    let provider_name = PROVIDER_ADDRESS
        .rsplit('/')
        .next()
        .unwrap_or(PROVIDER_ADDRESS);
    let pages = pages::pages(provider_name, &provider);
    refuse_stale_templates(&templates, &pages)?;
    pages
        .iter()
        .map(|page| render_page(root, &templates, page))
        .collect()
}

fn render_page(root: &Path, templates: &Path, page: &Page) -> Result<Rendered, DocsError> {
    let template_file = templates.join(page.template_path());
    let (source, origin) = if template_file.is_file() {
        let source = std::fs::read_to_string(&template_file).map_err(|source| DocsError::Read {
            path: template_file.clone(),
            source,
        })?;
        let origin = Path::new(TEMPLATES).join(page.template_path());
        (source, origin.display().to_string())
    } else {
        let source = match page.kind {
            Kind::Resource => DEFAULT_RESOURCE_TEMPLATE,
            _ => DEFAULT_TEMPLATE,
        };
        (
            source.to_string(),
            format!("(default template of {})", page.name),
        )
    };
    let context = Context {
        values: values(page),
        root,
    };
    let body = template::render(&source, &origin, &context)?;
    let content = format!(
        "{}{}\n",
        front_matter(page),
        tidy(&body).trim_end_matches('\n')
    );
    Ok(Rendered {
        path: page.path.clone(),
        content,
    })
}

/// The values a page's template may name.
fn values(page: &Page) -> BTreeMap<&'static str, String> {
    let block = page.block();
    let mut values = BTreeMap::from([
        ("Name", page.name.clone()),
        ("Type", page.kind.title().to_string()),
        ("Description", block.description.trim().to_string()),
        ("SchemaMarkdown", markdown::schema_markdown(&block)),
    ]);
    match page.kind {
        Kind::Resource => {
            let identity = page
                .identity
                .as_ref()
                .map(markdown::identity_markdown)
                .unwrap_or_default();
            values.insert("IdentitySchemaMarkdown", identity);
        }
        Kind::Provider => {
            values.insert("SettingsTable", settings::provider_settings_table());
            let busy: Vec<String> = BUSY_CODES.iter().map(|c| format!("`{c}`")).collect();
            values.insert("BusyCodes", busy.join(", "));
        }
        _ => {}
    }
    values
}

/// The registry's front matter: the page's title and its schema's description.
fn front_matter(page: &Page) -> String {
    let title = match page.kind {
        Kind::Provider => format!("{} Provider", page.name),
        kind => format!("{} {} - {}", page.name, kind.title(), provider_binary()),
    };
    let description = page.block().description;
    let description: Vec<String> = description
        .trim()
        .lines()
        .map(|line| format!("  {line}"))
        .collect();
    format!(
        "---\npage_title: \"{title}\"\nsubcategory: \"\"\ndescription: |-\n{}\n---\n\n",
        description.join("\n")
    )
}

fn provider_binary() -> &'static str {
    env!("CARGO_PKG_NAME")
}

/// No runs of blank lines (an empty value leaves some), no trailing spaces; code fences
/// (included files) are left as they are.
fn tidy(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank = 0;
    let mut fenced = false;
    for line in text.lines() {
        if line.starts_with("```") {
            fenced = !fenced;
        } else if fenced {
            out.push_str(line);
            out.push('\n');
            continue;
        }
        let line = line.trim_end();
        if line.is_empty() {
            blank += 1;
            if blank > 1 {
                continue;
            }
        } else {
            blank = 0;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// A template whose page does not exist is a mistake (a renamed or removed type).
fn refuse_stale_templates(templates: &Path, pages: &[Page]) -> Result<(), DocsError> {
    let expected: BTreeSet<PathBuf> = pages.iter().map(Page::template_path).collect();
    for found in template_files(templates, Path::new(""))? {
        if !expected.contains(&found) {
            return Err(DocsError::StaleTemplate(Path::new(TEMPLATES).join(found)));
        }
    }
    Ok(())
}

/// The `*.md.tmpl` files under `dir`, relative to the templates folder.
fn template_files(templates: &Path, relative: &Path) -> Result<Vec<PathBuf>, DocsError> {
    let dir = templates.join(relative);
    let entries = std::fs::read_dir(&dir).map_err(|source| DocsError::Read {
        path: dir.clone(),
        source,
    })?;
    let mut found = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|source| DocsError::Read {
            path: dir.clone(),
            source,
        })?;
        let name = relative.join(entry.file_name());
        let file_type = entry.file_type().map_err(|source| DocsError::Read {
            path: entry.path(),
            source,
        })?;
        if file_type.is_dir() {
            found.extend(template_files(templates, &name)?);
        } else if name.to_string_lossy().ends_with(".md.tmpl") {
            found.push(name);
        }
    }
    Ok(found)
}

/// Writes `pages` under `out` and removes the `.md` pages of its page folders that are
/// not among them.
pub fn write_pages(out: &Path, pages: &[Rendered]) -> Result<Written, DocsError> {
    let mut written = Written::default();
    for page in pages {
        let path = out.join(&page.path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|source| DocsError::Write {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        std::fs::write(&path, &page.content).map_err(|source| DocsError::Write {
            path: path.clone(),
            source,
        })?;
        written.written.push(path);
    }
    let kept: BTreeSet<&Path> = pages.iter().map(|p| p.path.as_path()).collect();
    for folder in Kind::FOLDERS {
        let dir = out.join(folder);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let relative = Path::new(folder).join(entry.file_name());
            let is_page = relative.extension().is_some_and(|e| e == "md");
            if is_page && !kept.contains(relative.as_path()) {
                let path = entry.path();
                std::fs::remove_file(&path).map_err(|source| DocsError::Write {
                    path: path.clone(),
                    source,
                })?;
                written.removed.push(path);
            }
        }
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tidy_keeps_single_blank_lines() {
        assert_eq!(tidy("a  \n\n\n\nb\n\n"), "a\n\nb\n\n");
        assert_eq!(tidy("```\nx \n\n\ny\n```\n"), "```\nx \n\n\ny\n```\n");
    }

    #[test]
    fn a_template_for_no_page_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let templates = dir.path().join(TEMPLATES);
        std::fs::create_dir_all(templates.join("resources")).expect("dirs");
        std::fs::write(templates.join("resources/gone.md.tmpl"), "# gone\n").expect("write");
        let err = render_pages(dir.path()).expect_err("stale template");
        assert!(
            err.to_string()
                .starts_with("templates/resources/gone.md.tmpl: no page of that name"),
            "{err}"
        );
    }

    #[test]
    fn pages_without_templates_get_the_default_and_stale_pages_go() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir(dir.path().join(TEMPLATES)).expect("templates");
        let pages = render_pages(dir.path()).expect("renders");
        let resource = pages
            .iter()
            .find(|p| p.path == Path::new("resources/replication_pause.md"))
            .expect("the resource's page");
        assert!(
            resource
                .content
                .starts_with("---\npage_title: \"taurusdb_replication_pause Resource")
        );
        assert!(
            resource
                .content
                .contains("\n# taurusdb_replication_pause (Resource)\n")
        );
        assert!(resource.content.contains("\n## Identity Schema\n"));
        assert!(
            resource
                .content
                .contains("\n<a id=\"nestedblock--timeouts\"></a>\n")
        );

        let out = dir.path().join("out");
        std::fs::create_dir_all(out.join("resources")).expect("dirs");
        std::fs::write(out.join("resources/gone.md"), "old").expect("write");
        std::fs::write(out.join("resources/notes.txt"), "kept").expect("write");
        let written = write_pages(&out, &pages).expect("writes");
        assert_eq!(written.removed, [out.join("resources/gone.md")]);
        assert!(out.join("resources/notes.txt").exists());
        assert_eq!(written.written.len(), pages.len());
    }
}
