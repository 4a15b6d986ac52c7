//! Text from the service on its way to a person's terminal. Task names, stages and job
//! texts are whatever the API sent; written as they are, an escape sequence could
//! rewrite the terminal and a newline or a bidirectional override could forge a line.
//! [`printable`] escapes them (`\n`, `\u{1b}`, `\u{202e}`) and leaves the rest alone.
//! Data returned as values (the data source, the typed API's messages) is not escaped:
//! it is data, and its readers escape what they print.

/// `text` with control characters and bidirectional formatting characters escaped.
pub fn printable(text: &str) -> String {
    if !text.chars().any(needs_escape) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if needs_escape(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// Control characters (C0, DEL, C1), and the marks and overrides that reorder text.
fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{200e}' | '\u{200f}' | '\u{061c}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_and_bidi_characters_are_escaped() {
        assert_eq!(printable("orders_sync (Paused)"), "orders_sync (Paused)");
        assert_eq!(printable("a\u{1b}[2Jb\nc\td"), "a\\u{1b}[2Jb\\nc\\td");
        assert_eq!(printable("x\u{202e}y\u{9b}z"), "x\\u{202e}y\\u{9b}z");
        assert_eq!(printable("Größe €"), "Größe €");
    }
}
