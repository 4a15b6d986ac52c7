//! On a unix socket a request's `:authority` names no host, and stock gRPC clients fill
//! it with whatever they like: grpcio (gRPC core) sends the socket path percent-encoded
//! (`tmp%2Fdir%2Fserve.sock`), grpc-java the bare path, grpc-go `localhost`. The HTTP/2
//! server (h2) checks `:authority` as an RFC 3986 host and resets every stream whose
//! value is not one (RST_STREAM, PROTOCOL_ERROR), so those clients could not call at
//! all. [`UnixAuthority`] sits between a unix connection and the HTTP/2 server and
//! rewrites the client's header blocks: every `:authority` becomes `localhost`, every
//! other field is kept as sent.
//!
//! Nothing here serves or routes by authority, so on a unix socket (reachable by its
//! owner only, or through TLS and the token) the value carries no meaning to keep. TCP
//! connections are not wrapped: there the server checks `:authority` as before.
//!
//! Frames other than HEADERS and CONTINUATION pass through untouched. A header block
//! (HEADERS and its CONTINUATIONs, at most [`MAX_BLOCK`] bytes) is decoded with the
//! client's HPACK table and re-encoded as literals that index nothing, so the server's
//! decoder table stays empty and never disagrees with the client's; padding and the
//! (deprecated) priority fields are dropped. A block that cannot be decoded ends the
//! connection, as HTTP/2 requires of a compression error.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::{Buf as _, BytesMut};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::plugin::conn::Io;
use crate::plugin::hpack::{self, Decoder, Field};

/// What every request's `:authority` becomes.
pub const UNIX_AUTHORITY: &[u8] = b"localhost";

/// The most bytes of frames (headers included) one header block may take.
pub const MAX_BLOCK: usize = 64 * 1024;
/// The most a header list may decode to: above the 16 KiB the server announces, so
/// that the server itself refuses lists between the two as it always does.
const MAX_HEADER_LIST: usize = 64 * 1024;
/// The HPACK table size the server announces (HTTP/2's default: it announces none).
const HEADER_TABLE_SIZE: usize = 4096;
/// The largest frame written to the server: HTTP/2's smallest maximum frame size,
/// which the server keeps.
const MAX_FRAME: usize = 16 * 1024;

const FRAME_HEADER: usize = 9;
const HEADERS: u8 = 0x1;
const CONTINUATION: u8 = 0x9;
const END_STREAM: u8 = 0x1;
const END_HEADERS: u8 = 0x4;
const PADDED: u8 = 0x8;
const PRIORITY: u8 = 0x20;

/// A connection whose client→server HTTP/2 frames (after the preface) have their
/// `:authority` rewritten; writes go straight through.
pub struct UnixAuthority {
    io: Box<dyn Io>,
    /// Read from `io`, not yet processed.
    input: BytesMut,
    /// Processed, for the server to read.
    output: BytesMut,
    /// Payload bytes of the current non-header frame still to pass through.
    passthrough: usize,
    /// A header block waiting for its CONTINUATIONs.
    block: Option<OpenBlock>,
    decoder: Decoder,
    eof: bool,
    /// Set once the stream was found malformed: every later read fails too.
    broken: Option<hpack::HpackError>,
}

struct OpenBlock {
    stream: u32,
    end_stream: bool,
    fragment: Vec<u8>,
    /// Frame bytes received for this block, headers included.
    received: usize,
}

impl UnixAuthority {
    /// Wraps `io`, whose client preface has already been read.
    pub(crate) fn new(io: Box<dyn Io>) -> Self {
        Self {
            io,
            input: BytesMut::new(),
            output: BytesMut::new(),
            passthrough: 0,
            block: None,
            decoder: Decoder::new(HEADER_TABLE_SIZE, MAX_HEADER_LIST),
            eof: false,
            broken: None,
        }
    }

    /// Moves whatever `input` holds of complete frames (and of pass-through payload)
    /// to `output`.
    fn process(&mut self) -> Result<(), hpack::HpackError> {
        loop {
            if self.passthrough > 0 {
                let n = self.passthrough.min(self.input.len());
                if n == 0 {
                    return Ok(());
                }
                self.output.extend_from_slice(&self.input[..n]);
                self.input.advance(n);
                self.passthrough -= n;
                continue;
            }
            let Some(header) = self.input.get(..FRAME_HEADER) else {
                return Ok(());
            };
            let len =
                usize::from(header[0]) << 16 | usize::from(header[1]) << 8 | usize::from(header[2]);
            let (kind, flags) = (header[3], header[4]);
            let stream = u32::from_be_bytes([header[5] & 0x7f, header[6], header[7], header[8]]);
            if kind != HEADERS && kind != CONTINUATION {
                if self.block.is_some() {
                    return Err(hpack::HpackError::new(
                        "another frame inside a header block",
                    ));
                }
                self.output.extend_from_slice(&self.input[..FRAME_HEADER]);
                self.input.advance(FRAME_HEADER);
                self.passthrough = len;
                continue;
            }
            if FRAME_HEADER + len > MAX_BLOCK {
                return Err(hpack::HpackError::new("a header block above the limit"));
            }
            if self.input.len() < FRAME_HEADER + len {
                return Ok(());
            }
            let frame = self.input.split_to(FRAME_HEADER + len);
            self.header_frame(kind, flags, stream, &frame[FRAME_HEADER..])?;
        }
    }

    fn header_frame(
        &mut self,
        kind: u8,
        flags: u8,
        stream: u32,
        payload: &[u8],
    ) -> Result<(), hpack::HpackError> {
        let received = FRAME_HEADER + payload.len();
        let mut block = if kind == HEADERS {
            if self.block.is_some() {
                return Err(hpack::HpackError::new("HEADERS inside a header block"));
            }
            OpenBlock {
                stream,
                end_stream: flags & END_STREAM != 0,
                fragment: fragment(flags, payload)?.to_vec(),
                received,
            }
        } else {
            let mut block = self
                .block
                .take()
                .ok_or(hpack::HpackError::new("CONTINUATION without HEADERS"))?;
            if block.stream != stream {
                return Err(hpack::HpackError::new("CONTINUATION on another stream"));
            }
            block.received += received;
            if block.received > MAX_BLOCK {
                return Err(hpack::HpackError::new("a header block above the limit"));
            }
            block.fragment.extend_from_slice(payload);
            block
        };
        if flags & END_HEADERS == 0 {
            self.block = Some(block);
            return Ok(());
        }
        let fields = self.decoder.decode(&block.fragment)?;
        block.fragment.clear();
        let mut encoded = Vec::new();
        for mut field in fields {
            if field.name == b":authority" {
                field = Field {
                    value: UNIX_AUTHORITY.to_vec(),
                    ..field
                };
            }
            hpack::encode_literal(&field, &mut encoded);
        }
        self.write_block(block.stream, block.end_stream, &encoded);
        Ok(())
    }

    /// `encoded` as a HEADERS frame, with CONTINUATIONs when it needs more than one.
    fn write_block(&mut self, stream: u32, end_stream: bool, encoded: &[u8]) {
        let chunks: Vec<&[u8]> = if encoded.is_empty() {
            vec![&[]]
        } else {
            encoded.chunks(MAX_FRAME).collect()
        };
        let last = chunks.len() - 1;
        for (i, chunk) in chunks.into_iter().enumerate() {
            let (kind, mut flags) = if i == 0 {
                (HEADERS, if end_stream { END_STREAM } else { 0 })
            } else {
                (CONTINUATION, 0)
            };
            if i == last {
                flags |= END_HEADERS;
            }
            let len = u32::try_from(chunk.len()).expect("at most MAX_FRAME");
            self.output.extend_from_slice(&len.to_be_bytes()[1..]);
            self.output.extend_from_slice(&[kind, flags]);
            self.output.extend_from_slice(&stream.to_be_bytes());
            self.output.extend_from_slice(chunk);
        }
    }
}

/// A HEADERS frame's header block fragment: without its padding and priority fields.
fn fragment(flags: u8, payload: &[u8]) -> Result<&[u8], hpack::HpackError> {
    let mut payload = payload;
    if flags & PADDED != 0 {
        let (&pad, rest) = payload.split_first().ok_or(hpack::HpackError::new(
            "a padded frame without its pad length",
        ))?;
        let keep = rest
            .len()
            .checked_sub(usize::from(pad))
            .ok_or(hpack::HpackError::new("padding longer than the frame"))?;
        payload = &rest[..keep];
    }
    if flags & PRIORITY != 0 {
        payload = payload
            .get(5..)
            .ok_or(hpack::HpackError::new("a priority field past the frame"))?;
    }
    Ok(payload)
}

impl AsyncRead for UnixAuthority {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            if let Some(err) = &this.broken {
                return Poll::Ready(Err(io::Error::new(io::ErrorKind::InvalidData, err.clone())));
            }
            if !this.output.is_empty() {
                let n = this.output.len().min(buf.remaining());
                buf.put_slice(&this.output[..n]);
                this.output.advance(n);
                return Poll::Ready(Ok(()));
            }
            if this.eof {
                return Poll::Ready(Ok(()));
            }
            let mut chunk = [0u8; 8 * 1024];
            let mut read = ReadBuf::new(&mut chunk);
            ready!(Pin::new(&mut *this.io).poll_read(cx, &mut read))?;
            if read.filled().is_empty() {
                this.eof = true;
                continue;
            }
            this.input.extend_from_slice(read.filled());
            if let Err(err) = this.process() {
                tracing::debug!(error = %err, "closing a unix connection");
                this.broken = Some(err);
            }
        }
    }
}

impl AsyncWrite for UnixAuthority {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut *self.get_mut().io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut *self.get_mut().io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.get_mut().io).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    fn frame(stream: u32, kind: u8, flags: u8, payload: &[u8]) -> Vec<u8> {
        let len = u32::try_from(payload.len()).expect("small");
        let mut out = len.to_be_bytes()[1..].to_vec();
        out.extend_from_slice(&[kind, flags]);
        out.extend_from_slice(&stream.to_be_bytes());
        out.extend_from_slice(payload);
        out
    }

    /// Frames as the server reads them after `sent` went through the wrapper.
    async fn through(sent: Vec<u8>) -> io::Result<Vec<u8>> {
        let (mut client, server) = tokio::io::duplex(1024 * 1024);
        client.write_all(&sent).await?;
        drop(client);
        let mut wrapped = UnixAuthority::new(Box::new(server));
        let mut out = Vec::new();
        wrapped.read_to_end(&mut out).await?;
        Ok(out)
    }

    struct Parsed {
        kind: u8,
        flags: u8,
        stream: u32,
        payload: Vec<u8>,
    }

    fn parse(mut bytes: &[u8]) -> Vec<Parsed> {
        let mut frames = Vec::new();
        while !bytes.is_empty() {
            let len =
                usize::from(bytes[0]) << 16 | usize::from(bytes[1]) << 8 | usize::from(bytes[2]);
            frames.push(Parsed {
                kind: bytes[3],
                flags: bytes[4],
                stream: u32::from_be_bytes([bytes[5], bytes[6], bytes[7], bytes[8]]),
                payload: bytes[9..9 + len].to_vec(),
            });
            bytes = &bytes[9 + len..];
        }
        frames
    }

    fn hex(text: &str) -> Vec<u8> {
        let digits: Vec<u8> = text.bytes().filter(u8::is_ascii_hexdigit).collect();
        digits
            .chunks(2)
            .map(|p| u8::from_str_radix(std::str::from_utf8(p).expect("ascii"), 16))
            .collect::<Result<_, _>>()
            .expect("hex")
    }

    /// Decodes `block` with a decoder that must keep no table.
    fn fields(block: &[u8]) -> Vec<(String, String)> {
        let mut decoder = Decoder::new(0, MAX_HEADER_LIST);
        decoder
            .decode(block)
            .expect("a stateless block")
            .into_iter()
            .map(|f| {
                (
                    String::from_utf8(f.name).expect("utf-8"),
                    String::from_utf8(f.value).expect("utf-8"),
                )
            })
            .collect()
    }

    #[tokio::test]
    async fn every_authority_becomes_localhost_and_the_table_is_followed() {
        // RFC 7541 C.4: the second and third requests name `www.example.com` through
        // the dynamic table; then a DATA frame, which passes through as it is.
        let mut sent = Vec::new();
        for (n, block) in [
            "8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff",
            "8286 84be 5886 a8eb 1064 9cbf",
            "8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf",
        ]
        .iter()
        .enumerate()
        {
            let stream = 2 * n as u32 + 1;
            sent.extend(frame(stream, HEADERS, END_HEADERS, &hex(block)));
        }
        sent.extend(frame(5, 0x0, END_STREAM, b"body"));
        let frames = parse(&through(sent).await.expect("read"));
        assert_eq!(frames.len(), 4);
        let authorities: Vec<String> = frames[..3]
            .iter()
            .map(|f| {
                assert_eq!((f.kind, f.flags), (HEADERS, END_HEADERS));
                let fields = fields(&f.payload);
                assert_eq!(fields[2].0, ":path");
                fields
                    .into_iter()
                    .find(|(name, _)| name == ":authority")
                    .expect("an authority")
                    .1
            })
            .collect();
        assert_eq!(authorities, ["localhost"; 3]);
        assert_eq!(
            fields(&frames[2].payload)[4],
            ("custom-key".into(), "custom-value".into())
        );
        assert_eq!(
            (
                frames[3].kind,
                frames[3].stream,
                frames[3].payload.as_slice()
            ),
            (0x0, 5, &b"body"[..])
        );
    }

    #[tokio::test]
    async fn continuations_padding_and_priority_are_joined_and_dropped() {
        // `:authority: /tmp/x.sock` (grpc-java), END_STREAM, split over HEADERS
        // (padded, with priority) and a CONTINUATION; a sensitive field stays so.
        let mut block = vec![0x01, 11];
        block.extend_from_slice(b"/tmp/x.sock");
        block.extend_from_slice(&[0x10, 1, b'k', 1, b'v']);
        let (first, second) = block.split_at(5);
        let mut payload = vec![3];
        payload.extend_from_slice(&[0, 0, 0, 0, 16]);
        payload.extend_from_slice(first);
        payload.extend_from_slice(&[0, 0, 0]);
        let mut sent = frame(1, HEADERS, END_STREAM | PADDED | PRIORITY, &payload);
        sent.extend(frame(1, CONTINUATION, END_HEADERS, second));
        let frames = parse(&through(sent).await.expect("read"));
        assert_eq!(frames.len(), 1);
        assert_eq!(frames[0].flags, END_STREAM | END_HEADERS);
        assert_eq!(
            fields(&frames[0].payload),
            vec![
                (":authority".into(), "localhost".into()),
                ("k".into(), "v".into())
            ]
        );
        assert_eq!(frames[0].payload[22], 0x10, "still never indexed");
    }

    #[tokio::test]
    async fn a_large_block_is_written_in_frames_the_server_accepts() {
        let mut block = Vec::new();
        for n in 0..3 {
            let field = Field {
                name: format!("x-big-{n}").into_bytes(),
                value: vec![b'v'; 10_000],
                sensitive: false,
            };
            hpack::encode_literal(&field, &mut block);
        }
        let mut sent = Vec::new();
        let mut chunks = block.chunks(MAX_FRAME).peekable();
        let mut first = true;
        while let Some(chunk) = chunks.next() {
            let kind = if first { HEADERS } else { CONTINUATION };
            let flags = if chunks.peek().is_none() {
                END_HEADERS
            } else {
                0
            };
            sent.extend(frame(3, kind, flags, chunk));
            first = false;
        }
        let frames = parse(&through(sent).await.expect("read"));
        assert!(frames.iter().all(|f| f.payload.len() <= MAX_FRAME));
        assert_eq!(frames[0].kind, HEADERS);
        assert!(frames[1..].iter().all(|f| f.kind == CONTINUATION));
        let joined: Vec<u8> = frames.iter().flat_map(|f| f.payload.clone()).collect();
        assert_eq!(fields(&joined).len(), 3);
    }

    #[tokio::test]
    async fn malformed_or_oversized_blocks_end_the_connection() {
        let interrupted = [frame(1, HEADERS, 0, &[0x82]), frame(0, 0x6, 0, &[0; 8])].concat();
        let endless: Vec<u8> = std::iter::once(frame(1, HEADERS, 0, &[]))
            .chain(std::iter::repeat_n(
                frame(1, CONTINUATION, 0, &[0x82; 1000]),
                70,
            ))
            .flatten()
            .collect();
        for sent in [
            frame(1, HEADERS, END_HEADERS, &[0x80]),
            frame(1, CONTINUATION, END_HEADERS, &[0x82]),
            interrupted,
            endless,
        ] {
            let err = through(sent).await.expect_err("refused");
            assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        }
    }
}
