//! The values of the provider's settings ([`attrs::ALL`](crate::settings::attrs::ALL))
//! once read (block, `serve --api-config` file, environment fallbacks): the one struct
//! that carries them from where they are read to where they are used, the client
//! included ([`ClientConfig::settings`](crate::ClientConfig::settings)), which reads a
//! setting it sends (a header, a TLS option) from here. Secrets stay [`Secret`]s, so
//! its Debug output never shows them.

use std::collections::BTreeMap;

use crate::secret::Secret;
use crate::settings::{Kind, Setting};

/// One setting's value, of its [`Kind`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SettingValue {
    Text(String),
    Secret(Secret),
    Flag(bool),
    Count(i64),
}

/// The settings that have a value, by attribute name. A setting without one is unset
/// (a flag is then false, a count its default).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SettingValues {
    values: BTreeMap<&'static str, SettingValue>,
}

impl SettingValues {
    /// A text setting's value, when set.
    pub fn text(&self, setting: Setting) -> Option<&str> {
        match self.values.get(setting.attr) {
            Some(SettingValue::Text(value)) => Some(value),
            _ => None,
        }
    }

    /// A secret setting's value, when set.
    pub fn secret(&self, setting: Setting) -> Option<&Secret> {
        match self.values.get(setting.attr) {
            Some(SettingValue::Secret(value)) => Some(value),
            _ => None,
        }
    }

    /// A flag's value; false when unset.
    pub fn flag(&self, setting: Setting) -> bool {
        matches!(
            self.values.get(setting.attr),
            Some(SettingValue::Flag(true))
        )
    }

    /// A count's value; its default when unset.
    pub fn count(&self, setting: Setting) -> i64 {
        match (self.values.get(setting.attr), setting.kind) {
            (Some(SettingValue::Count(n)), _) => *n,
            (_, Kind::Count { default, .. }) => default,
            _ => 0,
        }
    }

    /// Sets (or with None unsets) a setting's value.
    pub fn set(&mut self, setting: Setting, value: Option<SettingValue>) {
        match value {
            Some(value) => self.values.insert(setting.attr, value),
            None => self.values.remove(setting.attr),
        };
    }

    /// These values with `setting` set to `text`, as its kind takes it (a secret
    /// setting's text becomes a [`Secret`]).
    pub fn with(mut self, setting: Setting, text: &str) -> Self {
        let value = match setting.kind {
            Kind::Secret => SettingValue::Secret(Secret::new(text)),
            _ => SettingValue::Text(text.to_string()),
        };
        self.set(setting, Some(value));
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::attrs;

    #[test]
    fn unset_settings_read_as_their_defaults_and_secrets_never_print() {
        let values = SettingValues::default()
            .with(attrs::REGION, "cn-north-4")
            .with(attrs::TOKEN, "tok-123");
        assert_eq!(values.text(attrs::REGION), Some("cn-north-4"));
        assert_eq!(
            values.secret(attrs::TOKEN).map(Secret::expose),
            Some("tok-123")
        );
        assert!(!values.flag(attrs::INSECURE));
        assert_eq!(
            values.count(attrs::MAX_RETRIES),
            i64::from(crate::retry::DEFAULT_MAX_RETRIES)
        );
        assert!(!format!("{values:?}").contains("tok-123"));
    }
}
