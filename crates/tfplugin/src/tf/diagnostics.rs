//! Diagnostics: the only way a user-facing failure leaves the provider.
//!
//! Resource and provider code collect [`Diagnostic`]s; the gRPC service turns them into
//! protocol messages. An attribute path makes Terraform print the offending config line.

use crate::proto::tfplugin6 as pb;
use crate::tf::path::{AttrPath, PathStep};

/// How serious a diagnostic is. The protocol's `INVALID = 0` is never produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

/// One message for the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub summary: String,
    pub detail: String,
    pub path: Option<AttrPath>,
}

impl Diagnostic {
    pub fn error(summary: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            severity: Severity::Error,
            summary: summary.into(),
            detail: detail.into(),
            path: None,
        }
    }

    pub fn warning(summary: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            severity: Severity::Warning,
            ..Self::error(summary, detail)
        }
    }

    /// Points the diagnostic at an attribute (ignored for the root path).
    pub fn at(mut self, path: AttrPath) -> Self {
        self.path = (!path.is_root()).then_some(path);
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    pub fn to_proto(&self) -> pb::Diagnostic {
        let severity = match self.severity {
            Severity::Error => pb::diagnostic::Severity::Error,
            Severity::Warning => pb::diagnostic::Severity::Warning,
        };
        pb::Diagnostic {
            severity: severity as i32,
            summary: self.summary.clone(),
            detail: self.detail.clone(),
            attribute: self.path.as_ref().map(path_to_proto),
        }
    }
}

/// An ordered collection of diagnostics.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.0.push(diagnostic);
    }

    pub fn extend(&mut self, other: Diagnostics) {
        self.0.extend(other.0);
    }

    pub fn has_errors(&self) -> bool {
        self.0.iter().any(Diagnostic::is_error)
    }

    /// These diagnostics with no path into a sensitive attribute of `schema`: such a
    /// diagnostic names the attribute in its summary instead, so the CLI does not print
    /// the line that holds its value.
    pub fn away_from_secrets(mut self, schema: &crate::tf::schema::Schema) -> Self {
        for diagnostic in &mut self.0 {
            let Some(path) = &diagnostic.path else {
                continue;
            };
            if schema.is_sensitive_path(path) {
                let named = path
                    .0
                    .iter()
                    .filter_map(|step| match step {
                        crate::tf::path::PathStep::Attribute(name) => Some(name.as_str()),
                        _ => None,
                    })
                    .collect::<Vec<_>>()
                    .join(".");
                if !diagnostic.summary.contains(&named) {
                    diagnostic.summary = format!("{} ({named})", diagnostic.summary);
                }
                diagnostic.path = None;
            }
        }
        self
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter()
    }

    pub fn to_proto(&self) -> Vec<pb::Diagnostic> {
        self.0.iter().map(Diagnostic::to_proto).collect()
    }
}

impl From<Diagnostic> for Diagnostics {
    fn from(diagnostic: Diagnostic) -> Self {
        Self(vec![diagnostic])
    }
}

impl FromIterator<Diagnostic> for Diagnostics {
    fn from_iter<I: IntoIterator<Item = Diagnostic>>(iter: I) -> Self {
        Self(iter.into_iter().collect())
    }
}

/// The protocol form of an attribute path.
pub fn path_to_proto(path: &AttrPath) -> pb::AttributePath {
    use pb::attribute_path::step::Selector;
    let steps = path
        .0
        .iter()
        .map(|step| pb::attribute_path::Step {
            selector: Some(match step {
                PathStep::Attribute(name) => Selector::AttributeName(name.clone()),
                PathStep::Key(key) => Selector::ElementKeyString(key.clone()),
                PathStep::Index(index) => Selector::ElementKeyInt(*index),
            }),
        })
        .collect();
    pb::AttributePath { steps }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severities_are_never_invalid() {
        let error = Diagnostic::error("a", "b").to_proto();
        let warning = Diagnostic::warning("a", "b").to_proto();
        assert_eq!(error.severity, 1);
        assert_eq!(warning.severity, 2);
    }

    #[test]
    fn attribute_path_becomes_steps() {
        let path = AttrPath::attr("timeouts").child(PathStep::Attribute("create".into()));
        let proto = Diagnostic::error("bad", "").at(path).to_proto();
        let steps = proto.attribute.expect("path").steps;
        assert_eq!(steps.len(), 2);
        assert_eq!(
            steps[1].selector,
            Some(pb::attribute_path::step::Selector::AttributeName(
                "create".into()
            ))
        );
    }

    #[test]
    fn root_path_is_dropped() {
        assert!(
            Diagnostic::error("x", "")
                .at(AttrPath::root())
                .path
                .is_none()
        );
    }
}
