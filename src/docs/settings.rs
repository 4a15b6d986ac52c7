//! The provider page's table of settings: each argument with its environment variable,
//! its default and whether it is sensitive, straight from the `Setting` tables
//! (`taurusdb/config/setting.rs`), the one home of those facts: the top-level
//! attributes, the `endpoints` keys and the attributes of the `assume_role` and
//! `assume_role_with_oidc` blocks.

use crate::taurusdb::config::{Kind, Setting, assume_role, attrs, endpoints, oidc};

/// A markdown table of `settings`, in their order, each named by its attribute.
pub fn settings_table(settings: &[Setting]) -> String {
    table(settings.iter().map(|s| (s.attr.to_string(), *s)))
}

/// The provider page's table: every top-level setting, then each `endpoints` key
/// (`endpoints["sts"]`), then each block attribute (`assume_role.agency_name`).
pub fn provider_settings_table() -> String {
    let top = attrs::ALL.iter().map(|s| (s.attr.to_string(), *s));
    let keys = endpoints::ALL
        .iter()
        .map(|s| (format!("{}[\"{}\"]", endpoints::ATTR, s.attr), *s));
    let in_block = |block: &'static str, settings: &'static [Setting]| {
        settings
            .iter()
            .map(move |s| (format!("{block}.{}", s.attr), *s))
    };
    table(
        top.chain(keys)
            .chain(in_block(assume_role::BLOCK, &assume_role::ALL))
            .chain(in_block(oidc::BLOCK, &oidc::ALL)),
    )
}

fn table(rows: impl IntoIterator<Item = (String, Setting)>) -> String {
    let mut out = String::from(
        "| Argument | Environment variable | Default | Sensitive |\n|---|---|---|---|\n",
    );
    for (argument, setting) in rows {
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
            argument,
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

    #[test]
    fn every_setting_has_a_row_with_its_variable_and_default() {
        let table = settings_table(attrs::ALL);
        assert_eq!(table.lines().count(), 2 + attrs::ALL.len());
        assert!(table.contains("| `max_retries` | `HW_MAX_RETRIES` | `5` |  |"));
        assert!(table.contains("| `auth_token` | `HW_AUTH_TOKEN` | none | yes |"));
        assert!(table.contains("| `insecure` | `HW_INSECURE` | `false` |  |"));
    }

    #[test]
    fn the_provider_table_adds_the_endpoints_keys_and_the_block_attributes() {
        let table = provider_settings_table();
        let rows =
            attrs::ALL.len() + endpoints::ALL.len() + assume_role::ALL.len() + oidc::ALL.len();
        assert_eq!(table.lines().count(), 2 + rows);
        assert!(table.contains(
            "| `endpoints[\"sts\"]` | `HW_STS_ENDPOINT` | `https://sts.{region}.{cloud}` |  |"
        ));
        assert!(table.contains(
            "| `endpoints[\"metadata\"]` | `HW_METADATA_ENDPOINT` | `http://169.254.169.254` |  |"
        ));
        assert!(
            table.contains("| `assume_role.duration` | `HW_ASSUME_ROLE_DURATION` | `3600` |  |")
        );
        assert!(table.contains(
            "| `assume_role_with_oidc.id_token` | `HW_ASSUME_ROLE_ID_TOKEN` | none | yes |"
        ));
        for setting in endpoints::ALL
            .iter()
            .chain(&assume_role::ALL)
            .chain(&oidc::ALL)
        {
            assert!(table.contains(setting.env), "{}", setting.env);
        }
    }
}
