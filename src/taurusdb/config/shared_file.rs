//! The hcloud CLI's (KooCLI's) shared config file, `$HOME/.hcloud/config.json`: where
//! users of Huawei Cloud already keep their credentials, and which the official
//! huaweicloud provider reads (`shared_config_file`, `profile`). This module reads one
//! profile of it; choosing when to read it is the configuration's business.
//!
//! The file is `{"current": NAME, "profiles": [{"name", "mode", "accessKeyId",
//! "secretAccessKey", "securityToken", "region", "projectId", "domainId", "agencyName",
//! "agencyDomainName", "agencyDomainId", "ssoAuth": {"stsToken": {"accessKeyId",
//! "secretAccessKey", "securityToken", "expiresAt"}}}, ...]}`; other keys are ignored.
//! The profile read is the one asked for, else `current`. A profile in mode `SSO` (any
//! case) holds its keys in `ssoAuth.stsToken`, any other (AKSK) at its top level. An
//! empty string counts as absent, so an empty region never becomes `iam..{domain}`.
//!
//! hcloud stores credentials encrypted unless told not to, and an encrypted profile
//! cannot be used. The rule: a profile is usable only when it has both an access key and
//! a secret key where its mode keeps them, the access key is 1 to 64 ASCII letters and
//! digits (Huawei access key IDs are 20 of them; ciphertext is longer or has other
//! characters), and the secret key and security token are visible ASCII without blanks
//! (a non-printable, non-ASCII or blank character is no plain key). Otherwise the error
//! names the file, the profile, which field fails, and the fix
//! (`hcloud configure set --cli-auth-encrypt=false`).
//!
//! No error ever contains a value from the file other than profile names (which are not
//! secret, and are shown escaped and cut short): a JSON syntax error gives only its line
//! and column, a field of the wrong type only its name. The file is read like every file
//! a user names ([`stdx::regular_file`]): a regular file only, opened non-blocking (a
//! FIFO cannot hang the provider), at most 1 MiB, on the blocking pool within 10 s.

use std::path::PathBuf;

use serde_json::{Map, Value};

use stdx::regular_file::{self, ReadError};
use taurusdb_api::Secret;

/// The largest shared config file read.
pub const MAX_SHARED_FILE_BYTES: u64 = regular_file::MAX_BYTES;

/// What fixes a profile whose credentials hcloud stored encrypted.
pub const DECRYPT_FIX: &str = "hcloud configure set --cli-auth-encrypt=false";

/// The longest access key ID taken as plain text.
const MAX_ACCESS_KEY_LEN: usize = 64;
/// Profile names shown in an error, at most; each cut to [`SHOWN_NAME_CHARS`].
const SHOWN_NAMES: usize = 20;
const SHOWN_NAME_CHARS: usize = 64;

/// One profile of the shared config file, with its credentials as [`Secret`]s. Every
/// field is None when the file leaves it out or empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub name: String,
    pub access_key: Option<Secret>,
    pub secret_key: Option<Secret>,
    pub security_token: Option<Secret>,
    pub region: Option<String>,
    pub project_id: Option<String>,
    pub domain_id: Option<String>,
    pub agency_name: Option<String>,
    pub agency_domain_name: Option<String>,
}

/// Why no usable profile came out of the shared config file. No text contains a
/// credential or any other value of the file except profile names.
#[derive(Debug, thiserror::Error)]
pub enum SharedConfigError {
    #[error("could not read the shared config file {path:?}: {source}")]
    Read { path: String, source: ReadError },
    #[error("the shared config file {path:?} is not valid JSON (line {line}, column {column})")]
    Syntax {
        path: String,
        line: usize,
        column: usize,
    },
    #[error("the shared config file {path:?} is not hcloud's format: {problem}")]
    Format { path: String, problem: &'static str },
    #[error("the shared config file {path:?} has no profile {profile}; its profiles: {available}")]
    ProfileNotFound {
        path: String,
        /// The name asked for, escaped and cut short.
        profile: String,
        available: String,
    },
    #[error(
        "the shared config file {path:?} names no current profile; name one (its profiles: \
         {available})"
    )]
    NoCurrentProfile { path: String, available: String },
    #[error("profile {profile} in the shared config file {path:?}: {field} must be {expected}")]
    WrongType {
        path: String,
        profile: String,
        field: &'static str,
        expected: &'static str,
    },
    #[error(
        "profile {profile} in the shared config file {path:?} cannot be used: {problem}. \
         hcloud stores credentials encrypted unless told not to; run `{DECRYPT_FIX}`, then \
         check that the profile's keys are set"
    )]
    Unusable {
        path: String,
        profile: String,
        problem: Unusable,
    },
}

/// Why a profile's credentials are not plain AK/SK; names fields, never values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Unusable {
    #[error("it has no {missing} (in {mode} mode the keys are {place})")]
    MissingKeys {
        missing: &'static str,
        mode: &'static str,
        place: &'static str,
    },
    #[error("{field} does not look like a plain, unencrypted value")]
    NotPlain { field: &'static str },
}

/// `$HOME/.hcloud/config.json`, where hcloud keeps it; None without a home directory.
pub fn default_path(home: Option<&str>) -> Option<PathBuf> {
    let home = home.filter(|home| !home.is_empty())?;
    Some(PathBuf::from(home).join(".hcloud").join("config.json"))
}

/// Reads the profile `wanted` (else the file's current one) from the shared config file
/// at `path`: off the async workers, a regular file of at most 1 MiB, within 10 s.
pub async fn read(path: PathBuf, wanted: Option<String>) -> Result<Profile, SharedConfigError> {
    let shown = path.display().to_string();
    let bytes =
        regular_file::read_off_the_workers(path, MAX_SHARED_FILE_BYTES, regular_file::DEADLINE)
            .await
            .map_err(|source| SharedConfigError::Read {
                path: shown.clone(),
                source,
            })?;
    parse(&bytes, &shown, wanted.as_deref())
}

/// The profile `wanted` (else the file's current one) from the shared config file's
/// bytes; `path_for_messages` names the file in errors. An empty `wanted` counts as not
/// given.
pub fn parse(
    bytes: &[u8],
    path_for_messages: &str,
    wanted: Option<&str>,
) -> Result<Profile, SharedConfigError> {
    let path = || path_for_messages.to_string();
    let json: Value = serde_json::from_slice(bytes).map_err(|err| SharedConfigError::Syntax {
        path: path(),
        line: err.line(),
        column: err.column(),
    })?;
    let Value::Object(top) = json else {
        return Err(SharedConfigError::Format {
            path: path(),
            problem: "it must hold one JSON object",
        });
    };
    let profiles: &[Value] = match top.get("profiles") {
        None | Some(Value::Null) => &[],
        Some(Value::Array(profiles)) => profiles,
        Some(_) => {
            return Err(SharedConfigError::Format {
                path: path(),
                problem: "\"profiles\" must be a list",
            });
        }
    };
    // Entries that are not objects with a name cannot be chosen: left out.
    let named: Vec<(&str, &Map<String, Value>)> = profiles
        .iter()
        .filter_map(|entry| {
            let entry = entry.as_object()?;
            let name = entry.get("name")?.as_str().filter(|n| !n.is_empty())?;
            Some((name, entry))
        })
        .collect();
    let available = || available_names(named.iter().map(|(name, _)| *name));
    let current = match top.get("current") {
        Some(Value::String(current)) if !current.is_empty() => Some(current.as_str()),
        _ => None,
    };
    let Some(chosen) = wanted.filter(|w| !w.is_empty()).or(current) else {
        return Err(SharedConfigError::NoCurrentProfile {
            path: path(),
            available: available(),
        });
    };
    let Some((name, entry)) = named.iter().find(|(name, _)| *name == chosen) else {
        return Err(SharedConfigError::ProfileNotFound {
            path: path(),
            profile: shown_name(chosen),
            available: available(),
        });
    };
    ProfileReader {
        path: path_for_messages,
        name,
    }
    .profile(entry)
}

/// Where a profile keeps its keys, as errors name the fields.
struct KeyFields {
    mode: &'static str,
    place: &'static str,
    access_key: &'static str,
    secret_key: &'static str,
    security_token: &'static str,
}

const AKSK_FIELDS: KeyFields = KeyFields {
    mode: "AKSK",
    place: "at the profile's top level",
    access_key: "accessKeyId",
    secret_key: "secretAccessKey",
    security_token: "securityToken",
};

const SSO_FIELDS: KeyFields = KeyFields {
    mode: "SSO",
    place: "in ssoAuth.stsToken",
    access_key: "ssoAuth.stsToken.accessKeyId",
    secret_key: "ssoAuth.stsToken.secretAccessKey",
    security_token: "ssoAuth.stsToken.securityToken",
};

/// Reading the fields of one chosen profile.
struct ProfileReader<'a> {
    path: &'a str,
    name: &'a str,
}

impl ProfileReader<'_> {
    fn profile(&self, entry: &Map<String, Value>) -> Result<Profile, SharedConfigError> {
        let sso = self
            .text(entry, "mode", "mode")?
            .is_some_and(|mode| mode.eq_ignore_ascii_case("SSO"));
        let empty = Map::new();
        let (keys, fields) = if sso {
            let sts = match self.object(entry, "ssoAuth", "ssoAuth")? {
                Some(sso_auth) => self.object(sso_auth, "stsToken", "ssoAuth.stsToken")?,
                None => None,
            };
            (sts.unwrap_or(&empty), &SSO_FIELDS)
        } else {
            (entry, &AKSK_FIELDS)
        };
        let access_key = self.text(keys, "accessKeyId", fields.access_key)?;
        let secret_key = self.text(keys, "secretAccessKey", fields.secret_key)?;
        let security_token = self.text(keys, "securityToken", fields.security_token)?;
        let missing = match (access_key, secret_key) {
            (None, None) => Some("access key and no secret key"),
            (None, Some(_)) => Some("access key"),
            (Some(_), None) => Some("secret key"),
            (Some(_), Some(_)) => None,
        };
        if let Some(missing) = missing {
            return Err(self.unusable(Unusable::MissingKeys {
                missing,
                mode: fields.mode,
                place: fields.place,
            }));
        }
        if access_key.is_some_and(|ak| !is_plain_access_key(ak)) {
            return Err(self.unusable(Unusable::NotPlain {
                field: fields.access_key,
            }));
        }
        for (value, field) in [
            (secret_key, fields.secret_key),
            (security_token, fields.security_token),
        ] {
            if value.is_some_and(|v| !is_plain_secret(v)) {
                return Err(self.unusable(Unusable::NotPlain { field }));
            }
        }
        Ok(Profile {
            name: self.name.to_string(),
            access_key: access_key.map(Secret::new),
            secret_key: secret_key.map(Secret::new),
            security_token: security_token.map(Secret::new),
            region: self.owned(entry, "region")?,
            project_id: self.owned(entry, "projectId")?,
            domain_id: self.owned(entry, "domainId")?,
            agency_name: self.owned(entry, "agencyName")?,
            agency_domain_name: self.owned(entry, "agencyDomainName")?,
        })
    }

    /// A string field: None when absent, null or empty; an error naming `field` when of
    /// another type.
    fn text<'m>(
        &self,
        map: &'m Map<String, Value>,
        key: &str,
        field: &'static str,
    ) -> Result<Option<&'m str>, SharedConfigError> {
        match map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(text)) => Ok(Some(text.as_str()).filter(|t| !t.is_empty())),
            Some(_) => Err(self.wrong_type(field, "a string")),
        }
    }

    fn owned(
        &self,
        map: &Map<String, Value>,
        key: &'static str,
    ) -> Result<Option<String>, SharedConfigError> {
        Ok(self.text(map, key, key)?.map(str::to_string))
    }

    /// An object field: None when absent or null; an error naming `field` otherwise.
    fn object<'m>(
        &self,
        map: &'m Map<String, Value>,
        key: &str,
        field: &'static str,
    ) -> Result<Option<&'m Map<String, Value>>, SharedConfigError> {
        match map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Object(object)) => Ok(Some(object)),
            Some(_) => Err(self.wrong_type(field, "an object")),
        }
    }

    fn wrong_type(&self, field: &'static str, expected: &'static str) -> SharedConfigError {
        SharedConfigError::WrongType {
            path: self.path.to_string(),
            profile: shown_name(self.name),
            field,
            expected,
        }
    }

    fn unusable(&self, problem: Unusable) -> SharedConfigError {
        SharedConfigError::Unusable {
            path: self.path.to_string(),
            profile: shown_name(self.name),
            problem,
        }
    }
}

/// Whether `value` is a plain access key ID: 1 to 64 ASCII letters and digits.
fn is_plain_access_key(value: &str) -> bool {
    value.len() <= MAX_ACCESS_KEY_LEN && value.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// Whether `value` is a plain secret key or token: visible ASCII, no blanks.
fn is_plain_secret(value: &str) -> bool {
    value.bytes().all(|b| b.is_ascii_graphic())
}

/// A profile name as errors show it: escaped (`{:?}`) and cut short.
fn shown_name(name: &str) -> String {
    if name.chars().count() > SHOWN_NAME_CHARS {
        let cut: String = name.chars().take(SHOWN_NAME_CHARS).collect();
        format!("{cut:?}...")
    } else {
        format!("{name:?}")
    }
}

/// The profile names as errors list them: at most [`SHOWN_NAMES`], each as
/// [`shown_name`]; "none" for none.
fn available_names<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let names: Vec<&str> = names.collect();
    if names.is_empty() {
        return "none".to_string();
    }
    let mut shown: Vec<String> = names
        .iter()
        .take(SHOWN_NAMES)
        .map(|n| shown_name(n))
        .collect();
    if names.len() > SHOWN_NAMES {
        shown.push(format!("and {} more", names.len() - SHOWN_NAMES));
    }
    shown.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const PATH: &str = "/home/u/.hcloud/config.json";
    const AK: &str = "HPUAXXXXXXXXXXXXXXXX";
    const SK: &str = "sk0123456789abcdefghijABCDEFGHIJ01234567";
    const TOKEN: &str = "gQpjbi1ub3J0aC00-token+/=_";

    fn file(profiles: serde_json::Value, current: &str) -> Vec<u8> {
        serde_json::json!({
            "current": current,
            "profiles": profiles,
            "language": "en",
            "checkUpdate": true,
        })
        .to_string()
        .into_bytes()
    }

    fn aksk(name: &str, region: &str) -> serde_json::Value {
        serde_json::json!({
            "name": name,
            "mode": "AKSK",
            "accessKeyId": AK,
            "secretAccessKey": SK,
            "securityToken": "",
            "region": region,
            "projectId": "p-123",
            "domainId": "d-456",
            "agencyName": "",
            "agencyDomainName": "",
            "agencyDomainId": "",
            "skipSecureVerify": "false",
            "readTimeout": 10,
        })
    }

    fn expose(secret: Option<&Secret>) -> Option<&str> {
        secret.map(Secret::expose)
    }

    /// Asserts `err`'s text (and debug form) repeats none of `values`.
    fn assert_no_values(err: &SharedConfigError, values: &[&str]) {
        let shown = format!("{err} {err:?}");
        for value in values {
            assert!(!shown.contains(value), "{value:?} leaked: {shown}");
        }
    }

    #[test]
    fn an_aksk_profile_gives_its_keys_and_settings() {
        let bytes = file(
            serde_json::json!([aksk("default", "cn-north-4")]),
            "default",
        );
        let profile = parse(&bytes, PATH, None).expect("profile");
        assert_eq!(profile.name, "default");
        assert_eq!(expose(profile.access_key.as_ref()), Some(AK));
        assert_eq!(expose(profile.secret_key.as_ref()), Some(SK));
        assert_eq!(profile.security_token, None, "empty is absent");
        assert_eq!(profile.region.as_deref(), Some("cn-north-4"));
        assert_eq!(profile.project_id.as_deref(), Some("p-123"));
        assert_eq!(profile.domain_id.as_deref(), Some("d-456"));
        assert_eq!(profile.agency_name, None);
        assert_eq!(profile.agency_domain_name, None);
        assert!(!format!("{profile:?}").contains(SK), "secrets never print");
    }

    #[test]
    fn an_sso_profile_takes_its_keys_from_the_sts_token() {
        let mut sso = aksk("sso", "ap-southeast-1");
        sso["mode"] = "sso".into();
        // Top-level keys are not an SSO profile's: left as they are, unused.
        sso["accessKeyId"] = "TOPLEVELAKNOTUSED000".into();
        sso["agencyName"] = "ops_agency".into();
        sso["agencyDomainName"] = "ops_account".into();
        sso["ssoAuth"] = serde_json::json!({
            "startUrl": "https://example.com/start",
            "stsToken": {
                "accessKeyId": "STSAK000000000000000",
                "secretAccessKey": SK,
                "securityToken": TOKEN,
                "expiresAt": "2030-01-01T00:00:00Z",
            },
        });
        let bytes = file(serde_json::json!([sso]), "sso");
        let profile = parse(&bytes, PATH, None).expect("profile");
        assert_eq!(
            expose(profile.access_key.as_ref()),
            Some("STSAK000000000000000")
        );
        assert_eq!(expose(profile.secret_key.as_ref()), Some(SK));
        assert_eq!(expose(profile.security_token.as_ref()), Some(TOKEN));
        assert_eq!(profile.agency_name.as_deref(), Some("ops_agency"));
        assert_eq!(profile.agency_domain_name.as_deref(), Some("ops_account"));
    }

    #[test]
    fn the_named_profile_wins_over_current() {
        let bytes = file(
            serde_json::json!([aksk("default", "cn-north-4"), aksk("prod", "eu-west-101")]),
            "default",
        );
        let current = parse(&bytes, PATH, None).expect("current");
        assert_eq!(current.name, "default");
        assert_eq!(current.region.as_deref(), Some("cn-north-4"));
        let named = parse(&bytes, PATH, Some("prod")).expect("named");
        assert_eq!(named.name, "prod");
        assert_eq!(named.region.as_deref(), Some("eu-west-101"));
        // An empty name asks for nothing: current.
        assert_eq!(
            parse(&bytes, PATH, Some("")).expect("empty").name,
            "default"
        );
    }

    #[test]
    fn a_missing_profile_names_the_file_and_the_profiles_there() {
        let bytes = file(
            serde_json::json!([aksk("default", "cn-north-4"), aksk("prod", "cn-north-4")]),
            "default",
        );
        let err = parse(&bytes, PATH, Some("staging")).expect_err("missing");
        assert!(matches!(err, SharedConfigError::ProfileNotFound { .. }));
        let text = err.to_string();
        for part in [PATH, "\"staging\"", "\"default\", \"prod\""] {
            assert!(text.contains(part), "{part} missing from {text}");
        }
        assert_no_values(&err, &[AK, SK]);

        let gone_current = file(serde_json::json!([aksk("prod", "cn-north-4")]), "default");
        let err = parse(&gone_current, PATH, None).expect_err("current missing");
        assert!(err.to_string().contains("no profile \"default\""), "{err}");

        let no_current = file(serde_json::json!([aksk("prod", "cn-north-4")]), "");
        let err = parse(&no_current, PATH, None).expect_err("no current");
        assert!(matches!(err, SharedConfigError::NoCurrentProfile { .. }));
        assert!(err.to_string().contains("\"prod\""), "{err}");

        let none = br#"{"current": "default"}"#;
        let err = parse(none, PATH, None).expect_err("no profiles");
        assert!(err.to_string().ends_with("its profiles: none"), "{err}");
    }

    #[test]
    fn long_lists_of_names_are_cut_and_escaped() {
        let mut names: Vec<serde_json::Value> = (0..25)
            .map(|i| aksk(&format!("p{i}"), "cn-north-4"))
            .collect();
        names.push(aksk(
            &format!("evil\u{1b}[2J{}", "x".repeat(200)),
            "cn-north-4",
        ));
        let bytes = file(serde_json::Value::Array(names), "default");
        let err = parse(&bytes, PATH, Some("nope")).expect_err("missing");
        let text = err.to_string();
        assert!(text.contains("\"p19\", and 6 more"), "{text}");
        assert!(!text.contains("\"p20\""), "{text}");
        let one = available_names(["evil\u{1b}[2J"].into_iter());
        assert_eq!(one, "\"evil\\u{1b}[2J\"");
        assert_eq!(
            shown_name(&"y".repeat(100)),
            format!("{:?}...", "y".repeat(64))
        );
    }

    #[test]
    fn an_empty_region_stays_none() {
        let bytes = file(serde_json::json!([aksk("default", "")]), "default");
        let profile = parse(&bytes, PATH, None).expect("profile");
        assert_eq!(profile.region, None);
        assert_eq!(profile.project_id.as_deref(), Some("p-123"));
    }

    #[test]
    fn encrypted_or_keyless_profiles_are_refused_with_the_fix_and_no_value() {
        let encrypted_ak = "6A2B1F0C9D8E7F6A5B4C3D2E1F0A9B8C7D6E5F4A3B2C1D0E9F8A7B6C5D4E3F2A1B0C";
        let cases: Vec<(serde_json::Value, &str)> = vec![
            // Keys missing although the profile exists (hcloud keeps them elsewhere).
            (
                serde_json::json!({"name": "default", "mode": "AKSK", "region": "cn-north-4"}),
                "no access key and no secret key (in AKSK mode",
            ),
            (
                serde_json::json!({"name": "default", "accessKeyId": AK}),
                "no secret key",
            ),
            (
                serde_json::json!({"name": "default", "mode": "SSO", "accessKeyId": AK,
                                   "secretAccessKey": SK}),
                "in SSO mode the keys are in ssoAuth.stsToken",
            ),
            // Values that are not plain keys.
            (
                serde_json::json!({"name": "default", "accessKeyId": encrypted_ak,
                                   "secretAccessKey": SK}),
                "accessKeyId does not look like a plain",
            ),
            (
                serde_json::json!({"name": "default", "accessKeyId": "QUs=:Zm9vYmFy",
                                   "secretAccessKey": SK}),
                "accessKeyId does not look like a plain",
            ),
            (
                serde_json::json!({"name": "default", "accessKeyId": AK,
                                   "secretAccessKey": "enc\u{1}\u{7f}\u{e9}secret"}),
                "secretAccessKey does not look like a plain",
            ),
            (
                serde_json::json!({"name": "default", "mode": "SSO", "ssoAuth": {"stsToken": {
                    "accessKeyId": AK, "secretAccessKey": SK,
                    "securityToken": "token with blanks"}}}),
                "ssoAuth.stsToken.securityToken does not look like a plain",
            ),
        ];
        for (profile, problem) in cases {
            let bytes = file(serde_json::json!([profile]), "default");
            let err = parse(&bytes, PATH, None).expect_err(problem);
            assert!(matches!(err, SharedConfigError::Unusable { .. }), "{err:?}");
            let text = err.to_string();
            for part in [PATH, "profile \"default\"", problem, DECRYPT_FIX] {
                assert!(text.contains(part), "{part:?} missing from {text}");
            }
            assert_no_values(
                &err,
                &[
                    AK,
                    SK,
                    encrypted_ak,
                    "QUs=",
                    "enc\u{1}",
                    "token with blanks",
                ],
            );
        }
    }

    #[test]
    fn malformed_files_never_echo_a_value() {
        let secret = "SUPERSECRETVALUE1234";
        let broken =
            format!(r#"{{"current": "default", "profiles": [{{"secretAccessKey": "{secret}" oops"#);
        let err = parse(broken.as_bytes(), PATH, None).expect_err("syntax");
        assert!(
            matches!(err, SharedConfigError::Syntax { line: 1, .. }),
            "{err:?}"
        );
        assert!(err.to_string().contains(PATH), "{err}");
        assert_no_values(&err, &[secret]);

        for (bytes, want) in [
            (format!("[\"{secret}\"]"), "one JSON object"),
            (format!(r#"{{"profiles": "{secret}"}}"#), "must be a list"),
            (
                format!(
                    r#"{{"current": "d", "profiles": [{{"name": "d", "accessKeyId": ["{secret}"]}}]}}"#
                ),
                "accessKeyId must be a string",
            ),
            (
                format!(
                    r#"{{"current": "d", "profiles": [{{"name": "d", "mode": "SSO", "ssoAuth": "{secret}"}}]}}"#
                ),
                "ssoAuth must be an object",
            ),
            (
                format!(
                    r#"{{"current": "d", "profiles": [{{"name": "d", "accessKeyId": "{AK}", "secretAccessKey": "{SK}", "region": {{"x": "{secret}"}}}}]}}"#
                ),
                "region must be a string",
            ),
        ] {
            let err = parse(bytes.as_bytes(), PATH, None).expect_err(want);
            assert!(
                err.to_string().contains(want),
                "{want:?} missing from {err}"
            );
            assert_no_values(&err, &[secret, SK]);
        }
    }

    #[test]
    fn the_default_path_is_under_home() {
        assert_eq!(
            default_path(Some("/home/u")),
            Some(PathBuf::from("/home/u/.hcloud/config.json"))
        );
        assert_eq!(default_path(Some("")), None);
        assert_eq!(default_path(None), None);
    }

    #[tokio::test]
    async fn a_file_is_read_off_the_workers() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("config.json");
        std::fs::write(
            &path,
            file(
                serde_json::json!([aksk("default", "cn-north-4")]),
                "default",
            ),
        )
        .expect("write");
        let profile = read(path, None).await.expect("profile");
        assert_eq!(profile.name, "default");

        let err = read(dir.path().join("missing.json"), Some("default".into()))
            .await
            .expect_err("missing");
        assert!(matches!(
            err,
            SharedConfigError::Read {
                source: ReadError::Open(_),
                ..
            }
        ));
        assert!(err.to_string().contains("missing.json"), "{err}");
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn a_fifo_is_refused_without_waiting_for_a_writer() {
        let dir = tempfile::tempdir().expect("tempdir");
        let fifo = dir.path().join("config.json");
        let status = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .expect("mkfifo");
        assert!(status.success());
        let err = read(fifo, None).await.expect_err("fifo");
        assert!(
            matches!(
                err,
                SharedConfigError::Read {
                    source: ReadError::NotRegular,
                    ..
                }
            ),
            "{err:?}"
        );
        assert!(err.to_string().contains("not a regular file"), "{err}");
    }

    #[tokio::test]
    async fn an_oversized_file_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("config.json");
        let mut bytes = file(
            serde_json::json!([aksk("default", "cn-north-4")]),
            "default",
        );
        bytes.resize(MAX_SHARED_FILE_BYTES as usize + 1, b' ');
        std::fs::write(&path, &bytes).expect("write");
        let err = read(path, None).await.expect_err("too large");
        assert!(matches!(
            err,
            SharedConfigError::Read {
                source: ReadError::TooLarge { .. },
                ..
            }
        ));
        assert!(err.to_string().contains("larger than 1 MiB"), "{err}");
        assert_no_values(&err, &[SK]);
    }
}
