//! docs/ is generated: the built binary's `docs` command, run into a temporary folder,
//! must write exactly what docs/ holds, or this test prints a unified diff and how to
//! regenerate. And the schemas the docs are made from are fit to be docs: every attribute,
//! nested attribute, nested block and identity attribute the provider serves is described,
//! as markdown.

use crate::common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::process::BINARY;
use tfplugin::proto::tfplugin6 as pb;

const REGENERATE: &str = "cargo run -- docs --out docs";

#[test]
fn docs_are_what_the_docs_command_writes() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = tempfile::tempdir().expect("tempdir");
    let run = Command::new(BINARY)
        .args(["docs", "--out"])
        .arg(out.path())
        .arg("--root")
        .arg(root)
        .output()
        .expect("run the docs command");
    assert!(
        run.status.success(),
        "docs failed: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    let problems = compare_trees(&root.join("docs"), out.path());
    assert!(
        problems.is_empty(),
        "docs/ is not what the docs command generates; regenerate it with `{REGENERATE}` \
         (and change templates/ or the schema descriptions, never docs/ itself):\n\n{}",
        problems.join("\n")
    );
}

#[tokio::test]
async fn every_served_attribute_is_described_in_markdown() {
    let mut provider = common::start_provider(&[]).await;
    let schema = provider
        .client
        .get_provider_schema(pb::get_provider_schema::Request {})
        .await
        .expect("GetProviderSchema")
        .into_inner();
    let mut blocks: Vec<(String, pb::schema::Block)> = Vec::new();
    let mut add = |what: String, schema: &Option<pb::Schema>| {
        blocks.push((what, schema.clone().and_then(|s| s.block).expect("block")));
    };
    add("provider".into(), &schema.provider);
    for (name, s) in &schema.resource_schemas {
        add(format!("resource {name}"), &Some(s.clone()));
    }
    for (name, s) in &schema.data_source_schemas {
        add(format!("data source {name}"), &Some(s.clone()));
    }
    for (name, s) in &schema.list_resource_schemas {
        add(format!("list resource {name}"), &Some(s.clone()));
    }
    for (name, s) in &schema.action_schemas {
        add(format!("action {name}"), &s.schema);
    }
    assert_eq!(
        blocks.len(),
        6,
        "provider, resource, data source, list, 2 actions"
    );

    let mut undescribed = Vec::new();
    for (what, block) in &blocks {
        check_block(what, block, &mut undescribed);
    }
    let identities = provider
        .client
        .get_resource_identity_schemas(pb::get_resource_identity_schemas::Request {})
        .await
        .expect("GetResourceIdentitySchemas")
        .into_inner();
    assert!(!identities.identity_schemas.is_empty());
    for (name, identity) in &identities.identity_schemas {
        for attribute in &identity.identity_attributes {
            if !is_sentence(&attribute.description) {
                undescribed.push(format!("identity of {name}: {}", attribute.name));
            }
        }
    }
    assert!(
        undescribed.is_empty(),
        "not described (or not as markdown sentences):\n{}",
        undescribed.join("\n")
    );
}

fn check_block(what: &str, block: &pb::schema::Block, undescribed: &mut Vec<String>) {
    if !is_sentence(&block.description) || block.description_kind != markdown() {
        undescribed.push(format!("{what} (the block)"));
    }
    check_attributes(what, &block.attributes, undescribed);
    for nested in &block.block_types {
        let inner = nested.block.clone().expect("nested block");
        check_block(&format!("{what}.{}", nested.type_name), &inner, undescribed);
    }
}

fn check_attributes(what: &str, attributes: &[pb::schema::Attribute], out: &mut Vec<String>) {
    for attribute in attributes {
        let path = format!("{what}: {}", attribute.name);
        if !is_sentence(&attribute.description) || attribute.description_kind != markdown() {
            out.push(path.clone());
        }
        if let Some(nested) = &attribute.nested_type {
            check_attributes(&path, &nested.attributes, out);
        }
    }
}

fn markdown() -> i32 {
    pb::StringKind::Markdown as i32
}

/// Some text that ends like a sentence.
fn is_sentence(text: &str) -> bool {
    let text = text.trim();
    text.len() > 10 && text.ends_with(['.', ')'])
}

/// Every difference between the committed tree and the generated one, as unified diffs
/// and lines naming files only one side has.
fn compare_trees(committed: &Path, generated: &Path) -> Vec<String> {
    let ours = files_under(committed);
    let theirs = files_under(generated);
    let mut problems = Vec::new();
    for only in ours.difference(&theirs) {
        problems.push(format!(
            "docs/{} is not generated (no such type or template any more?)",
            only.display()
        ));
    }
    for only in theirs.difference(&ours) {
        problems.push(format!("docs/{} is missing", only.display()));
    }
    for both in ours.intersection(&theirs) {
        let old = std::fs::read_to_string(committed.join(both)).expect("committed page");
        let new = std::fs::read_to_string(generated.join(both)).expect("generated page");
        if old != new {
            let name = both.display();
            problems.push(unified_diff(
                &format!("docs/{name} (committed)"),
                &format!("docs/{name} (generated)"),
                &old,
                &new,
            ));
        }
    }
    problems
}

fn files_under(root: &Path) -> BTreeSet<PathBuf> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeSet<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("readable folder") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                out.insert(path.strip_prefix(root).expect("inside").to_path_buf());
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(root, root, &mut out);
    out
}

/// A unified diff (3 lines of context) of two texts, from their longest common
/// subsequence of lines.
fn unified_diff(old_name: &str, new_name: &str, old: &str, new: &str) -> String {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    // lcs[i][j]: length of the longest common subsequence of a[i..] and b[j..].
    let mut lcs = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    // The edit script: (' ', '-', '+'), with each line's number on both sides.
    let mut script: Vec<(char, usize, usize)> = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            script.push((' ', i, j));
            i += 1;
            j += 1;
        } else if i < a.len() && (j == b.len() || lcs[i + 1][j] >= lcs[i][j + 1]) {
            // Removed lines before added ones, as diff prints them.
            script.push(('-', i, j));
            i += 1;
        } else {
            script.push(('+', i, j));
            j += 1;
        }
    }
    const CONTEXT: usize = 3;
    let changed: Vec<usize> = (0..script.len()).filter(|&k| script[k].0 != ' ').collect();
    let mut out = format!("--- {old_name}\n+++ {new_name}\n");
    let mut k = 0;
    while k < changed.len() {
        let start = changed[k].saturating_sub(CONTEXT);
        let mut end = changed[k];
        while k < changed.len() && changed[k] <= end + 2 * CONTEXT + 1 {
            end = changed[k];
            k += 1;
        }
        let end = (end + CONTEXT + 1).min(script.len());
        let hunk = &script[start..end];
        let old_count = hunk.iter().filter(|(op, ..)| *op != '+').count();
        let new_count = hunk.iter().filter(|(op, ..)| *op != '-').count();
        let (_, old_start, new_start) = hunk[0];
        out.push_str(&format!(
            "@@ -{},{old_count} +{},{new_count} @@\n",
            old_start + 1,
            new_start + 1
        ));
        for &(op, i, j) in hunk {
            let line = if op == '+' { b[j] } else { a[i] };
            out.push_str(&format!("{op}{line}\n"));
        }
    }
    out
}

#[test]
fn the_diff_shows_changed_lines_with_context() {
    let old = "a\nb\nc\nd\ne\nf\ng\nh\n";
    let new = "a\nb\nc\nD\ne\nf\ng\nh\ni\n";
    assert_eq!(
        unified_diff("old", "new", old, new),
        "--- old\n+++ new\n@@ -1,8 +1,9 @@\n a\n b\n c\n-d\n+D\n e\n f\n g\n h\n+i\n"
    );
    let far = (1..=20).map(|n| format!("{n}\n")).collect::<String>();
    let changed = (1..=20)
        .map(|n| match n {
            2 => "two\n".to_string(),
            19 => "nineteen\n".to_string(),
            n => format!("{n}\n"),
        })
        .collect::<String>();
    let diff = unified_diff("old", "new", &far, &changed);
    assert_eq!(diff.matches("@@ -").count(), 2, "two hunks:\n{diff}");
    assert!(diff.contains("@@ -16,5 +16,5 @@\n 16\n 17\n 18\n-19\n+nineteen\n 20\n"));
}

/// The built binary's `docs --out OUT --root ROOT`: whether it succeeded, and its
/// stdout and stderr.
fn run_docs(root: &Path, out: &Path) -> (bool, String, String) {
    let run = Command::new(BINARY)
        .args(["docs", "--out"])
        .arg(out)
        .arg("--root")
        .arg(root)
        .output()
        .expect("run the docs command");
    (
        run.status.success(),
        String::from_utf8_lossy(&run.stdout).into_owned(),
        String::from_utf8_lossy(&run.stderr).into_owned(),
    )
}

fn repository() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Every file under `dir` with its content.
fn contents(dir: &Path) -> Vec<(PathBuf, String)> {
    files_under(dir)
        .into_iter()
        .map(|f| {
            let text = std::fs::read_to_string(dir.join(&f)).expect("readable");
            (f, text)
        })
        .collect()
}

#[test]
fn a_hand_written_page_is_kept_and_only_generated_pages_are_removed() {
    let out = tempfile::tempdir().expect("tempdir");
    let (ok, _, stderr) = run_docs(repository(), out.path());
    assert!(ok, "{stderr}");
    let resources = out.path().join("resources");
    // A page this command wrote for a type that no longer exists ...
    std::fs::copy(
        resources.join("replication_pause.md"),
        resources.join("gone.md"),
    )
    .expect("copy");
    // ... and one a person wrote.
    let guide = "---\npage_title: \"Migrating\"\n---\n\n# Migrating from 0.1\n";
    std::fs::write(resources.join("my_migration_guide.md"), guide).expect("write");

    let (ok, stdout, stderr) = run_docs(repository(), out.path());
    assert!(ok, "{stderr}");
    assert!(!resources.join("gone.md").exists(), "{stdout}");
    assert_eq!(
        std::fs::read_to_string(resources.join("my_migration_guide.md")).ok(),
        Some(guide.to_string()),
        "{stdout}"
    );
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("kept ") && l.contains("my_migration_guide.md")),
        "{stdout}"
    );
}

#[cfg(unix)]
#[test]
fn a_symlinked_folder_in_the_output_is_refused_and_its_target_untouched() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (out, outside) = (dir.path().join("out"), dir.path().join("outside"));
    std::fs::create_dir_all(&out).expect("out");
    std::fs::create_dir_all(&outside).expect("outside");
    // A page this command generated, living in the folder the link points to.
    let (ok, _, stderr) = run_docs(repository(), &dir.path().join("first"));
    assert!(ok, "{stderr}");
    std::fs::copy(
        dir.path().join("first/resources/replication_pause.md"),
        outside.join("old.md"),
    )
    .expect("copy");
    std::fs::write(outside.join("notes.md"), "mine\n").expect("write");
    std::os::unix::fs::symlink(&outside, out.join("resources")).expect("symlink");
    let before = contents(&outside);

    let (ok, _, stderr) = run_docs(repository(), &out);
    assert!(!ok, "followed the symlinked folder");
    assert!(
        stderr.contains(&out.join("resources").display().to_string())
            && stderr.contains("symbolic link"),
        "the refusal names the link: {stderr}"
    );
    assert_eq!(contents(&outside), before, "the link's target changed");
}

#[cfg(unix)]
#[test]
fn a_symlinked_page_in_the_output_is_refused_and_the_outside_file_untouched() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out");
    std::fs::create_dir_all(out.join("resources")).expect("out");
    let precious = dir.path().join("precious.txt");
    std::fs::write(&precious, "not a page\n").expect("write");
    let link = out.join("resources/replication_pause.md");
    std::os::unix::fs::symlink(&precious, &link).expect("symlink");

    let (ok, _, stderr) = run_docs(repository(), &out);
    assert!(!ok, "wrote through the symlinked page");
    assert!(
        stderr.contains(&link.display().to_string()) && stderr.contains("symbolic link"),
        "the refusal names the link: {stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(&precious).ok().as_deref(),
        Some("not a page\n")
    );
}

#[cfg(unix)]
#[test]
fn an_example_symlinked_out_of_the_repository_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (root, out) = (dir.path().join("repo"), dir.path().join("out"));
    std::fs::create_dir_all(root.join("templates/resources")).expect("templates");
    std::fs::create_dir_all(root.join("examples")).expect("examples");
    let secret = dir.path().join("secret.tf");
    std::fs::write(&secret, "password = \"hunter2\"\n").expect("write");
    std::os::unix::fs::symlink(&secret, root.join("examples/leak.tf")).expect("symlink");
    // A link that stays inside the repository is fine.
    std::fs::write(root.join("examples/main.tf"), "x = 1\n").expect("write");
    std::os::unix::fs::symlink("main.tf", root.join("examples/alias.tf")).expect("symlink");
    std::fs::write(
        root.join("templates/resources/replication_pause.md.tmpl"),
        "# {{ .Name }}\n\n{{ tffile \"examples/alias.tf\" }}\n",
    )
    .expect("write");
    let (ok, _, stderr) = run_docs(&root, &out);
    assert!(ok, "a link inside the repository: {stderr}");

    std::fs::write(
        root.join("templates/resources/replication_pause.md.tmpl"),
        "# {{ .Name }}\n\n{{ tffile \"examples/leak.tf\" }}\n",
    )
    .expect("write");
    let out = dir.path().join("out2");
    let (ok, _, stderr) = run_docs(&root, &out);
    assert!(!ok, "included a file from outside the repository");
    assert!(
        stderr.contains("examples/leak.tf") && stderr.contains("outside the repository"),
        "the refusal names the example: {stderr}"
    );
    let leaked = files_under_if_any(&out)
        .into_iter()
        .any(|f| std::fs::read_to_string(out.join(f)).is_ok_and(|t| t.contains("hunter2")));
    assert!(!leaked, "the outside file's content was written");
}

fn files_under_if_any(dir: &Path) -> BTreeSet<PathBuf> {
    if dir.is_dir() {
        files_under(dir)
    } else {
        BTreeSet::new()
    }
}

/// README.md and the guides link to files that exist, and to headings those files have:
/// moving text between them must not leave a reader at a dead link.
#[test]
fn readme_and_guides_link_to_what_exists() {
    let root = repository();
    let mut sources = vec![root.join("README.md")];
    let guides = root.join("docs/guides");
    sources.extend(files_under(&guides).into_iter().map(|f| guides.join(f)));
    assert!(sources.len() > 1, "no guides in docs/guides");
    let mut dead = Vec::new();
    for source in &sources {
        let text = std::fs::read_to_string(source).expect("readable");
        for target in relative_links(&text) {
            let (file, anchor) = target.split_once('#').unwrap_or((&target, ""));
            let path = if file.is_empty() {
                source.clone()
            } else {
                source.parent().expect("folder").join(file)
            };
            let name = source.strip_prefix(root).expect("inside").display();
            if !path.exists() {
                dead.push(format!("{name}: {target} (no such file)"));
            } else if !anchor.is_empty()
                && path.extension().is_some_and(|e| e == "md")
                && !headings(&std::fs::read_to_string(&path).expect("readable")).contains(anchor)
            {
                dead.push(format!("{name}: {target} (no such heading)"));
            }
        }
    }
    assert!(dead.is_empty(), "dead links:\n{}", dead.join("\n"));
}

/// The targets of `[text](target)` links outside code fences that are not URLs.
fn relative_links(markdown: &str) -> Vec<String> {
    let mut links = Vec::new();
    let mut fenced = false;
    for line in markdown.lines() {
        if line.starts_with("```") {
            fenced = !fenced;
        }
        if fenced {
            continue;
        }
        let mut rest = line;
        while let Some(at) = rest.find("](") {
            let after = &rest[at + 2..];
            let Some(end) = after.find(')') else { break };
            let target = &after[..end];
            if !target.contains("://") && !target.contains(' ') {
                links.push(target.to_string());
            }
            rest = &after[end..];
        }
    }
    links
}

/// The anchors GitHub gives a page's headings: lowercase, punctuation dropped, spaces to `-`.
fn headings(markdown: &str) -> BTreeSet<String> {
    let mut fenced = false;
    let mut anchors = BTreeSet::new();
    for line in markdown.lines() {
        if line.starts_with("```") {
            fenced = !fenced;
        }
        if fenced || !line.starts_with('#') {
            continue;
        }
        let anchor: String = line
            .trim_start_matches('#')
            .trim()
            .to_lowercase()
            .chars()
            .filter(|c| c.is_alphanumeric() || *c == '-' || *c == '_' || *c == ' ')
            .map(|c| if c == ' ' { '-' } else { c })
            .collect();
        anchors.insert(anchor);
    }
    anchors
}
