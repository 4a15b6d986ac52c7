//! The provider block written as a JSON file: how an operator gives `serve`'s typed
//! API its own TaurusDB configuration (`serve --api-config FILE`), e.g.
//! `{"region": "cn-north-4", "project_id": "...", "auth_token": "..."}`.
//!
//! The keys are the provider block's attribute names ([`attrs::ALL`]); each value has its
//! setting's kind (text, `true`/`false`, a whole number). Unknown keys are refused (a typo
//! must not silently drop a setting), and no message ever repeats a value: the file holds
//! credentials.

use super::ProviderConfig;
use super::setting::{Kind, attrs};
use tfplugin::tf::value::{Number, Value};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigFileError {
    #[error("not valid JSON (line {line}, column {column})")]
    Syntax { line: usize, column: usize },
    #[error("must hold one JSON object of provider settings")]
    NotAnObject,
    #[error("unknown setting {key:?}; the settings are: {known}")]
    Unknown { key: String, known: String },
    #[error("{attr} must be {expected}")]
    WrongKind {
        attr: &'static str,
        expected: &'static str,
    },
}

/// Reads the provider block from the JSON text of a configuration file. Settings the
/// file does not name are null (their environment variables may fill them).
pub fn parse(bytes: &[u8]) -> Result<ProviderConfig, ConfigFileError> {
    let json: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|err| ConfigFileError::Syntax {
            line: err.line(),
            column: err.column(),
        })?;
    let serde_json::Value::Object(entries) = json else {
        return Err(ConfigFileError::NotAnObject);
    };
    if let Some(key) = entries
        .keys()
        .find(|key| !attrs::ALL.iter().any(|s| s.attr == key.as_str()))
    {
        let known: Vec<&str> = attrs::ALL.iter().map(|s| s.attr).collect();
        return Err(ConfigFileError::Unknown {
            key: key.clone(),
            known: known.join(", "),
        });
    }
    let mut block = std::collections::BTreeMap::new();
    for setting in attrs::ALL {
        let value = match entries.get(setting.attr) {
            None | Some(serde_json::Value::Null) => Value::Null,
            Some(raw) => {
                let (value, expected) = match setting.kind {
                    Kind::Text | Kind::Secret => (raw.as_str().map(Value::string), "a string"),
                    Kind::Flag => (raw.as_bool().map(Value::Bool), "true or false"),
                    Kind::Count { .. } => (
                        raw.as_i64().map(|n| Value::Number(Number::Int(n))),
                        "a whole number",
                    ),
                };
                value.ok_or(ConfigFileError::WrongKind {
                    attr: setting.attr,
                    expected,
                })?
            }
        };
        block.insert(setting.attr.to_string(), value);
    }
    // Every value has its setting's kind, so reading the block cannot fail; say so
    // rather than panic if it ever does.
    ProviderConfig::from_value(&Value::Object(block)).map_err(|_| ConfigFileError::NotAnObject)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tfplugin::tf::attr::Attr;

    #[test]
    fn settings_are_read_by_their_attribute_names() {
        let config = parse(
            br#"{"endpoint": "https://gaussdb.example.com", "auth_token": "tok-1",
                 "max_retries": 2, "insecure": false, "region": null}"#,
        )
        .expect("a configuration");
        assert_eq!(
            *config.text(attrs::ENDPOINT),
            Attr::Known("https://gaussdb.example.com".into())
        );
        assert_eq!(*config.text(attrs::AUTH_TOKEN), Attr::Known("tok-1".into()));
        assert_eq!(*config.count(attrs::MAX_RETRIES), Attr::Known(2));
        assert_eq!(*config.flag(attrs::INSECURE), Attr::Known(false));
        assert_eq!(*config.text(attrs::REGION), Attr::Null);
        assert_eq!(*config.text(attrs::PROJECT_ID), Attr::Null);
    }

    #[test]
    fn mistakes_name_the_setting_and_never_repeat_a_value() {
        let unknown = parse(br#"{"auth_tokn": "s3cr3t"}"#).expect_err("typo");
        assert!(matches!(&unknown, ConfigFileError::Unknown { key, .. } if key == "auth_tokn"));
        let wrong = parse(br#"{"max_retries": "s3cr3t"}"#).expect_err("not a number");
        assert_eq!(
            wrong,
            ConfigFileError::WrongKind {
                attr: "max_retries",
                expected: "a whole number"
            }
        );
        let syntax = parse(b"{\"auth_token\": \"s3cr3t\",,}").expect_err("not JSON");
        for err in [unknown, wrong, syntax] {
            assert!(!err.to_string().contains("s3cr3t"), "{err}");
        }
        assert!(matches!(parse(b"[1]"), Err(ConfigFileError::NotAnObject)));
    }
}
