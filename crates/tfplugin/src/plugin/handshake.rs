//! The go-plugin handshake: magic cookie, protocol negotiation and the single line that
//! tells the host where to connect.

use std::fmt;

/// Environment variable and value Terraform and OpenTofu set for their plugins.
pub const MAGIC_COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";
pub const MAGIC_COOKIE_VALUE: &str =
    "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";

/// go-plugin's own protocol version (the first field of the handshake line).
pub const CORE_PROTOCOL_VERSION: u32 = 1;
/// The plugin protocol this server speaks.
pub const APP_PROTOCOL_VERSION: u32 = 6;

/// What go-plugin prints when its binary is started by hand.
pub const NOT_A_PLUGIN_MESSAGE: &str = concat!(
    "This binary is a plugin. These are not meant to be executed directly.\n",
    "Please execute the program that consumes these plugins, which will\n",
    "load any plugins automatically\n",
);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum HandshakeError {
    #[error("the magic cookie is missing or wrong: not started by Terraform")]
    NotStartedByHost,
    #[error(
        "the host offers plugin protocol versions {offered:?}, but this provider speaks only \
         version {APP_PROTOCOL_VERSION}"
    )]
    NoCommonProtocol { offered: String },
}

/// True when the host's magic cookie is present and correct.
pub fn cookie_ok(value: Option<&str>) -> bool {
    value == Some(MAGIC_COOKIE_VALUE)
}

/// Picks the protocol version from PLUGIN_PROTOCOL_VERSIONS (comma separated, any
/// order). An absent variable means an old host that assumes our version.
pub fn negotiate(offered: Option<&str>) -> Result<u32, HandshakeError> {
    let Some(offered) = offered.filter(|s| !s.trim().is_empty()) else {
        return Ok(APP_PROTOCOL_VERSION);
    };
    let speaks_ours = offered
        .split(',')
        .filter_map(|v| v.trim().parse::<u32>().ok())
        .any(|v| v == APP_PROTOCOL_VERSION);
    if speaks_ours {
        Ok(APP_PROTOCOL_VERSION)
    } else {
        Err(HandshakeError::NoCommonProtocol {
            offered: offered.to_string(),
        })
    }
}

/// Where the host should connect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListenAddr {
    Unix(String),
    Tcp(std::net::SocketAddr),
}

impl ListenAddr {
    /// go-plugin's network name: `unix` or `tcp`.
    pub fn network(&self) -> &'static str {
        match self {
            ListenAddr::Unix(_) => "unix",
            ListenAddr::Tcp(_) => "tcp",
        }
    }
}

impl fmt::Display for ListenAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ListenAddr::Unix(path) => f.write_str(path),
            ListenAddr::Tcp(addr) => write!(f, "{addr}"),
        }
    }
}

/// The handshake line, without its trailing newline:
/// `1|6|unix|/tmp/plugin123|grpc|<server cert DER, base64 std alphabet, no padding>`.
/// The last field is empty when the connection is plaintext.
pub fn handshake_line(addr: &ListenAddr, server_cert_der: Option<&[u8]>) -> String {
    use base64::Engine as _;
    let cert = server_cert_der
        .map(|der| base64::engine::general_purpose::STANDARD_NO_PAD.encode(der))
        .unwrap_or_default();
    format!(
        "{CORE_PROTOCOL_VERSION}|{APP_PROTOCOL_VERSION}|{}|{addr}|grpc|{cert}",
        addr.network()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookie_must_match_exactly() {
        assert!(cookie_ok(Some(MAGIC_COOKIE_VALUE)));
        assert!(!cookie_ok(None));
        assert!(!cookie_ok(Some("")));
        assert!(!cookie_ok(Some(&MAGIC_COOKIE_VALUE[1..])));
    }

    #[test]
    fn negotiation_accepts_any_order_and_rejects_missing_six() {
        assert_eq!(negotiate(Some("5,6")), Ok(6));
        assert_eq!(negotiate(Some("6, 5")), Ok(6));
        assert_eq!(negotiate(None), Ok(6));
        assert!(matches!(
            negotiate(Some("5")),
            Err(HandshakeError::NoCommonProtocol { .. })
        ));
    }

    #[test]
    fn line_has_six_fields_and_unpadded_cert() {
        let addr = ListenAddr::Unix("/tmp/plugin42".into());
        let line = handshake_line(&addr, Some(&[0xde, 0xad, 0xbe, 0xef]));
        assert_eq!(line, "1|6|unix|/tmp/plugin42|grpc|3q2+7w");
        let plain = handshake_line(&addr, None);
        assert_eq!(plain, "1|6|unix|/tmp/plugin42|grpc|");
    }
}
