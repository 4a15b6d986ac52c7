//! The provider block's nested blocks: `assume_role` (a list: several blocks are a chain,
//! each hop assumed with the credentials of the one before) and `assume_role_with_oidc`.
//! Their schema is built from the [`assume_role`](super::setting::assume_role) and
//! [`oidc`](super::setting::oidc) setting tables, their values are read into typed
//! blocks here, and their checks that need no environment run with the block's.

use tfplugin::tf::attr::Attr;
use tfplugin::tf::diagnostics::{Diagnostic, Diagnostics};
use tfplugin::tf::path::{AttrPath, PathStep};
use tfplugin::tf::schema::{Block, NestedBlock, Nesting};
use tfplugin::tf::value::Value;

use super::setting::{Kind, Setting, assume_role, oidc};

/// One `assume_role` block as Terraform sent it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AssumeRoleBlock {
    pub agency_name: Attr<String>,
    pub domain_name: Attr<String>,
    pub domain_id: Attr<String>,
    pub duration: Attr<i64>,
}

/// The `assume_role_with_oidc` block as Terraform sent it. Its Debug hides the token.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct OidcBlock {
    pub agency_name: Attr<String>,
    pub domain_id: Attr<String>,
    pub duration: Attr<i64>,
    pub idp_id: Attr<String>,
    pub id_token: Attr<String>,
    pub id_token_file: Attr<String>,
}

impl std::fmt::Debug for OidcBlock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcBlock")
            .field("agency_name", &self.agency_name)
            .field("domain_id", &self.domain_id)
            .field("duration", &self.duration)
            .field("idp_id", &self.idp_id)
            .field("id_token", &self.id_token.known().map(|_| "***"))
            .field("id_token_file", &self.id_token_file)
            .finish()
    }
}

/// The nested blocks of the provider block's schema.
pub fn schema() -> Vec<NestedBlock> {
    let block = |settings: &[Setting], description: &'static str| Block {
        attributes: settings.iter().map(super::setting::attribute).collect(),
        blocks: Vec::new(),
        description,
    };
    vec![
        NestedBlock {
            type_name: assume_role::BLOCK,
            nesting: Nesting::List,
            block: block(
                &assume_role::ALL,
                "Assume an agency (IAM `securitytokens`, or STS v5 with `domain_id`) with \
                 the credentials configured otherwise. Several blocks form a chain: each \
                 is assumed with the credentials of the one before. Without a block, \
                 `HW_ASSUME_ROLE_AGENCY_NAME` with `HW_ASSUME_ROLE_DOMAIN_NAME` or \
                 `HW_ASSUME_ROLE_DOMAIN_ID` make one; in the first block they fill what \
                 it leaves unset.",
            ),
            max_items: 0,
        },
        NestedBlock {
            type_name: oidc::BLOCK,
            nesting: Nesting::List,
            block: block(
                &oidc::ALL,
                "Assume an agency with an OIDC ID token (e.g. a CI system's): the token \
                 is exchanged with IAM, then STS v5 issues the agency's credentials. \
                 Unset attributes fall back to their environment variables; the \
                 variables alone (`HW_ASSUME_ROLE_IDP_ID` with a token) work without a \
                 block.",
            ),
            max_items: 1,
        },
    ]
}

fn block_path(block: &str, index: usize, attr: &str) -> AttrPath {
    AttrPath::attr(block)
        .child(PathStep::Index(index as i64))
        .child(PathStep::Attribute(attr.to_string()))
}

/// A diagnostic from reading an attribute of a block element, at its full path.
fn within(block: &'static str, index: usize, mut d: Diagnostic) -> Diagnostic {
    if let Some(AttrPath(steps)) = &d.path
        && let Some(PathStep::Attribute(name)) = steps.first()
    {
        d.path = Some(block_path(block, index, name));
    }
    d
}

/// The elements of a list block, or Unknown when the list is not known yet.
fn elements<'a>(object: &'a Value, block: &str) -> Attr<&'a [Value]> {
    match object.attr(block) {
        None | Some(Value::Null) => Attr::Null,
        Some(Value::Unknown) => Attr::Unknown,
        Some(Value::List(items)) | Some(Value::Set(items)) | Some(Value::Tuple(items)) => {
            Attr::Known(items.as_slice())
        }
        Some(single @ Value::Object(_)) => Attr::Known(std::slice::from_ref(single)),
        Some(_) => Attr::Null,
    }
}

impl AssumeRoleBlock {
    /// Every `assume_role` block, in order; Unknown when the blocks are not known yet.
    pub fn read_all(object: &Value) -> Result<Attr<Vec<Self>>, Diagnostic> {
        let items = match elements(object, assume_role::BLOCK) {
            Attr::Known(items) => items,
            Attr::Unknown => return Ok(Attr::Unknown),
            Attr::Null => return Ok(Attr::Known(Vec::new())),
        };
        let mut blocks = Vec::with_capacity(items.len());
        for (index, item) in items.iter().enumerate() {
            let at = |d| within(assume_role::BLOCK, index, d);
            blocks.push(Self {
                agency_name: Attr::read(item, assume_role::AGENCY_NAME.attr).map_err(at)?,
                domain_name: Attr::read(item, assume_role::DOMAIN_NAME.attr).map_err(at)?,
                domain_id: Attr::read(item, assume_role::DOMAIN_ID.attr).map_err(at)?,
                duration: Attr::read(item, assume_role::DURATION.attr).map_err(at)?,
            });
        }
        Ok(Attr::Known(blocks))
    }

    /// Checks of known values: the duration's range.
    pub fn validate(&self, index: usize) -> Diagnostics {
        check_duration(&self.duration, assume_role::BLOCK, index)
    }
}

impl OidcBlock {
    /// The block, if there is one; Unknown when it is not known yet.
    pub fn read(object: &Value) -> Result<Attr<Self>, Diagnostic> {
        let items = match elements(object, oidc::BLOCK) {
            Attr::Known(items) => items,
            Attr::Unknown => return Ok(Attr::Unknown),
            Attr::Null => return Ok(Attr::Null),
        };
        let Some(item) = items.first() else {
            return Ok(Attr::Null);
        };
        let at = |d| within(oidc::BLOCK, 0, d);
        Ok(Attr::Known(Self {
            agency_name: Attr::read(item, oidc::AGENCY_NAME.attr).map_err(at)?,
            domain_id: Attr::read(item, oidc::DOMAIN_ID.attr).map_err(at)?,
            duration: Attr::read(item, oidc::DURATION.attr).map_err(at)?,
            idp_id: Attr::read(item, oidc::IDP_ID.attr).map_err(at)?,
            id_token: Attr::read(item, oidc::ID_TOKEN.attr).map_err(at)?,
            id_token_file: Attr::read(item, oidc::ID_TOKEN_FILE.attr).map_err(at)?,
        }))
    }

    /// Checks of known values: the duration's range, one token only.
    pub fn validate(&self) -> Diagnostics {
        let mut diagnostics = check_duration(&self.duration, oidc::BLOCK, 0);
        if self.id_token.known().is_some() && self.id_token_file.known().is_some() {
            diagnostics.push(
                Diagnostic::error(
                    "Conflicting ID tokens",
                    format!(
                        "Set {} or {}, not both.",
                        oidc::ID_TOKEN.attr,
                        oidc::ID_TOKEN_FILE.attr
                    ),
                )
                .at(block_path(oidc::BLOCK, 0, oidc::ID_TOKEN_FILE.attr)),
            );
        }
        diagnostics
    }
}

/// The path of an attribute of a block element, for diagnostics of resolved values.
pub fn path(block: &'static str, index: usize, setting: Setting) -> AttrPath {
    block_path(block, index, setting.attr)
}

fn check_duration(duration: &Attr<i64>, block: &'static str, index: usize) -> Diagnostics {
    let mut diagnostics = Diagnostics::new();
    let Kind::Count { min, max, .. } = assume_role::DURATION.kind else {
        return diagnostics;
    };
    if let Some(value) = duration.known()
        && !(min..=max).contains(value)
    {
        diagnostics.push(
            Diagnostic::error(
                "Invalid duration",
                format!("duration must be from {min} to {max} seconds, got {value}."),
            )
            .at(block_path(block, index, assume_role::DURATION.attr)),
        );
    }
    diagnostics
}

#[cfg(test)]
mod tests {
    use super::*;
    use tfplugin::tf::value::Number;

    fn hop(agency: &str, duration: i64) -> Value {
        Value::object([
            ("agency_name", Value::string(agency)),
            ("domain_name", Value::string("acct")),
            ("domain_id", Value::Null),
            ("duration", Value::Number(Number::Int(duration))),
        ])
    }

    #[test]
    fn a_chain_keeps_its_order_and_paths_point_into_the_right_block() {
        let config = Value::object([(
            "assume_role",
            Value::List(vec![hop("first", 3600), hop("second", 60)]),
        )]);
        let Attr::Known(chain) = AssumeRoleBlock::read_all(&config).expect("read") else {
            panic!("known chain");
        };
        assert_eq!(chain.len(), 2);
        assert_eq!(chain[0].agency_name, Attr::Known("first".into()));
        assert!(chain[0].validate(0).is_empty());
        let problems = chain[1].validate(1);
        assert_eq!(
            problems.0[0].path,
            Some(block_path("assume_role", 1, "duration"))
        );
        let wrong = Value::object([(
            "assume_role",
            Value::List(vec![Value::object([("agency_name", Value::Bool(true))])]),
        )]);
        let err = AssumeRoleBlock::read_all(&wrong).expect_err("not a string");
        assert_eq!(err.path, Some(block_path("assume_role", 0, "agency_name")));
    }

    #[test]
    fn no_block_unknown_blocks_and_the_oidc_token_stay_apart() {
        assert_eq!(
            AssumeRoleBlock::read_all(&Value::object([("x", Value::Null)])),
            Ok(Attr::Known(Vec::new()))
        );
        let unknown = Value::object([("assume_role", Value::Unknown)]);
        assert_eq!(AssumeRoleBlock::read_all(&unknown), Ok(Attr::Unknown));
        let oidc = Value::object([(
            "assume_role_with_oidc",
            Value::List(vec![Value::object([
                ("id_token", Value::string("eyJsecret")),
                ("id_token_file", Value::string("/run/token")),
            ])]),
        )]);
        let Ok(Attr::Known(block)) = OidcBlock::read(&oidc) else {
            panic!("known block");
        };
        assert!(!format!("{block:?}").contains("eyJsecret"));
        assert_eq!(block.validate().0.len(), 1, "both tokens set");
    }
}
