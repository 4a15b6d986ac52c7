//! HPACK (RFC 7541), as much as [`authority`](crate::plugin::authority) needs to
//! rewrite the request headers a client sends on a unix socket: a decoder that keeps
//! the client's dynamic table and reads Huffman strings, and an encoder that writes
//! plain literals indexing nothing (so the server's own decoder never holds an entry
//! the client does not know about). Every bound is checked: integers, string lengths,
//! the table size a client may ask for, the decoded size of a header list.

use std::collections::VecDeque;
use std::sync::OnceLock;

/// Why a header block could not be read (a COMPRESSION_ERROR in HTTP/2's terms).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed HPACK header block: {0}")]
pub struct HpackError(&'static str);

impl HpackError {
    pub fn new(what: &'static str) -> Self {
        Self(what)
    }
}

/// One decoded header field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub name: Vec<u8>,
    pub value: Vec<u8>,
    /// Sent as "never indexed" (e.g. a credential): re-encoded the same way.
    pub sensitive: bool,
}

impl Field {
    /// What the field counts for in a table or a header list (RFC 7541, 4.1).
    fn size(&self) -> usize {
        entry_size(&self.name, &self.value)
    }
}

fn entry_size(name: &[u8], value: &[u8]) -> usize {
    name.len() + value.len() + 32
}

/// The decoding side of one connection's header compression.
pub struct Decoder {
    /// Newest first.
    table: VecDeque<(Vec<u8>, Vec<u8>)>,
    size: usize,
    max_size: usize,
    /// The most a client may set `max_size` to: the table size the server announced.
    size_limit: usize,
    /// The most a header list may decode to (sum of field sizes).
    list_limit: usize,
}

impl Decoder {
    /// A decoder whose client may use at most `size_limit` bytes of table and send
    /// header lists of at most `list_limit` bytes.
    pub fn new(size_limit: usize, list_limit: usize) -> Self {
        Self {
            table: VecDeque::new(),
            size: 0,
            max_size: size_limit,
            size_limit,
            list_limit,
        }
    }

    /// Decodes one complete header block, updating the dynamic table as the client's
    /// encoder did.
    pub fn decode(&mut self, mut block: &[u8]) -> Result<Vec<Field>, HpackError> {
        let mut fields = Vec::new();
        let mut list_size = 0usize;
        while let Some(&first) = block.first() {
            let field = if first & 0x80 != 0 {
                // Indexed header field.
                let index = integer(&mut block, 7)?;
                let (name, value) = self.entry(index)?;
                Field {
                    name,
                    value,
                    sensitive: false,
                }
            } else if first & 0x40 != 0 {
                // Literal with incremental indexing.
                let name = self.name(&mut block, 6)?;
                let value = string(&mut block)?;
                self.insert(name.clone(), value.clone());
                Field {
                    name,
                    value,
                    sensitive: false,
                }
            } else if first & 0x20 != 0 {
                // Dynamic table size update.
                let size = integer(&mut block, 5)?;
                if size > self.size_limit {
                    return Err(HpackError("a table size above the announced one"));
                }
                self.max_size = size;
                self.evict_to(size);
                continue;
            } else {
                // Literal without indexing (0000) or never indexed (0001).
                let sensitive = first & 0x10 != 0;
                let name = self.name(&mut block, 4)?;
                let value = string(&mut block)?;
                Field {
                    name,
                    value,
                    sensitive,
                }
            };
            list_size = list_size.saturating_add(field.size());
            if list_size > self.list_limit {
                return Err(HpackError("a header list above the limit"));
            }
            fields.push(field);
        }
        Ok(fields)
    }

    /// A literal's name: indexed (with a `prefix`-bit index), or a string after a zero
    /// index.
    fn name(&self, block: &mut &[u8], prefix: u8) -> Result<Vec<u8>, HpackError> {
        match integer(block, prefix)? {
            0 => string(block),
            index => Ok(self.entry(index)?.0),
        }
    }

    fn entry(&self, index: usize) -> Result<(Vec<u8>, Vec<u8>), HpackError> {
        match index {
            0 => Err(HpackError("index 0")),
            1..=61 => {
                let (name, value) = STATIC_TABLE[index - 1];
                Ok((name.as_bytes().to_vec(), value.as_bytes().to_vec()))
            }
            _ => self
                .table
                .get(index - 62)
                .cloned()
                .ok_or(HpackError("an index past the table")),
        }
    }

    fn insert(&mut self, name: Vec<u8>, value: Vec<u8>) {
        let size = entry_size(&name, &value);
        if size > self.max_size {
            // An entry larger than the table empties it and is not added.
            self.evict_to(0);
            return;
        }
        self.evict_to(self.max_size - size);
        self.size += size;
        self.table.push_front((name, value));
    }

    fn evict_to(&mut self, size: usize) {
        while self.size > size {
            let Some((name, value)) = self.table.pop_back() else {
                break;
            };
            self.size -= entry_size(&name, &value);
        }
    }
}

/// Appends `field` as a literal without indexing (or never indexed), its name and value
/// plain strings: whoever decodes it keeps no state.
pub fn encode_literal(field: &Field, out: &mut Vec<u8>) {
    out.push(if field.sensitive { 0x10 } else { 0x00 });
    put_string(&field.name, out);
    put_string(&field.value, out);
}

fn put_string(text: &[u8], out: &mut Vec<u8>) {
    put_integer(text.len(), 7, 0x00, out);
    out.extend_from_slice(text);
}

/// `value` with a `prefix`-bit prefix, the first byte's other bits `high`.
fn put_integer(value: usize, prefix: u8, high: u8, out: &mut Vec<u8>) {
    let max = (1usize << prefix) - 1;
    if value < max {
        out.push(high | value as u8);
        return;
    }
    out.push(high | max as u8);
    let mut rest = value - max;
    while rest >= 0x80 {
        out.push((rest & 0x7f) as u8 | 0x80);
        rest >>= 7;
    }
    out.push(rest as u8);
}

/// An integer with a `prefix`-bit prefix (RFC 7541, 5.1); at most 2^28, far above any
/// length or index a bounded block can hold.
fn integer(block: &mut &[u8], prefix: u8) -> Result<usize, HpackError> {
    let (&first, rest) = block.split_first().ok_or(HpackError("truncated"))?;
    *block = rest;
    let max = (1usize << prefix) - 1;
    let mut value = usize::from(first) & max;
    if value < max {
        return Ok(value);
    }
    let mut shift = 0u32;
    loop {
        let (&byte, rest) = block.split_first().ok_or(HpackError("truncated"))?;
        *block = rest;
        if shift > 21 {
            return Err(HpackError("an integer too large"));
        }
        value += usize::from(byte & 0x7f) << shift;
        shift += 7;
        if byte & 0x80 == 0 {
            return Ok(value);
        }
    }
}

/// A string literal (RFC 7541, 5.2), Huffman-coded or not.
fn string(block: &mut &[u8]) -> Result<Vec<u8>, HpackError> {
    let huffman = block.first().is_some_and(|b| b & 0x80 != 0);
    let len = integer(block, 7)?;
    if len > block.len() {
        return Err(HpackError("a string longer than its block"));
    }
    let (raw, rest) = block.split_at(len);
    *block = rest;
    if huffman {
        huffman_decode(raw)
    } else {
        Ok(raw.to_vec())
    }
}

/// The Huffman code (RFC 7541, Appendix B) is canonical: each symbol's code length
/// (symbol 256 is EOS) gives the whole code.
const CODE_LENGTHS: [u8; 257] = [
    13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 30, 28,
    28, 28, 28, 28, 28, 28, 28, 28, 6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6, 5, 5,
    5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10, 13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
    7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6, 15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6,
    6, 5, 6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28, 20, 22, 20, 20, 22, 22, 22, 23, 22,
    23, 23, 23, 23, 23, 24, 23, 24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24, 22,
    21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23, 21, 21, 22, 21, 23, 22, 23, 23, 20,
    22, 22, 22, 23, 22, 22, 23, 26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25, 19,
    21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27, 20, 24, 20, 21, 22, 21, 21, 23, 22,
    22, 25, 25, 24, 24, 26, 23, 26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26, 30,
];
const EOS: u16 = 256;
const MAX_CODE_LENGTH: usize = 30;

/// How many codes have each length, and the symbols ordered by (length, symbol).
struct Canonical {
    count: [u32; MAX_CODE_LENGTH + 1],
    symbols: Vec<u16>,
}

fn canonical() -> &'static Canonical {
    static TABLE: OnceLock<Canonical> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut count = [0u32; MAX_CODE_LENGTH + 1];
        let mut symbols = Vec::with_capacity(CODE_LENGTHS.len());
        for (len, count) in count.iter_mut().enumerate().skip(1) {
            for (symbol, &l) in (0u16..).zip(CODE_LENGTHS.iter()) {
                if usize::from(l) == len {
                    *count += 1;
                    symbols.push(symbol);
                }
            }
        }
        Canonical { count, symbols }
    })
}

/// Decodes a Huffman-coded string: EOS inside it, or padding that is longer than 7
/// bits or not EOS's leading ones, is an error (RFC 7541, 5.2).
fn huffman_decode(input: &[u8]) -> Result<Vec<u8>, HpackError> {
    let table = canonical();
    let mut out = Vec::with_capacity(input.len() * 8 / 5 + 1);
    // Canonical decoding: `code` the bits read since the last symbol, `first` the
    // first code of the current length, `index` where that length's symbols start.
    let (mut code, mut first, mut index, mut len) = (0u32, 0u32, 0usize, 0usize);
    for byte in input {
        for shift in (0..8).rev() {
            code |= u32::from(byte >> shift & 1);
            len += 1;
            let count = table.count[len];
            let offset = code.wrapping_sub(first);
            if offset < count {
                let symbol = table.symbols[index + offset as usize];
                if symbol == EOS {
                    return Err(HpackError("EOS inside a Huffman string"));
                }
                out.push(symbol as u8);
                (code, first, index, len) = (0, 0, 0, 0);
            } else {
                if len == MAX_CODE_LENGTH {
                    return Err(HpackError("an invalid Huffman code"));
                }
                index += count as usize;
                first = (first + count) << 1;
                code <<= 1;
            }
        }
    }
    // What is left is padding: at most 7 bits, all ones.
    let padding = code >> 1;
    if len > 7 || padding != (1u32 << len) - 1 {
        return Err(HpackError("invalid Huffman padding"));
    }
    Ok(out)
}

/// RFC 7541, Appendix A.
const STATIC_TABLE: [(&str, &str); 61] = [
    (":authority", ""),
    (":method", "GET"),
    (":method", "POST"),
    (":path", "/"),
    (":path", "/index.html"),
    (":scheme", "http"),
    (":scheme", "https"),
    (":status", "200"),
    (":status", "204"),
    (":status", "206"),
    (":status", "304"),
    (":status", "400"),
    (":status", "404"),
    (":status", "500"),
    ("accept-charset", ""),
    ("accept-encoding", "gzip, deflate"),
    ("accept-language", ""),
    ("accept-ranges", ""),
    ("accept", ""),
    ("access-control-allow-origin", ""),
    ("age", ""),
    ("allow", ""),
    ("authorization", ""),
    ("cache-control", ""),
    ("content-disposition", ""),
    ("content-encoding", ""),
    ("content-language", ""),
    ("content-length", ""),
    ("content-location", ""),
    ("content-range", ""),
    ("content-type", ""),
    ("cookie", ""),
    ("date", ""),
    ("etag", ""),
    ("expect", ""),
    ("expires", ""),
    ("from", ""),
    ("host", ""),
    ("if-match", ""),
    ("if-modified-since", ""),
    ("if-none-match", ""),
    ("if-range", ""),
    ("if-unmodified-since", ""),
    ("last-modified", ""),
    ("link", ""),
    ("location", ""),
    ("max-forwards", ""),
    ("proxy-authenticate", ""),
    ("proxy-authorization", ""),
    ("range", ""),
    ("referer", ""),
    ("refresh", ""),
    ("retry-after", ""),
    ("server", ""),
    ("set-cookie", ""),
    ("strict-transport-security", ""),
    ("transfer-encoding", ""),
    ("user-agent", ""),
    ("vary", ""),
    ("via", ""),
    ("www-authenticate", ""),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(text: &str) -> Vec<u8> {
        let digits: Vec<u8> = text.bytes().filter(u8::is_ascii_hexdigit).collect();
        digits
            .chunks(2)
            .map(|pair| u8::from_str_radix(std::str::from_utf8(pair).expect("ascii"), 16))
            .collect::<Result<_, _>>()
            .expect("hex")
    }

    fn pairs(fields: &[Field]) -> Vec<(String, String)> {
        fields
            .iter()
            .map(|f| {
                (
                    String::from_utf8_lossy(&f.name).into_owned(),
                    String::from_utf8_lossy(&f.value).into_owned(),
                )
            })
            .collect()
    }

    fn owned(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    /// RFC 7541, C.4: three requests with Huffman coding sharing one dynamic table.
    const RFC_REQUESTS: [&str; 3] = [
        "8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff",
        "8286 84be 5886 a8eb 1064 9cbf",
        "8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf",
    ];

    #[test]
    fn decodes_the_rfc_examples_with_their_dynamic_table() {
        let mut decoder = Decoder::new(4096, 64 * 1024);
        let expected = [
            owned(&[
                (":method", "GET"),
                (":scheme", "http"),
                (":path", "/"),
                (":authority", "www.example.com"),
            ]),
            owned(&[
                (":method", "GET"),
                (":scheme", "http"),
                (":path", "/"),
                (":authority", "www.example.com"),
                ("cache-control", "no-cache"),
            ]),
            owned(&[
                (":method", "GET"),
                (":scheme", "https"),
                (":path", "/index.html"),
                (":authority", "www.example.com"),
                ("custom-key", "custom-value"),
            ]),
        ];
        for (block, expected) in RFC_REQUESTS.iter().zip(expected) {
            let fields = decoder.decode(&hex(block)).expect("decodes");
            assert_eq!(pairs(&fields), expected);
        }
        assert_eq!(decoder.size, 164, "the table size RFC 7541 C.4.3 gives");
    }

    #[test]
    fn literals_round_trip_through_a_fresh_decoder() {
        let fields = vec![
            Field {
                name: b":authority".to_vec(),
                value: b"localhost".to_vec(),
                sensitive: false,
            },
            Field {
                name: b"authorization".to_vec(),
                value: vec![b'x'; 300],
                sensitive: true,
            },
        ];
        let mut out = Vec::new();
        for field in &fields {
            encode_literal(field, &mut out);
        }
        let mut decoder = Decoder::new(4096, 64 * 1024);
        assert_eq!(decoder.decode(&out).expect("decodes"), fields);
        assert!(decoder.table.is_empty(), "literals index nothing");
    }

    #[test]
    fn the_table_evicts_and_honours_size_updates() {
        let mut decoder = Decoder::new(100, 64 * 1024);
        // Two literals with incremental indexing, `a: 1` then `b: 2` (34 bytes each).
        let block = [0x40, 1, b'a', 1, b'1', 0x40, 1, b'b', 1, b'2'];
        decoder.decode(&block).expect("decodes");
        assert_eq!(decoder.size, 68);
        // A third one evicts the oldest: index 62 is the newest, 63 `b`, 64 is gone.
        decoder.decode(&[0x40, 1, b'c', 1, b'3']).expect("decodes");
        assert_eq!(
            pairs(&decoder.decode(&[0xbf]).expect("63")),
            owned(&[("b", "2")])
        );
        assert!(decoder.decode(&[0xc0]).is_err(), "64 was evicted");
        // A size update to 0 empties it; above the announced size is refused.
        assert!(decoder.decode(&[0x20]).expect("update").is_empty());
        assert!(decoder.table.is_empty());
        assert!(decoder.decode(&[0x3f, 0x46]).is_err(), "101 > 100");
    }

    #[test]
    fn malformed_blocks_are_errors_not_panics() {
        let mut decoder = Decoder::new(4096, 64);
        for block in [
            &[0x80][..],                                 // index 0
            &[0xff, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01], // integer overflow
            &[0x04, 0x05, b'a'],                         // string past the block
            &[0x04, 0x81, 0x00],                         // Huffman padding of zeros
            &[0x04, 0x84, 0xff, 0xff, 0xff, 0xff],       // EOS
            &[0x44],                                     // truncated
        ] {
            assert!(decoder.decode(block).is_err(), "{block:x?}");
        }
        // 2 + 40 + 32 = 74 bytes > 64: over the header list limit.
        let mut big = vec![0x00, 0x02, b'n', b'm', 40];
        big.extend_from_slice(&[b'v'; 40]);
        assert!(decoder.decode(&big).is_err());
    }

    #[test]
    fn huffman_decodes_a_percent_encoded_socket_path() {
        // `:authority: tmp%2Fcap%2Fa.sock` (what grpcio sends for unix:/tmp/cap/a.sock),
        // Huffman-coded, name from the static table, indexed.
        let encoded = hex("4d35aa2c241d6a8b08d741c9d7");
        let mut block = vec![0x41, 0x80 | encoded.len() as u8];
        block.extend_from_slice(&encoded);
        let mut decoder = Decoder::new(4096, 64 * 1024);
        let fields = decoder.decode(&block).expect("decodes");
        assert_eq!(
            pairs(&fields),
            owned(&[(":authority", "tmp%2Fcap%2Fa.sock")])
        );
        assert_eq!(pairs(&decoder.decode(&[0xbe]).expect("62")), pairs(&fields));
    }
}
