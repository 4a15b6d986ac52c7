//! The provider page's table of settings: each attribute with its environment variable,
//! its default and whether it is sensitive, straight from the `Setting` table
//! (`taurusdb/config/setting.rs`), the one home of those facts.

use crate::taurusdb::config::{Kind, Setting};

/// A markdown table of `settings`, in their order.
pub fn settings_table(settings: &[Setting]) -> String {
    let mut out = String::from(
        "| Argument | Environment variable | Default | Sensitive |\n|---|---|---|---|\n",
    );
    for setting in settings {
        let default = setting
            .default_markdown()
            .unwrap_or_else(|| "none".to_string());
        let sensitive = if setting.kind == Kind::Secret {
            "yes"
        } else {
            ""
        };
        out.push_str(&format!(
            "| `{}` | `{}` | {} | {} |\n",
            setting.attr,
            setting.env,
            default.replace('|', "\\|"),
            sensitive
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::taurusdb::config::attrs;

    #[test]
    fn every_setting_has_a_row_with_its_variable_and_default() {
        let table = settings_table(&attrs::ALL);
        assert_eq!(table.lines().count(), 2 + attrs::ALL.len());
        assert!(table.contains("| `max_retries` | `HW_MAX_RETRIES` | `5` |  |"));
        assert!(table.contains("| `auth_token` | `HW_AUTH_TOKEN` | none | yes |"));
        assert!(table.contains("| `insecure` | `HW_INSECURE` | `false` |  |"));
    }
}
