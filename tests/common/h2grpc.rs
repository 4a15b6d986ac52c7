//! gRPC below tonic's client, for what that client hides: which connection a call goes
//! on, calls whose request never comes (held streams), and the server closing a
//! connection. [`H2Conn`] uses the h2 crate (a real HTTP/2 client); [`raw`] writes frames
//! by hand for a client that ignores the server's limits, as an attacker would.

use bytes::Bytes;
use prost::Message as _;
use tokio::io::{AsyncRead, AsyncWrite};
use tonic::codegen::http;

use super::process::HANG_GUARD;

/// One HTTP/2 connection; `closed` ends when the server closes it.
pub struct H2Conn {
    send: h2::client::SendRequest<Bytes>,
    closed: tokio::task::JoinHandle<()>,
}

/// A call whose request has not ended: the server waits for it.
pub struct Held {
    pub response: h2::client::ResponseFuture,
    _request: h2::SendStream<Bytes>,
}

impl Held {
    /// The response to wait for, and the request stream to finish the call with.
    pub fn into_parts(self) -> (h2::client::ResponseFuture, h2::SendStream<Bytes>) {
        (self.response, self._request)
    }
}

/// How a call ended: its grpc-status, or the stream's failure as text.
pub type Outcome = Result<i32, String>;

impl H2Conn {
    /// HTTP/2 over `io` (plain TCP, TLS, ...).
    pub async fn over<T>(io: T) -> Self
    where
        T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let (send, connection) = tokio::time::timeout(HANG_GUARD, h2::client::handshake(io))
            .await
            .expect("HTTP/2 handshake in time")
            .expect("HTTP/2 handshake");
        let closed = tokio::spawn(async move {
            let _ = connection.await;
        });
        Self { send, closed }
    }

    /// Plaintext HTTP/2 to `addr` (HOST:PORT).
    pub async fn plain(addr: &str) -> Self {
        let tcp = tokio::net::TcpStream::connect(addr).await.expect("connect");
        Self::over(tcp).await
    }

    /// Starts a call to `path` with `token` as bearer token; its request is not sent.
    pub async fn hold(&mut self, path: &str, token: Option<&str>) -> Held {
        let mut send = tokio::time::timeout(HANG_GUARD, self.send.clone().ready())
            .await
            .expect("a stream in time")
            .expect("the connection takes a stream");
        let (response, request) = send
            .send_request(request(path, token), false)
            .expect("send the headers");
        Held {
            response,
            _request: request,
        }
    }

    /// Starts a call to `path` with `message` as its whole request.
    pub async fn start(
        &mut self,
        path: &str,
        token: Option<&str>,
        message: &[u8],
    ) -> h2::client::ResponseFuture {
        let Held {
            response,
            _request: mut request,
        } = self.hold(path, token).await;
        request
            .send_data(Bytes::from(grpc_frame(message)), true)
            .expect("send the request");
        response
    }

    /// A whole unary call: `message` as the request, the grpc-status as the outcome.
    pub async fn call(&mut self, path: &str, token: Option<&str>, message: &[u8]) -> Outcome {
        let response = self.start(path, token, message).await;
        outcome(response).await
    }

    /// `tfplugin6.Provider/GetProviderSchema`, what a real client calls first.
    pub async fn provider_schema(&mut self, token: Option<&str>) -> Outcome {
        self.call(PROVIDER_SCHEMA, token, &[]).await
    }

    /// `grpc.health.v1.Health/Check` for `service`.
    pub async fn health_check(&mut self, token: Option<&str>, service: &str) -> Outcome {
        self.call(HEALTH_CHECK, token, &health_request(service))
            .await
    }

    /// Waits (within the hang guard) until the server has closed the connection.
    pub async fn closed_by_server(self) {
        tokio::time::timeout(HANG_GUARD, self.closed)
            .await
            .expect("the server closes the connection")
            .expect("the connection task");
    }
}

pub const PROVIDER_SCHEMA: &str = "/tfplugin6.Provider/GetProviderSchema";
pub const HEALTH_CHECK: &str = "/grpc.health.v1.Health/Check";
pub const HEALTH_WATCH: &str = "/grpc.health.v1.Health/Watch";
pub const GRPC_OK: i32 = 0;
pub const GRPC_UNIMPLEMENTED: i32 = 12;
pub const GRPC_UNAUTHENTICATED: i32 = 16;
pub const GRPC_RESOURCE_EXHAUSTED: i32 = 8;

/// The request of Health/Check and Health/Watch for `service`.
pub fn health_request(service: &str) -> Vec<u8> {
    tonic_health::pb::HealthCheckRequest {
        service: service.to_string(),
    }
    .encode_to_vec()
}

fn request(path: &str, token: Option<&str>) -> http::Request<()> {
    let mut builder = http::Request::builder()
        .method("POST")
        .uri(format!("http://localhost{path}"))
        .header("content-type", "application/grpc")
        .header("te", "trailers");
    if let Some(token) = token {
        builder = builder.header("authorization", format!("Bearer {token}"));
    }
    builder.body(()).expect("a request")
}

/// A gRPC length-prefixed message (uncompressed).
pub fn grpc_frame(message: &[u8]) -> Vec<u8> {
    let mut framed = vec![0u8];
    framed.extend_from_slice(&u32::try_from(message.len()).expect("small").to_be_bytes());
    framed.extend_from_slice(message);
    framed
}

/// The grpc-status of a response (trailers-only, or after its body), within the hang
/// guard.
pub async fn outcome(response: h2::client::ResponseFuture) -> Outcome {
    tokio::time::timeout(HANG_GUARD, async move {
        let response = response.await.map_err(|e| e.to_string())?;
        if let Some(status) = grpc_status(response.headers()) {
            return Ok(status);
        }
        let mut body = response.into_body();
        while let Some(data) = body.data().await {
            let data = data.map_err(|e| e.to_string())?;
            let _ = body.flow_control().release_capacity(data.len());
        }
        let trailers = body.trailers().await.map_err(|e| e.to_string())?;
        trailers
            .as_ref()
            .and_then(grpc_status)
            .ok_or_else(|| "no grpc-status".to_string())
    })
    .await
    .expect("the call answers in time")
}

fn grpc_status(headers: &http::HeaderMap) -> Option<i32> {
    headers.get("grpc-status")?.to_str().ok()?.parse().ok()
}

/// HTTP/2 frames written and read by hand (RFC 9113), with just enough HPACK (RFC 7541,
/// literal fields, no Huffman) for request headers.
pub mod raw {
    use std::io::{Read, Write};
    use std::net::TcpStream;
    use std::os::unix::net::UnixStream;

    use super::HANG_GUARD;

    pub const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
    pub const HEADERS: u8 = 1;
    pub const RST_STREAM: u8 = 3;
    pub const SETTINGS: u8 = 4;
    pub const DATA: u8 = 0;
    pub const PING: u8 = 6;
    pub const GOAWAY: u8 = 7;
    pub const ACK: u8 = 1;
    pub const END_STREAM: u8 = 1;
    pub const END_HEADERS: u8 = 4;
    pub const REFUSED_STREAM: u32 = 7;
    pub const PROTOCOL_ERROR: u32 = 1;

    /// A frame on `stream`: length, type, flags, stream id, payload.
    pub fn frame_on(stream: u32, kind: u8, flags: u8, payload: &[u8]) -> Vec<u8> {
        let len = u32::try_from(payload.len()).expect("small frame");
        let mut out = len.to_be_bytes()[1..].to_vec();
        out.extend_from_slice(&[kind, flags]);
        out.extend_from_slice(&stream.to_be_bytes());
        out.extend_from_slice(payload);
        out
    }

    /// A frame on stream 0.
    pub fn frame(kind: u8, flags: u8, payload: &[u8]) -> Vec<u8> {
        frame_on(0, kind, flags, payload)
    }

    /// A plaintext HTTP/2 connection to `addr` past the client's preface and empty
    /// SETTINGS, with a reader for the server's frames.
    pub fn connect(addr: &str) -> (TcpStream, Reader) {
        let mut stream = TcpStream::connect(addr).expect("connect");
        stream.write_all(PREFACE).expect("preface");
        stream
            .write_all(&frame(SETTINGS, 0, &[]))
            .expect("settings");
        let reader = Reader::new(&stream);
        (stream, reader)
    }

    /// The same over the unix socket at `path`.
    pub fn connect_unix(path: &std::path::Path) -> (UnixStream, Reader) {
        let mut stream = UnixStream::connect(path).expect("connect");
        stream
            .set_read_timeout(Some(HANG_GUARD))
            .expect("read timeout");
        stream.write_all(PREFACE).expect("preface");
        stream
            .write_all(&frame(SETTINGS, 0, &[]))
            .expect("settings");
        (
            stream,
            Reader {
                pending: Vec::new(),
            },
        )
    }

    /// A received frame.
    pub struct Frame {
        pub kind: u8,
        pub flags: u8,
        pub stream: u32,
        pub payload: Vec<u8>,
    }

    /// Reads frames from a connection, answering SETTINGS and PING as a client must.
    pub struct Reader {
        pending: Vec<u8>,
    }

    impl Reader {
        pub fn new(stream: &TcpStream) -> Self {
            stream
                .set_read_timeout(Some(HANG_GUARD))
                .expect("read timeout");
            Self {
                pending: Vec::new(),
            }
        }

        /// The next frame; None once the server closed the connection (or reset it).
        pub fn next(&mut self, stream: &mut (impl Read + Write)) -> Option<Frame> {
            loop {
                if let Some(got) = self.take() {
                    match (got.kind, got.flags & ACK) {
                        (SETTINGS, 0) => stream.write_all(&frame(SETTINGS, ACK, &[])).ok()?,
                        (PING, 0) => stream.write_all(&frame(PING, ACK, &got.payload)).ok()?,
                        _ => {}
                    }
                    return Some(got);
                }
                let mut buf = [0u8; 16 * 1024];
                match stream.read(&mut buf) {
                    Ok(0) => return None,
                    Ok(n) => self.pending.extend_from_slice(&buf[..n]),
                    Err(err) if err.kind() == std::io::ErrorKind::ConnectionReset => return None,
                    Err(err) => panic!("nothing from the server in time: {err}"),
                }
            }
        }

        fn take(&mut self) -> Option<Frame> {
            if self.pending.len() < 9 {
                return None;
            }
            let p = &self.pending;
            let len = (usize::from(p[0]) << 16) | (usize::from(p[1]) << 8) | usize::from(p[2]);
            if p.len() < 9 + len {
                return None;
            }
            let frame = Frame {
                kind: p[3],
                flags: p[4],
                stream: u32::from_be_bytes([p[5] & 0x7f, p[6], p[7], p[8]]),
                payload: p[9..9 + len].to_vec(),
            };
            self.pending.drain(..9 + len);
            Some(frame)
        }
    }

    /// The HPACK block of a gRPC request to `path` over http, all literal.
    pub fn request_headers(path: &str, token: Option<&str>) -> Vec<u8> {
        let mut authority = Vec::new();
        literal_indexed_name(&mut authority, 1, "localhost");
        request_with_authority(path, token, &authority)
    }

    /// The same with `authority`, the `:authority` field as the caller encoded it.
    pub fn request_with_authority(path: &str, token: Option<&str>, authority: &[u8]) -> Vec<u8> {
        // Indexed from the static table: `:method: POST` (3), `:scheme: http` (6).
        let mut block = vec![0x83, 0x86];
        // Literals without indexing, names from the static table: `:path` (4),
        // `content-type` (31).
        literal_indexed_name(&mut block, 4, path);
        block.extend_from_slice(authority);
        literal_indexed_name(&mut block, 31, "application/grpc");
        literal_new_name(&mut block, "te", "trailers");
        if let Some(token) = token {
            // `authorization` (23).
            literal_indexed_name(&mut block, 23, &format!("Bearer {token}"));
        }
        block
    }

    fn literal_indexed_name(block: &mut Vec<u8>, index: u8, value: &str) {
        if index < 15 {
            block.push(index);
        } else {
            block.extend_from_slice(&[0x0f, index - 15]);
        }
        string(block, value);
    }

    /// `:authority: value` as a literal with incremental indexing: it becomes entry 62
    /// of the dynamic table, for the next request to name by index (`0xbe`).
    pub fn indexed_authority(value: &str) -> Vec<u8> {
        let mut block = vec![0x41];
        string(&mut block, value);
        block
    }

    /// `:authority: value` as a literal without indexing.
    pub fn literal_authority(value: &str) -> Vec<u8> {
        let mut block = Vec::new();
        literal_indexed_name(&mut block, 1, value);
        block
    }

    fn literal_new_name(block: &mut Vec<u8>, name: &str, value: &str) {
        block.push(0);
        string(block, name);
        string(block, value);
    }

    fn string(block: &mut Vec<u8>, text: &str) {
        assert!(text.len() < 127, "short strings only");
        block.push(u8::try_from(text.len()).expect("short"));
        block.extend_from_slice(text.as_bytes());
    }
}
