//! Schemas as markdown: the argument and attribute sections of a documentation page,
//! rendered from the protocol form the provider serves (GetProviderSchema and
//! GetResourceIdentitySchemas), so the pages say exactly what Terraform is told.
//!
//! The layout is tfplugindocs': `## Schema` with Required, Optional and Read-Only
//! groups, one line per attribute (`- `name` (Type, Sensitive) description`), and a
//! `### Nested Schema for ...` section, with an anchor, for each nested block or nested
//! attribute.

use tfplugin::proto::tfplugin6 as pb;
use tfplugin::tf::types::Type;

/// The `## Schema` section of a block (the provider's, a resource's, an action's
/// `config`, ...).
pub fn schema_markdown(block: &pb::schema::Block) -> String {
    let mut out = String::from("## Schema\n");
    let mut nested = Vec::new();
    let members = members_of_block(block, "", &mut nested);
    render_groups(&mut out, &members, |title| format!("\n### {title}\n\n"));
    render_nested(&mut out, nested);
    out
}

/// The `## Identity Schema` section: the attributes `import { identity = {...} }` takes.
/// The protocol gives identity descriptions no kind; this provider writes them in
/// markdown like every other description.
pub fn identity_markdown(identity: &pb::ResourceIdentitySchema) -> String {
    let mut out = String::from("## Identity Schema\n");
    for (title, wanted) in [("Required", true), ("Optional", false)] {
        let lines: Vec<String> = identity
            .identity_attributes
            .iter()
            .filter(|a| a.required_for_import == wanted)
            .map(|a| {
                let ty = type_label(&a.r#type);
                line(&a.name, &ty, &a.description, pb::StringKind::Markdown)
            })
            .collect();
        if !lines.is_empty() {
            out.push_str(&format!("\n### {title}\n\n"));
            for line in lines {
                out.push_str(&line);
                out.push('\n');
            }
        }
    }
    out
}

/// Where an attribute or block is listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Group {
    Required,
    Optional,
    ReadOnly,
}

impl Group {
    const ALL: [Group; 3] = [Group::Required, Group::Optional, Group::ReadOnly];

    fn title(self) -> &'static str {
        match self {
            Group::Required => "Required",
            Group::Optional => "Optional",
            Group::ReadOnly => "Read-Only",
        }
    }

    fn of(attribute: &pb::schema::Attribute) -> Group {
        if attribute.required {
            Group::Required
        } else if attribute.optional {
            Group::Optional
        } else {
            Group::ReadOnly
        }
    }
}

/// A nested block or nested attribute whose own section follows the groups.
enum Nested<'a> {
    Block {
        anchor: String,
        path: String,
        block: &'a pb::schema::Block,
    },
    Attributes {
        anchor: String,
        path: String,
        object: &'a pb::schema::Object,
    },
}

/// The lines of a block's members, each with its group; nested sections go to `nested`.
fn members_of_block<'a>(
    block: &'a pb::schema::Block,
    parent: &str,
    nested: &mut Vec<Nested<'a>>,
) -> Vec<(Group, String)> {
    let mut members = members_of_attributes(&block.attributes, parent, nested);
    for block_type in &block.block_types {
        let Some(inner) = block_type.block.as_ref() else {
            continue;
        };
        let path = join(parent, &block_type.type_name);
        let anchor = format!("nestedblock--{}", path.replace('.', "--"));
        let group = if block_type.min_items > 0 {
            Group::Required
        } else {
            Group::Optional
        };
        let label = block_label(block_type);
        let reference = format!("(see [below for nested schema](#{anchor}))");
        let description = with_reference(&inner.description, inner.description_kind, &reference);
        members.push((
            group,
            line(
                &block_type.type_name,
                &label,
                &description,
                pb::StringKind::Markdown,
            ),
        ));
        nested.push(Nested::Block {
            anchor,
            path,
            block: inner,
        });
    }
    members
}

fn members_of_attributes<'a>(
    attributes: &'a [pb::schema::Attribute],
    parent: &str,
    nested: &mut Vec<Nested<'a>>,
) -> Vec<(Group, String)> {
    attributes
        .iter()
        .map(|attribute| {
            let mut flags = Vec::new();
            if attribute.sensitive {
                flags.push("Sensitive");
            }
            if attribute.write_only {
                flags.push("Write-only");
            }
            if attribute.deprecated {
                flags.push("Deprecated");
            }
            let (label, description) = match attribute.nested_type.as_ref() {
                Some(object) => {
                    let path = join(parent, &attribute.name);
                    let anchor = format!("nestedatt--{}", path.replace('.', "--"));
                    let reference = format!("(see [below for nested schema](#{anchor}))");
                    let description = with_reference(
                        &attribute.description,
                        attribute.description_kind,
                        &reference,
                    );
                    nested.push(Nested::Attributes {
                        anchor,
                        path,
                        object,
                    });
                    (attributes_label(object), description)
                }
                None => (
                    type_label(&attribute.r#type),
                    described(&attribute.description, attribute.description_kind),
                ),
            };
            let label = std::iter::once(label.as_str())
                .chain(flags)
                .collect::<Vec<_>>()
                .join(", ");
            (
                Group::of(attribute),
                line(
                    &attribute.name,
                    &label,
                    &description,
                    pb::StringKind::Markdown,
                ),
            )
        })
        .collect()
}

/// The `### Nested Schema for ...` sections, depth first in the order they were named.
fn render_nested(out: &mut String, nested: Vec<Nested<'_>>) {
    for section in nested {
        let mut deeper = Vec::new();
        let (anchor, path, members) = match section {
            Nested::Block {
                anchor,
                path,
                block,
            } => {
                let members = members_of_block(block, &path, &mut deeper);
                (anchor, path, members)
            }
            Nested::Attributes {
                anchor,
                path,
                object,
            } => {
                let members = members_of_attributes(&object.attributes, &path, &mut deeper);
                (anchor, path, members)
            }
        };
        out.push_str(&format!(
            "\n<a id=\"{anchor}\"></a>\n### Nested Schema for `{path}`\n"
        ));
        render_groups(out, &members, |title| format!("\n{title}:\n\n"));
        render_nested(out, deeper);
    }
}

/// The members' lines group by group (Required, Optional, Read-Only), each non-empty
/// group under its `heading`.
fn render_groups(out: &mut String, members: &[(Group, String)], heading: impl Fn(&str) -> String) {
    for group in Group::ALL {
        let mut lines = members.iter().filter(|(g, _)| *g == group).peekable();
        if lines.peek().is_some() {
            out.push_str(&heading(group.title()));
            for (_, line) in lines {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
}

fn join(parent: &str, name: &str) -> String {
    if parent.is_empty() {
        name.to_string()
    } else {
        format!("{parent}.{name}")
    }
}

/// `- `name` (Label) description`.
fn line(name: &str, label: &str, description: &str, kind: pb::StringKind) -> String {
    let description = described(description, kind as i32);
    if description.is_empty() {
        format!("- `{name}` ({label})")
    } else {
        format!("- `{name}` ({label}) {description}")
    }
}

/// A description as markdown: markdown as it is, plain text with markdown's special
/// characters escaped.
fn described(description: &str, kind: i32) -> String {
    let description = description.trim();
    if kind == pb::StringKind::Markdown as i32 {
        return description.to_string();
    }
    let mut escaped = String::with_capacity(description.len());
    for c in description.chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|'
        ) {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

fn with_reference(description: &str, kind: i32, reference: &str) -> String {
    let description = described(description, kind);
    if description.is_empty() {
        reference.to_string()
    } else {
        format!("{description} {reference}")
    }
}

fn block_label(block_type: &pb::schema::NestedBlock) -> String {
    use pb::schema::nested_block::NestingMode;
    let kind = match NestingMode::try_from(block_type.nesting) {
        Ok(NestingMode::List) => "Block List",
        Ok(NestingMode::Set) => "Block Set",
        Ok(NestingMode::Map) => "Block Map",
        _ => "Block",
    };
    if block_type.max_items > 0 {
        format!("{kind}, Max: {}", block_type.max_items)
    } else {
        kind.to_string()
    }
}

fn attributes_label(object: &pb::schema::Object) -> String {
    use pb::schema::object::NestingMode;
    match NestingMode::try_from(object.nesting) {
        Ok(NestingMode::List) => "Attributes List",
        Ok(NestingMode::Set) => "Attributes Set",
        Ok(NestingMode::Map) => "Attributes Map",
        _ => "Attributes",
    }
    .to_string()
}

/// `String`, `Map of String`, ... from a type's JSON bytes.
fn type_label(bytes: &[u8]) -> String {
    match serde_json::from_slice(bytes)
        .ok()
        .and_then(|json| Type::from_json(&json).ok())
    {
        Some(ty) => type_name(&ty),
        None => "Unknown type".to_string(),
    }
}

fn type_name(ty: &Type) -> String {
    match ty {
        Type::String => "String".into(),
        Type::Number => "Number".into(),
        Type::Bool => "Boolean".into(),
        Type::Dynamic => "Dynamic".into(),
        Type::List(t) => format!("List of {}", type_name(t)),
        Type::Set(t) => format!("Set of {}", type_name(t)),
        Type::Map(t) => format!("Map of {}", type_name(t)),
        Type::Object(_) => "Object".into(),
        Type::Tuple(_) => "Tuple".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tfplugin::tf::identity::{ForImport, IdentityAttribute, IdentitySchema};
    use tfplugin::tf::schema::{Attribute, Block, NestedBlock, Nesting, Presence, Schema};

    fn sample() -> pb::schema::Block {
        let schema = Schema::new(
            0,
            Block {
                attributes: vec![
                    Attribute::new("id", Type::String, Presence::Computed).describe("The ID."),
                    Attribute::new("name", Type::String, Presence::Required)
                        .describe("Its `name`."),
                    Attribute::new("secret", Type::String, Presence::Optional)
                        .sensitive()
                        .describe("Keep it."),
                    Attribute::new("tags", Type::map(Type::String), Presence::OptionalComputed),
                    Attribute::nested(
                        "items",
                        Nesting::List,
                        vec![Attribute::new("n", Type::Number, Presence::Computed).describe("N.")],
                        Presence::Computed,
                    )
                    .describe("Items."),
                ],
                blocks: vec![NestedBlock {
                    type_name: "timeouts",
                    nesting: Nesting::Single,
                    block: Block {
                        attributes: vec![
                            Attribute::new("create", Type::String, Presence::Optional)
                                .describe("Create."),
                        ],
                        blocks: Vec::new(),
                        description: "How long.",
                    },
                    max_items: 0,
                }],
                description: "",
            },
        );
        schema.to_proto().block.expect("block")
    }

    #[test]
    fn a_schema_renders_in_groups_with_nested_sections() {
        let expected = "## Schema

### Required

- `name` (String) Its `name`.

### Optional

- `secret` (String, Sensitive) Keep it.
- `tags` (Map of String)
- `timeouts` (Block) How long. (see [below for nested schema](#nestedblock--timeouts))

### Read-Only

- `id` (String) The ID.
- `items` (Attributes List) Items. (see [below for nested schema](#nestedatt--items))

<a id=\"nestedatt--items\"></a>
### Nested Schema for `items`

Read-Only:

- `n` (Number) N.

<a id=\"nestedblock--timeouts\"></a>
### Nested Schema for `timeouts`

Optional:

- `create` (String) Create.
";
        assert_eq!(schema_markdown(&sample()), expected);
    }

    #[test]
    fn identity_attributes_are_grouped_by_what_import_needs() {
        let identity = IdentitySchema::new(
            0,
            vec![
                IdentityAttribute::new("scope", Type::String, ForImport::Optional)
                    .describe("Where."),
                IdentityAttribute::new("name", Type::String, ForImport::Required)
                    .describe("Its name."),
            ],
        );
        assert_eq!(
            identity_markdown(&identity.to_proto()),
            "## Identity Schema\n\n### Required\n\n- `name` (String) Its name.\n\n\
             ### Optional\n\n- `scope` (String) Where.\n"
        );
    }

    #[test]
    fn plain_descriptions_are_escaped_and_markdown_kept() {
        assert_eq!(
            described("a_b <c>", pb::StringKind::Plain as i32),
            "a\\_b \\<c\\>"
        );
        assert_eq!(described("a `b`", pb::StringKind::Markdown as i32), "a `b`");
    }

    #[test]
    fn type_labels_name_collections_and_their_elements() {
        for (ty, label) in [
            (Type::Bool, "Boolean"),
            (Type::list(Type::String), "List of String"),
            (Type::set(Type::Number), "Set of Number"),
            (Type::map(Type::list(Type::Bool)), "Map of List of Boolean"),
        ] {
            assert_eq!(type_label(&ty.to_json_bytes()), label);
        }
        assert_eq!(type_label(b"not json"), "Unknown type");
    }
}
