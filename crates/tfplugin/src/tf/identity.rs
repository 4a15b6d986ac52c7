//! Resource identity (Terraform 1.12+, OpenTofu 1.12+): the few attributes that name a
//! remote object apart from its configuration. Terraform stores it beside the state,
//! imports by it (`import { identity = {...} }`) and lists by it (`terraform query`).
//!
//! An [`IdentitySchema`] gives both the `GetResourceIdentitySchemas` answer and the
//! object type identities are decoded and encoded with, so the two never disagree.

use std::borrow::Cow;

use crate::proto::tfplugin6 as pb;
use crate::tf::types::Type;

/// What an identity attribute is to `import { identity = {...} }`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ForImport {
    /// The import block must give it.
    Required,
    /// The import block may give it; the provider fills it in otherwise.
    Optional,
}

/// One identity attribute.
#[derive(Debug, Clone)]
pub struct IdentityAttribute {
    pub name: &'static str,
    pub ty: Type,
    pub for_import: ForImport,
    pub description: Cow<'static, str>,
}

impl IdentityAttribute {
    pub fn new(name: &'static str, ty: Type, for_import: ForImport) -> Self {
        Self {
            name,
            ty,
            for_import,
            description: Cow::Borrowed(""),
        }
    }

    pub fn describe(mut self, description: impl Into<Cow<'static, str>>) -> Self {
        self.description = description.into();
        self
    }

    fn to_proto(&self) -> pb::resource_identity_schema::IdentityAttribute {
        pb::resource_identity_schema::IdentityAttribute {
            name: self.name.to_string(),
            r#type: self.ty.to_json_bytes(),
            required_for_import: self.for_import == ForImport::Required,
            optional_for_import: self.for_import == ForImport::Optional,
            description: self.description.to_string(),
        }
    }
}

/// A resource type's identity: its attributes and their version.
#[derive(Debug, Clone)]
pub struct IdentitySchema {
    pub version: i64,
    pub attributes: Vec<IdentityAttribute>,
    value_type: Type,
}

impl IdentitySchema {
    pub fn new(version: i64, attributes: Vec<IdentityAttribute>) -> Self {
        let value_type = Type::object(attributes.iter().map(|a| (a.name, a.ty.clone())));
        Self {
            version,
            attributes,
            value_type,
        }
    }

    /// The object type identities have on the wire.
    pub fn value_type(&self) -> &Type {
        &self.value_type
    }

    pub fn to_proto(&self) -> pb::ResourceIdentitySchema {
        pb::ResourceIdentitySchema {
            version: self.version,
            identity_attributes: self
                .attributes
                .iter()
                .map(IdentityAttribute::to_proto)
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn import_roles_and_type_follow_the_attributes() {
        let schema = IdentitySchema::new(
            0,
            vec![
                IdentityAttribute::new("name", Type::String, ForImport::Required),
                IdentityAttribute::new("scope", Type::String, ForImport::Optional)
                    .describe("where"),
            ],
        );
        assert_eq!(
            schema.value_type(),
            &Type::object([("name", Type::String), ("scope", Type::String)])
        );
        let proto = schema.to_proto();
        assert_eq!(proto.version, 0);
        let [name, scope] = proto.identity_attributes.as_slice() else {
            panic!("two attributes expected");
        };
        assert!(name.required_for_import && !name.optional_for_import);
        assert!(scope.optional_for_import && !scope.required_for_import);
        assert_eq!(scope.description, "where");
        assert_eq!(name.r#type, b"\"string\"");
    }
}
