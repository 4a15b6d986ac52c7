//! The configuration of `serve`: where to listen, TLS, client authentication, and the
//! rule that decides whether that is safe to start.
//!
//! A served endpoint acts with whatever credentials it is given, so it must be
//! reachable only by its owner (loopback, a 0600 unix socket) or authenticate its
//! clients: mutual TLS (`--client-ca`) or a bearer token (`--auth-token-file`, only
//! over TLS off loopback, since a token in plaintext can be read off the network). A
//! server that acts with credentials of its own (lent to its clients) must authenticate
//! them even on loopback, which every local account can reach; only a unix socket
//! (0600) is its owner's alone.
//! Everything here runs before the async runtime starts: name resolution and file
//! reads block.

use std::net::{SocketAddr, ToSocketAddrs as _};
use std::path::PathBuf;
use std::sync::Arc;

use crate::plugin::auth::{BearerToken, TokenError};
use crate::plugin::files::{self, FileError};
use crate::plugin::limits::Limits;
use crate::plugin::tls::{self, TlsError};

/// The `serve` flags as given.
#[derive(Debug, Clone, Default)]
pub struct StandaloneArgs {
    /// `HOST:PORT` or `unix:PATH`.
    pub listen: String,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    pub client_ca: Option<PathBuf>,
    pub auth_token_file: Option<PathBuf>,
    pub limits: Limits,
    /// How long calls in flight may finish when `serve` stops; None: the default.
    pub shutdown_grace: Option<std::time::Duration>,
    /// What gives the server credentials of its own that its clients act with (the
    /// flag, as the operator wrote it), if anything.
    pub lends_credentials: Option<String>,
}

/// Where `serve` listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListenOn {
    Tcp(SocketAddr),
    Unix(PathBuf),
}

/// Everything `serve` needs, checked and loaded.
pub struct StandaloneConfig {
    pub listen: ListenOn,
    pub tls: Option<Arc<rustls::ServerConfig>>,
    pub bearer: Option<BearerToken>,
    pub limits: Limits,
    /// For the start-up log line: how clients are authenticated.
    pub client_auth: &'static str,
    /// How long calls in flight may finish when `serve` stops, before they are cancelled.
    pub shutdown_grace: std::time::Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum StandaloneError {
    #[error("--listen {0:?}: expected HOST:PORT or unix:PATH")]
    BadListen(String),
    /// `unix:PATH` where there are no unix sockets (Windows).
    #[error("--listen {0:?}: {UNIX_SOCKETS_UNSUPPORTED}")]
    UnixUnsupported(String),
    #[error("--listen {listen:?}: could not resolve the address: {source}")]
    Resolve {
        listen: String,
        source: std::io::Error,
    },
    #[error("--tls-cert and --tls-key must be given together")]
    HalfTls,
    #[error("--client-ca needs --tls-cert and --tls-key (mutual TLS is TLS)")]
    ClientCaWithoutTls,
    #[error("refusing to serve on {addr}, which is not a loopback address: {problem} {advice}")]
    Exposed {
        addr: SocketAddr,
        problem: &'static str,
        advice: &'static str,
    },
    #[error(
        "refusing to lend this server's own credentials ({lender}) on {addr} without client \
         authentication: every local account can reach a loopback address and would act with \
         them. Add --auth-token-file, or --client-ca (mutual TLS, with --tls-cert and \
         --tls-key), or listen on unix:PATH (a socket only its owner can reach)."
    )]
    Lends { addr: SocketAddr, lender: String },
    #[error("{flag}: {source}")]
    File {
        flag: &'static str,
        source: FileError,
    },
    #[error(transparent)]
    Token(#[from] TokenError),
    #[error("TLS: {0}")]
    Tls(#[from] TlsError),
}

impl StandaloneConfig {
    /// Parses and checks the flags and reads the files they name. Blocking: call it
    /// before the runtime starts.
    pub fn prepare(args: StandaloneArgs) -> Result<Self, StandaloneError> {
        let listen = parse_listen(&args.listen)?;
        let tls_files = match (&args.tls_cert, &args.tls_key) {
            (Some(cert), Some(key)) => Some((cert, key)),
            (None, None) => None,
            _ => return Err(StandaloneError::HalfTls),
        };
        if args.client_ca.is_some() && tls_files.is_none() {
            return Err(StandaloneError::ClientCaWithoutTls);
        }
        let protection = Protection {
            tls: tls_files.is_some(),
            client_certificates: args.client_ca.is_some(),
            bearer_token: args.auth_token_file.is_some(),
        };
        if let ListenOn::Tcp(addr) = &listen {
            protection.check(*addr)?;
            if let Some(lender) = &args.lends_credentials
                && !protection.authenticates_clients()
            {
                return Err(StandaloneError::Lends {
                    addr: *addr,
                    lender: lender.clone(),
                });
            }
        }
        let tls = match tls_files {
            Some((cert, key)) => {
                let cert = read("--tls-cert", cert)?;
                let key = read("--tls-key", key)?;
                let client_ca = match &args.client_ca {
                    Some(path) => Some(read("--client-ca", path)?),
                    None => None,
                };
                Some(tls::operator_server_config(
                    &cert,
                    &key,
                    client_ca.as_deref(),
                )?)
            }
            None => None,
        };
        let bearer = match &args.auth_token_file {
            Some(path) => Some(BearerToken::from_file(path)?),
            None => None,
        };
        Ok(Self {
            listen,
            tls,
            bearer,
            limits: args.limits,
            client_auth: protection.describe(),
            shutdown_grace: args
                .shutdown_grace
                .unwrap_or(crate::plugin::serve::DEFAULT_DRAIN_GRACE),
        })
    }
}

fn read(flag: &'static str, path: &std::path::Path) -> Result<Vec<u8>, StandaloneError> {
    files::read_regular_file(path).map_err(|source| StandaloneError::File { flag, source })
}

/// Why `--listen unix:PATH` is refused on Windows.
pub const UNIX_SOCKETS_UNSUPPORTED: &str = "unix sockets are not supported on this platform; \
     listen on 127.0.0.1:PORT (with --auth-token-file or mutual TLS to keep other local \
     accounts out)";

/// `unix:PATH`, or `HOST:PORT` resolved; a name must resolve to loopback addresses
/// only to count as loopback. Windows refuses `unix:PATH`.
fn parse_listen(listen: &str) -> Result<ListenOn, StandaloneError> {
    if let Some(path) = listen.strip_prefix("unix:") {
        if path.is_empty() {
            return Err(StandaloneError::BadListen(listen.to_string()));
        }
        if cfg!(not(unix)) {
            return Err(StandaloneError::UnixUnsupported(listen.to_string()));
        }
        return Ok(ListenOn::Unix(PathBuf::from(path)));
    }
    if let Ok(addr) = listen.parse::<SocketAddr>() {
        return Ok(ListenOn::Tcp(addr));
    }
    if !listen.contains(':') {
        return Err(StandaloneError::BadListen(listen.to_string()));
    }
    let addrs: Vec<SocketAddr> = listen
        .to_socket_addrs()
        .map_err(|source| StandaloneError::Resolve {
            listen: listen.to_string(),
            source,
        })?
        .collect();
    // Prefer a non-loopback address if the name has one: then the protection check
    // sees what the name may really expose.
    addrs
        .iter()
        .find(|a| !a.ip().is_loopback())
        .or_else(|| addrs.first())
        .copied()
        .map(ListenOn::Tcp)
        .ok_or_else(|| StandaloneError::BadListen(listen.to_string()))
}

/// How clients of a TCP listener are kept out.
#[derive(Debug, Clone, Copy)]
struct Protection {
    tls: bool,
    client_certificates: bool,
    bearer_token: bool,
}

impl Protection {
    /// Off loopback: TLS, and clients authenticated by certificate or token.
    fn check(self, addr: SocketAddr) -> Result<(), StandaloneError> {
        if addr.ip().is_loopback() {
            return Ok(());
        }
        let exposed = |problem, advice| StandaloneError::Exposed {
            addr,
            problem,
            advice,
        };
        match (self.tls, self.authenticates_clients()) {
            (true, true) => Ok(()),
            (false, false) => Err(exposed(
                "plaintext without client authentication would let anyone who can reach it act \
                 with this server's credentials.",
                "Add --tls-cert and --tls-key with --client-ca (mutual TLS) and/or \
                 --auth-token-file, or listen on 127.0.0.1:PORT or unix:PATH.",
            )),
            (false, true) => Err(exposed(
                "a bearer token sent in plaintext can be read off the network.",
                "Add --tls-cert and --tls-key, or listen on 127.0.0.1:PORT or unix:PATH.",
            )),
            (true, false) => Err(exposed(
                "TLS alone does not authenticate clients.",
                "Add --client-ca (mutual TLS) and/or --auth-token-file.",
            )),
        }
    }

    fn authenticates_clients(self) -> bool {
        self.client_certificates || self.bearer_token
    }

    fn describe(self) -> &'static str {
        match (self.client_certificates, self.bearer_token) {
            (true, true) => "client certificate and bearer token",
            (true, false) => "client certificate",
            (false, true) => "bearer token",
            (false, false) => "none (owner-only address)",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(listen: &str) -> StandaloneArgs {
        StandaloneArgs {
            listen: listen.to_string(),
            ..Default::default()
        }
    }

    #[test]
    fn plaintext_is_allowed_only_on_loopback_and_unix_sockets() {
        assert!(StandaloneConfig::prepare(args("127.0.0.1:0")).is_ok());
        assert!(StandaloneConfig::prepare(args("[::1]:0")).is_ok());
        assert!(StandaloneConfig::prepare(args("unix:/tmp/x.sock")).is_ok());
        let refused = StandaloneConfig::prepare(args("0.0.0.0:0"))
            .err()
            .expect("refused")
            .to_string();
        assert!(
            refused.contains("--tls-cert") && refused.contains("--client-ca"),
            "{refused}"
        );
    }

    #[test]
    fn off_loopback_needs_tls_and_client_authentication() {
        let addr: SocketAddr = "10.0.0.1:443".parse().expect("addr");
        let p = |tls, client_certificates, bearer_token| Protection {
            tls,
            client_certificates,
            bearer_token,
        };
        assert!(p(true, true, false).check(addr).is_ok());
        assert!(p(true, false, true).check(addr).is_ok());
        assert!(p(false, false, true).check(addr).is_err());
        assert!(p(true, false, false).check(addr).is_err());
        assert!(p(false, false, false).check(addr).is_err());
    }

    #[test]
    fn own_credentials_are_lent_only_to_authenticated_clients_or_over_a_unix_socket() {
        let lending = |listen: &str, token: Option<&str>| StandaloneArgs {
            lends_credentials: Some("--credentials-from-env".into()),
            auth_token_file: token.map(Into::into),
            ..args(listen)
        };
        let refused = StandaloneConfig::prepare(lending("127.0.0.1:0", None))
            .err()
            .expect("refused")
            .to_string();
        for named in [
            "--credentials-from-env",
            "--auth-token-file",
            "--client-ca",
            "unix:PATH",
        ] {
            assert!(refused.contains(named), "{named}: {refused}");
        }
        assert!(StandaloneConfig::prepare(lending("unix:/tmp/x.sock", None)).is_ok());
        // With a token the file is read: a missing one is a different refusal.
        assert!(matches!(
            StandaloneConfig::prepare(lending("127.0.0.1:0", Some("/nonexistent/token"))),
            Err(StandaloneError::Token(_))
        ));
    }

    #[test]
    fn flags_that_need_each_other() {
        let mut half = args("127.0.0.1:0");
        half.tls_cert = Some("cert.pem".into());
        assert!(matches!(
            StandaloneConfig::prepare(half),
            Err(StandaloneError::HalfTls)
        ));
        let mut ca_only = args("127.0.0.1:0");
        ca_only.client_ca = Some("ca.pem".into());
        assert!(matches!(
            StandaloneConfig::prepare(ca_only),
            Err(StandaloneError::ClientCaWithoutTls)
        ));
        assert!(matches!(
            StandaloneConfig::prepare(args("nowhere")),
            Err(StandaloneError::BadListen(_))
        ));
    }
}
