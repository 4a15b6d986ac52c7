//! Terraform values and their wire encodings.
//!
//! Every configuration, state and plan crosses the plugin protocol as a `DynamicValue`:
//! MessagePack bytes (or, for stored state handed to `UpgradeResourceState`, JSON) that
//! carry no type information of their own. This module decodes such bytes against the
//! [`Type`](crate::tf::types::Type) that the provider's schema declares, and encodes
//! values back the same way, following Terraform's `object-wire-format.md` and go-cty's
//! `msgpack` and `json` packages.
//!
//! The bytes come from another process, so decoding never panics, never allocates on the
//! strength of a length header and refuses to nest deeper than [`MAX_VALUE_DEPTH`].
//! MessagePack is read in one pass guided by the type (rather than through a generic
//! msgpack value, which would silently read the reserved marker `0xc1` as nil and could
//! not say where a truncation happened), and every error names the [`AttrPath`] where it
//! was found.
//!
//! One file per concern: `model` (the values), `msgpack` and `json` (the codecs),
//! `walk` (what both codecs share: the path, the depth limit, errors), `decimal`
//! (arbitrary-precision numbers written as text).

mod decimal;
mod json;
mod model;
mod msgpack;
mod walk;

#[cfg(test)]
mod tests;

use std::fmt;

use crate::tf::path::AttrPath;

pub use json::{decode_json, encode_json};
pub use model::{Number, Value};
pub use msgpack::{decode_msgpack, encode_msgpack};

/// How many containers deep a value may nest.
///
/// Real schemas nest a handful of levels; the limit keeps hostile input from exhausting
/// the stack.
pub const MAX_VALUE_DEPTH: usize = 64;

/// Why bytes could not be decoded against a type, or a value could not be encoded.
#[derive(Debug, thiserror::Error)]
#[error("{message} {}", Where(.path))]
pub struct ValueError {
    /// Where in the value the problem was found.
    pub path: AttrPath,
    /// What the problem is.
    pub message: String,
}

impl ValueError {
    /// An error at `path`.
    pub fn new(path: AttrPath, message: impl Into<String>) -> Self {
        Self {
            path,
            message: message.into(),
        }
    }
}

/// Renders "at PATH", or "at the top level" for the root path.
struct Where<'a>(&'a AttrPath);

impl fmt::Display for Where<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_root() {
            f.write_str("at the top level")
        } else {
            write!(f, "at {}", self.0)
        }
    }
}
