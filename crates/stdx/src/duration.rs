//! Go's duration grammar (`time.ParseDuration`): "30m", "1h30m", "1.5h", "300ms",
//! "2h45m30.5s". One parser for what Terraform users write in `timeouts` blocks and for
//! the duration flags of the command line (`sim --job-duration`, `serve`'s timeouts),
//! which also take a bare number of seconds.

use std::time::Duration;

/// Parses a Go duration string. Negative durations are rejected (a timeout cannot be
/// negative); "0" is allowed.
pub fn parse_go_duration(input: &str) -> Result<Duration, String> {
    let text = input.trim();
    let body = text.strip_prefix('+').unwrap_or(text);
    if body.starts_with('-') {
        return Err(format!("{input:?} is negative"));
    }
    if body == "0" {
        return Ok(Duration::ZERO);
    }
    if body.is_empty() {
        return Err("the duration is empty".to_string());
    }
    let mut total = 0f64;
    let mut rest = body;
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let number = &rest[..number_len];
        if number.is_empty() || number == "." || number.matches('.').count() > 1 {
            return Err(format!(
                "{input:?} is not a duration like \"30m\" or \"1h30m\""
            ));
        }
        let value: f64 = number
            .parse()
            .map_err(|_| format!("{input:?} has an invalid number {number:?}"))?;
        rest = &rest[number_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let unit = &rest[..unit_len];
        let scale = match unit {
            "ns" => 1e-9,
            "us" | "µs" | "μs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            "" => return Err(format!("{input:?} is missing a unit (ns, us, ms, s, m, h)")),
            other => return Err(format!("{input:?} has an unknown unit {other:?}")),
        };
        total += value * scale;
        rest = &rest[unit_len..];
    }
    // Go's durations end at 2^63-1 nanoseconds (about 2562047h).
    if total > i64::MAX as f64 / 1e9 {
        return Err(format!(
            "{input:?} is longer than the longest duration, 2562047h"
        ));
    }
    Duration::try_from_secs_f64(total).map_err(|_| format!("{input:?} is too long"))
}

/// Parses a command-line duration: Go's grammar, or a bare number of seconds (`2`,
/// `1.5`). Blanks are ignored (`2 s` is `2s`). Negative values are rejected.
pub fn parse_flag_duration(input: &str) -> Result<Duration, String> {
    let text: String = input.split_whitespace().collect();
    let bare_seconds = !text.is_empty() && text.chars().all(|c| c.is_ascii_digit() || c == '.');
    if bare_seconds {
        return text
            .parse::<f64>()
            .ok()
            .and_then(|secs| Duration::try_from_secs_f64(secs).ok())
            .ok_or_else(|| format!("{input:?} is not a number of seconds"));
    }
    parse_go_duration(&text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_go_forms() {
        let cases = [
            ("30m", 1800.0),
            ("1h30m", 5400.0),
            ("1.5h", 5400.0),
            ("300ms", 0.3),
            ("2h45m30.5s", 9930.5),
            ("0", 0.0),
            ("+10s", 10.0),
            ("1us", 1e-6),
            ("1µs", 1e-6),
            (".5s", 0.5),
        ];
        for (text, secs) in cases {
            let got = parse_go_duration(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert!((got.as_secs_f64() - secs).abs() < 1e-9, "{text}: {got:?}");
        }
    }

    #[test]
    fn rejects_what_go_rejects() {
        for text in [
            "",
            "30",
            "m",
            "1x",
            "-5m",
            "1..5s",
            "1h 30m",
            "ten minutes",
            ".",
        ] {
            assert!(
                parse_go_duration(text).is_err(),
                "{text:?} should be rejected"
            );
        }
    }

    #[test]
    fn flags_take_what_the_simulator_took_before() {
        // The forms `sim --job-duration` has always accepted.
        let cases = [
            ("2s", 2.0),
            ("2", 2.0),
            ("500ms", 0.5),
            ("1.5s", 1.5),
            ("2m", 120.0),
            ("1h", 3600.0),
            ("0s", 0.0),
            ("2.", 2.0),
            (".5", 0.5),
            (" 2 s ", 2.0),
        ];
        for (text, secs) in cases {
            let got = parse_flag_duration(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert!((got.as_secs_f64() - secs).abs() < 1e-9, "{text}: {got:?}");
        }
        for bad in ["", "s", "-1s", "-1", "2x", "1e3s", "1..2s", "2 days", "."] {
            assert!(parse_flag_duration(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn flags_also_take_the_rest_of_go_grammar() {
        // Wider than the simulator's own parser was: compound values and the small units.
        assert_eq!(parse_flag_duration("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_flag_duration("1h 30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_flag_duration("250us"), Ok(Duration::from_micros(250)));
        assert_eq!(parse_flag_duration("+10s"), Ok(Duration::from_secs(10)));
        // Narrower in one respect: beyond Go's longest duration (about 292 years).
        assert!(parse_flag_duration("3000000h").is_err());
    }
}
