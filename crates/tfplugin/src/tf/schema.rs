//! Schemas: the single description of a provider block or resource type.
//!
//! The same [`Schema`] value drives three things, so they can never disagree: the
//! `GetProviderSchema` answer, the value type used to decode and encode every
//! DynamicValue, and the attribute names resource code reads through. Its descriptions
//! are markdown (served with `description_kind = MARKDOWN`) and are the reference
//! documentation too: the `docs` command renders them.

use std::borrow::Cow;
use std::collections::BTreeMap;

use crate::tf::path::{AttrPath, PathStep};

use crate::proto::tfplugin6 as pb;
use crate::tf::types::Type;

/// How an attribute is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    Required,
    Optional,
    Computed,
    OptionalComputed,
}

/// One attribute of a block.
#[derive(Debug, Clone)]
pub struct Attribute {
    pub name: &'static str,
    pub ty: Type,
    pub presence: Presence,
    pub sensitive: bool,
    /// Markdown; built at run time where it names other facts (an environment variable).
    pub description: Cow<'static, str>,
    /// Attributes nested in this one (protocol 6 nested attributes), each with its own
    /// description; `ty` is then the object (or collection of objects) they make.
    pub nested: Option<NestedAttributes>,
    /// The attribute to use instead, when this one is deprecated (Terraform warns).
    pub deprecated_for: Option<&'static str>,
}

/// The attributes of an attribute whose value is an object or a collection of objects,
/// e.g. the elements of a data source's computed list.
#[derive(Debug, Clone)]
pub struct NestedAttributes {
    pub nesting: Nesting,
    pub attributes: Vec<Attribute>,
}

impl NestedAttributes {
    /// The value type: one object, or a list or set of them.
    fn value_type(&self) -> Type {
        let object = Type::object(self.attributes.iter().map(|a| (a.name, a.ty.clone())));
        match self.nesting {
            Nesting::Single => object,
            Nesting::List => Type::list(object),
            Nesting::Set => Type::set(object),
        }
    }

    fn to_proto(&self) -> pb::schema::Object {
        pb::schema::Object {
            attributes: self.attributes.iter().map(Attribute::to_proto).collect(),
            nesting: match self.nesting {
                Nesting::Single => pb::schema::object::NestingMode::Single,
                Nesting::List => pb::schema::object::NestingMode::List,
                Nesting::Set => pb::schema::object::NestingMode::Set,
            } as i32,
            ..Default::default()
        }
    }
}

impl Attribute {
    pub fn new(name: &'static str, ty: Type, presence: Presence) -> Self {
        Self {
            name,
            ty,
            presence,
            sensitive: false,
            description: Cow::Borrowed(""),
            nested: None,
            deprecated_for: None,
        }
    }

    /// An attribute made of `attributes` (one object, or a list or set of them); its
    /// type follows from theirs.
    pub fn nested(
        name: &'static str,
        nesting: Nesting,
        attributes: Vec<Attribute>,
        presence: Presence,
    ) -> Self {
        let nested = NestedAttributes {
            nesting,
            attributes,
        };
        Self {
            ty: nested.value_type(),
            nested: Some(nested),
            ..Self::new(name, Type::Dynamic, presence)
        }
    }

    pub fn sensitive(mut self) -> Self {
        self.sensitive = true;
        self
    }

    /// Marks the attribute deprecated in favour of `replacement`.
    pub fn deprecated(mut self, replacement: &'static str) -> Self {
        self.deprecated_for = Some(replacement);
        self
    }

    pub fn describe(mut self, description: impl Into<Cow<'static, str>>) -> Self {
        self.description = description.into();
        self
    }

    fn to_proto(&self) -> pb::schema::Attribute {
        // Terraform takes either a type or nested attributes, never both.
        let (r#type, nested_type) = match &self.nested {
            Some(nested) => (Vec::new(), Some(nested.to_proto())),
            None => (self.ty.to_json_bytes(), None),
        };
        pb::schema::Attribute {
            name: self.name.to_string(),
            r#type,
            nested_type,
            description: self.description.to_string(),
            required: self.presence == Presence::Required,
            optional: matches!(
                self.presence,
                Presence::Optional | Presence::OptionalComputed
            ),
            computed: matches!(
                self.presence,
                Presence::Computed | Presence::OptionalComputed
            ),
            sensitive: self.sensitive,
            description_kind: pb::StringKind::Markdown as i32,
            deprecated: self.deprecated_for.is_some(),
            write_only: false,
        }
    }
}

/// How a nested block repeats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nesting {
    Single,
    List,
    Set,
}

/// A nested block such as `timeouts { ... }`.
#[derive(Debug, Clone)]
pub struct NestedBlock {
    pub type_name: &'static str,
    pub nesting: Nesting,
    pub block: Block,
    pub max_items: i64,
}

/// Attributes and nested blocks of one block.
#[derive(Debug, Clone, Default)]
pub struct Block {
    pub attributes: Vec<Attribute>,
    pub blocks: Vec<NestedBlock>,
    pub description: &'static str,
}

impl Block {
    /// The object type that values of this block have on the wire.
    pub fn value_type(&self) -> Type {
        let mut attrs: BTreeMap<String, Type> = self
            .attributes
            .iter()
            .map(|a| (a.name.to_string(), a.ty.clone()))
            .collect();
        for nested in &self.blocks {
            let inner = nested.block.value_type();
            let ty = match nested.nesting {
                Nesting::Single => inner,
                Nesting::List => Type::list(inner),
                Nesting::Set => Type::set(inner),
            };
            attrs.insert(nested.type_name.to_string(), ty);
        }
        Type::Object(attrs)
    }

    pub fn attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name == name)
    }

    fn to_proto(&self, version: i64) -> pb::schema::Block {
        pb::schema::Block {
            version,
            attributes: self.attributes.iter().map(Attribute::to_proto).collect(),
            block_types: self
                .blocks
                .iter()
                .map(|nested| pb::schema::NestedBlock {
                    type_name: nested.type_name.to_string(),
                    block: Some(nested.block.to_proto(version)),
                    nesting: match nested.nesting {
                        Nesting::Single => pb::schema::nested_block::NestingMode::Single,
                        Nesting::List => pb::schema::nested_block::NestingMode::List,
                        Nesting::Set => pb::schema::nested_block::NestingMode::Set,
                    } as i32,
                    min_items: 0,
                    max_items: nested.max_items,
                })
                .collect(),
            description: self.description.to_string(),
            description_kind: pb::StringKind::Markdown as i32,
            deprecated: false,
        }
    }
}

/// A versioned schema with its wire type computed once.
#[derive(Debug, Clone)]
pub struct Schema {
    pub version: i64,
    pub block: Block,
    value_type: Type,
}

impl Schema {
    pub fn new(version: i64, block: Block) -> Self {
        let value_type = block.value_type();
        Self {
            version,
            block,
            value_type,
        }
    }

    /// The object type of values of this schema.
    pub fn value_type(&self) -> &Type {
        &self.value_type
    }

    pub fn to_proto(&self) -> pb::Schema {
        pb::Schema {
            version: self.version,
            block: Some(self.block.to_proto(self.version)),
        }
    }

    /// Whether `path` points into a sensitive attribute (of the block or of a nested
    /// block): the CLI prints the source line of a diagnostic's attribute, value included,
    /// sensitive or not, so a diagnostic must not point there.
    pub fn is_sensitive_path(&self, path: &AttrPath) -> bool {
        let mut block = &self.block;
        for step in &path.0 {
            let PathStep::Attribute(name) = step else {
                continue;
            };
            if let Some(attribute) = block.attribute(name) {
                return attribute.sensitive;
            }
            match block.blocks.iter().find(|b| b.type_name == name) {
                Some(nested) => block = &nested.block,
                None => return false,
            }
        }
        false
    }

    /// Names of the sensitive top-level attributes (never logged).
    pub fn sensitive_attributes(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.block
            .attributes
            .iter()
            .filter(|a| a.sensitive)
            .map(|a| a.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Schema {
        Schema::new(
            0,
            Block {
                attributes: vec![
                    Attribute::new("name", Type::String, Presence::Required),
                    Attribute::new("secret", Type::String, Presence::Optional).sensitive(),
                    Attribute::new("id", Type::String, Presence::Computed),
                ],
                blocks: vec![NestedBlock {
                    type_name: "timeouts",
                    nesting: Nesting::Single,
                    block: Block {
                        attributes: vec![Attribute::new(
                            "create",
                            Type::String,
                            Presence::Optional,
                        )],
                        ..Block::default()
                    },
                    max_items: 0,
                }],
                description: "",
            },
        )
    }

    #[test]
    fn diagnostics_never_point_at_a_sensitive_attribute() {
        use crate::tf::diagnostics::{Diagnostic, Diagnostics};
        let mut schema = sample();
        schema.block.blocks[0]
            .block
            .attributes
            .push(Attribute::new("token", Type::String, Presence::Optional).sensitive());
        let at = |path: AttrPath| Diagnostic::warning("Deprecated", "d").at(path);
        let nested_secret = AttrPath::attr("timeouts")
            .child(PathStep::Index(0))
            .child(PathStep::Attribute("token".into()));
        let nested_plain = AttrPath::attr("timeouts").child(PathStep::Attribute("create".into()));
        let diagnostics = Diagnostics(vec![
            at(AttrPath::attr("secret")),
            at(nested_secret),
            at(AttrPath::attr("name")),
            at(nested_plain.clone()),
        ])
        .away_from_secrets(&schema);
        assert_eq!(diagnostics.0[0].path, None);
        assert_eq!(diagnostics.0[0].summary, "Deprecated (secret)");
        assert_eq!(diagnostics.0[1].path, None);
        assert_eq!(diagnostics.0[1].summary, "Deprecated (timeouts.token)");
        assert_eq!(diagnostics.0[2].path, Some(AttrPath::attr("name")));
        assert_eq!(diagnostics.0[3].path, Some(nested_plain));
    }

    #[test]
    fn value_type_includes_nested_blocks() {
        let Type::Object(attrs) = sample().value_type().clone() else {
            panic!("object expected");
        };
        assert_eq!(attrs.len(), 4);
        assert!(matches!(attrs.get("timeouts"), Some(Type::Object(_))));
    }

    #[test]
    fn proto_flags_follow_presence() {
        let proto = sample().to_proto();
        let block = proto.block.expect("block");
        let by_name = |n: &str| {
            block
                .attributes
                .iter()
                .find(|a| a.name == n)
                .cloned()
                .expect(n)
        };
        assert!(by_name("name").required && !by_name("name").optional);
        assert!(by_name("secret").sensitive && by_name("secret").optional);
        assert!(by_name("id").computed && !by_name("id").optional);
        assert_eq!(by_name("name").r#type, b"\"string\"");
        assert_eq!(block.block_types[0].type_name, "timeouts");
        assert!(
            block
                .attributes
                .iter()
                .all(|a| a.description_kind == pb::StringKind::Markdown as i32)
        );
    }

    #[test]
    fn nested_attributes_give_the_type_and_are_served_without_one() {
        let items = Attribute::nested(
            "items",
            Nesting::List,
            vec![
                Attribute::new("name", Type::String, Presence::Computed).describe("Its name."),
                Attribute::new("ok", Type::Bool, Presence::Computed),
            ],
            Presence::Computed,
        );
        assert_eq!(
            items.ty,
            Type::list(Type::object([("name", Type::String), ("ok", Type::Bool)]))
        );
        let proto = items.to_proto();
        assert!(
            proto.r#type.is_empty(),
            "type and nested_type are exclusive"
        );
        let nested = proto.nested_type.expect("nested_type");
        assert_eq!(nested.nesting, pb::schema::object::NestingMode::List as i32);
        assert_eq!(nested.attributes[0].name, "name");
        assert_eq!(nested.attributes[0].description, "Its name.");
        assert!(nested.attributes[1].computed);
    }
}
