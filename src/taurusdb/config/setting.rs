//! The provider's settings as the provider block's schema. The table of settings itself
//! (attribute, environment variable, kind, default, what it does) is plain data in
//! [`taurusdb_api::settings`], re-exported here: the schema (whose descriptions are the
//! reference documentation: `terraform-provider-taurusdb docs` renders them and a table
//! of these settings into docs/index.md), the environment fallbacks and every message
//! that names a setting come from [`attrs`]; `tests/architecture.rs` checks that table
//! and README's links to it.

pub use taurusdb_api::settings::{
    CREDENTIAL_CHOICES, Kind, LANGUAGES, Setting, assume_role, attr_list, attrs, endpoints,
    hint_all, oidc,
};
use tfplugin::tf::schema::{Attribute, Presence};
use tfplugin::tf::types::Type;

/// The attribute of the provider block's schema for `setting`: what it does, its default
/// and its environment variable.
pub fn attribute(setting: &Setting) -> Attribute {
    let ty = match setting.kind {
        Kind::Text | Kind::Secret => Type::String,
        Kind::Flag => Type::Bool,
        Kind::Count { .. } => Type::Number,
    };
    let mut description = setting.about.to_string();
    if let Some(default) = setting.default_markdown() {
        description.push_str(&format!(" Defaults to {default}."));
    }
    description.push_str(&format!(" Environment variable: `{}`.", setting.env));
    let mut attribute = Attribute::new(setting.attr, ty, Presence::Optional).describe(description);
    if let Some(replacement) = setting.replaced_by {
        attribute = attribute.deprecated(replacement);
    }
    if setting.kind == Kind::Secret {
        attribute.sensitive()
    } else {
        attribute
    }
}
