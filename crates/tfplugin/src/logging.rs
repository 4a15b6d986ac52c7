//! hclog-compatible JSON logging for the provider process.
//!
//! Terraform starts the provider as a go-plugin child process and parses every
//! line the plugin writes to stderr as a go-hclog JSON entry
//! (`{"@level":…,"@message":…,"@module":…,"@timestamp":…, …}`). Lines it cannot
//! parse are either dropped or reported as garbled text, and the JSON produced by
//! `tracing-subscriber`'s own formatter does not use these keys. This module
//! therefore provides [`HclogLayer`], a [`tracing_subscriber::Layer`] that writes
//! exactly that format, [`level_from_env`], which interprets `TF_LOG_PROVIDER` /
//! `TF_LOG` the way Terraform does, and [`init_stderr`], which wires both together
//! for the provider's `main`.
//!
//! Format details that Terraform is strict about:
//! * `@timestamp` is UTC RFC 3339 with exactly six fractional digits and a `Z`
//!   (nanosecond precision makes Terraform drop the line).
//! * `@level` is one of `trace`, `debug`, `info`, `warn`, `error`.
//! * Each entry is one newline-terminated line, written with a single
//!   `write_all` so lines from concurrent tasks never interleave.
//!
//! Fields of the event and of all enclosing spans (outermost first, inner spans
//! and the event overriding outer ones) become top-level JSON keys, so context
//! such as `tf_rpc` or `tf_req_id` recorded on a request span appears on every
//! line logged within it.

use std::fmt;
use std::io::Write;
use std::time::SystemTime;

use serde_json::{Map, Value};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::Interest;
use tracing::{Event, Level, Metadata, Subscriber};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::registry::LookupSpan;

use stdx::calendar;

/// Whose events are the provider's own: those whose target lies in one of `crates`
/// (library names, as `tracing` targets spell them) are reported under `module` and
/// heard at every level; every other library only at WARN and above.
#[derive(Debug, Clone, Copy)]
pub struct OwnEvents {
    /// The `@module` of the provider's own lines (Terraform shows it beside each).
    pub module: &'static str,
    /// The crates that are the provider (this one included, if its lines count).
    pub crates: &'static [&'static str],
}

impl OwnEvents {
    /// Whether a tracing target lies in one of the provider's crates.
    fn owns(&self, target: &str) -> bool {
        self.crates.iter().any(|own| {
            target
                .strip_prefix(own)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with("::"))
        })
    }

    /// The `@module` of an event from `target`: the provider's for its own crates,
    /// else the target with `.` for `::`.
    fn module_for(&self, target: &str) -> String {
        if self.owns(target) {
            self.module.to_owned()
        } else {
            target.replace("::", ".")
        }
    }
}

/// Spans at this level (or more severe) are always tracked, even when the
/// event level is stricter, so that request context such as `tf_req_id` still
/// reaches `WARN`/`ERROR` lines.
const MIN_SPAN_LEVEL: Level = Level::INFO;

/// Parses the provider log level from Terraform's environment variables.
///
/// `vars` looks up an environment variable (e.g. `|k| std::env::var(k).ok()`).
/// `TF_LOG_PROVIDER` is consulted first; if it is unset or empty, `TF_LOG` is
/// used. Values are case-insensitive:
///
/// * `TRACE`, `DEBUG`, `INFO`, `WARN`, `ERROR` select that level;
/// * `JSON` means `TRACE`;
/// * `OFF`, empty or unset mean no logging (`None`);
/// * any other non-empty value means `TRACE`, as Terraform itself does.
///
/// A `TF_LOG_PROVIDER=off` disables provider logging even when `TF_LOG` is set.
pub fn level_from_env(vars: impl Fn(&str) -> Option<String>) -> Option<Level> {
    let value = vars("TF_LOG_PROVIDER")
        .filter(|v| !v.is_empty())
        .or_else(|| vars("TF_LOG"))
        .filter(|v| !v.is_empty())?;
    match value.to_ascii_uppercase().as_str() {
        "OFF" => None,
        "ERROR" => Some(Level::ERROR),
        "WARN" => Some(Level::WARN),
        "INFO" => Some(Level::INFO),
        "DEBUG" => Some(Level::DEBUG),
        // "TRACE", "JSON" and anything unrecognised.
        _ => Some(Level::TRACE),
    }
}

/// Installs a global subscriber that writes hclog JSON lines to stderr.
///
/// With `None` nothing is installed, so every `tracing` macro short-circuits
/// and logging costs (almost) nothing. If a global subscriber is already set,
/// the call is a no-op.
pub fn init_stderr(level: Option<Level>, own: OwnEvents) {
    let Some(level) = level else {
        return;
    };
    use tracing_subscriber::layer::SubscriberExt as _;
    let subscriber =
        tracing_subscriber::registry().with(HclogLayer::new(std::io::stderr, level, own));
    // Ignoring the error: it only means a global subscriber already exists.
    let _ = tracing::subscriber::set_global_default(subscriber);
}

/// A [`Layer`] that writes every enabled event as one go-hclog JSON line.
///
/// Events more verbose than `max_level` are disabled at callsite registration
/// (and in [`Layer::enabled`]), so they cost close to nothing. Spans are
/// tracked down to `max_level` or `INFO`, whichever is more verbose, so that
/// request-scoped fields appear on lines logged at stricter levels as well.
pub struct HclogLayer<W> {
    make_writer: W,
    max_level: Level,
    span_level: Level,
    own: OwnEvents,
}

impl<W: for<'a> MakeWriter<'a> + 'static> HclogLayer<W> {
    /// Creates a layer that writes lines through `make_writer` for events at
    /// `max_level` or more severe, `own`'s at every level and under its module.
    pub fn new(make_writer: W, max_level: Level, own: OwnEvents) -> Self {
        // In `tracing`, more verbose levels compare greater.
        let span_level = if max_level > MIN_SPAN_LEVEL {
            max_level
        } else {
            MIN_SPAN_LEVEL
        };
        Self {
            make_writer,
            max_level,
            span_level,
            own,
        }
    }

    /// Whether a callsite with this metadata should be recorded. Libraries (h2,
    /// hyper, rustls, ...) are heard only at WARN and above: their frame-level
    /// chatter would drown the provider's lines and cost time on every RPC.
    fn wants(&self, metadata: &Metadata<'_>) -> bool {
        let limit = if metadata.is_span() {
            self.span_level
        } else {
            self.max_level
        };
        let limit = if self.own.owns(metadata.target()) {
            limit
        } else {
            limit.min(Level::WARN)
        };
        *metadata.level() <= limit
    }
}

impl<W> fmt::Debug for HclogLayer<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HclogLayer")
            .field("max_level", &self.max_level)
            .field("span_level", &self.span_level)
            .finish_non_exhaustive()
    }
}

/// Fields recorded on a span, stored in the span's extensions.
struct SpanFields(Map<String, Value>);

impl<S, W> Layer<S> for HclogLayer<W>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    W: for<'a> MakeWriter<'a> + 'static,
{
    fn register_callsite(&self, metadata: &'static Metadata<'static>) -> Interest {
        if self.wants(metadata) {
            Interest::always()
        } else {
            Interest::never()
        }
    }

    fn enabled(&self, metadata: &Metadata<'_>, _ctx: Context<'_, S>) -> bool {
        self.wants(metadata)
    }

    fn max_level_hint(&self) -> Option<tracing::level_filters::LevelFilter> {
        Some(tracing::level_filters::LevelFilter::from_level(
            self.span_level,
        ))
    }

    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else {
            return;
        };
        let mut fields = Map::new();
        attrs.record(&mut JsonVisitor::new(&mut fields));
        span.extensions_mut().replace(SpanFields(fields));
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else {
            return;
        };
        let mut extensions = span.extensions_mut();
        if let Some(SpanFields(fields)) = extensions.get_mut::<SpanFields>() {
            values.record(&mut JsonVisitor::new(fields));
        } else {
            let mut fields = Map::new();
            values.record(&mut JsonVisitor::new(&mut fields));
            extensions.insert(SpanFields(fields));
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let metadata = event.metadata();
        if !self.wants(metadata) {
            return;
        }

        let mut entry = Map::new();
        if let Some(scope) = ctx.event_scope(event) {
            for span in scope.from_root() {
                if let Some(SpanFields(fields)) = span.extensions().get::<SpanFields>() {
                    entry.extend(fields.iter().map(|(k, v)| (k.clone(), v.clone())));
                }
            }
        }

        let mut visitor = JsonVisitor::new(&mut entry);
        visitor.message = Some(String::new());
        event.record(&mut visitor);
        let message = visitor.message.take().unwrap_or_default();

        entry.insert("@message".to_owned(), Value::String(message));
        entry.insert(
            "@level".to_owned(),
            Value::from(level_str(*metadata.level())),
        );
        entry.insert(
            "@module".to_owned(),
            Value::String(self.own.module_for(metadata.target())),
        );
        entry.insert(
            "@timestamp".to_owned(),
            Value::String(format_timestamp(SystemTime::now())),
        );

        // Serialising a map of JSON values cannot fail; skip the line if it did.
        let Ok(mut line) = serde_json::to_vec(&entry) else {
            return;
        };
        line.push(b'\n');
        let mut writer = self.make_writer.make_writer_for(metadata);
        // Logging must never take the provider down; write errors are ignored.
        let _ = writer.write_all(&line);
        let _ = writer.flush();
    }
}

/// Records `tracing` field values into a JSON map.
///
/// When `message` is `Some`, the `message` field is captured there instead of
/// being inserted into the map (used for events, where it becomes `@message`).
struct JsonVisitor<'a> {
    fields: &'a mut Map<String, Value>,
    message: Option<String>,
}

impl<'a> JsonVisitor<'a> {
    fn new(fields: &'a mut Map<String, Value>) -> Self {
        Self {
            fields,
            message: None,
        }
    }

    fn insert(&mut self, field: &Field, value: Value) {
        if field.name() == "message"
            && let Some(message) = self.message.as_mut()
        {
            *message = match value {
                Value::String(s) => s,
                other => other.to_string(),
            };
            return;
        }
        self.fields.insert(field.name().to_owned(), value);
    }
}

impl Visit for JsonVisitor<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.insert(field, Value::String(value.to_owned()));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.insert(field, Value::from(value));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.insert(field, Value::from(value));
    }

    fn record_i128(&mut self, field: &Field, value: i128) {
        let value = match i64::try_from(value) {
            Ok(v) => Value::from(v),
            Err(_) => Value::String(value.to_string()),
        };
        self.insert(field, value);
    }

    fn record_u128(&mut self, field: &Field, value: u128) {
        let value = match u64::try_from(value) {
            Ok(v) => Value::from(v),
            Err(_) => Value::String(value.to_string()),
        };
        self.insert(field, value);
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        // JSON has no NaN/infinity; fall back to their textual form.
        let value = serde_json::Number::from_f64(value)
            .map_or_else(|| Value::String(value.to_string()), Value::Number);
        self.insert(field, value);
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.insert(field, Value::Bool(value));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.insert(field, Value::String(format!("{value:?}")));
    }
}

/// The hclog spelling of a level.
fn level_str(level: Level) -> &'static str {
    match level {
        Level::TRACE => "trace",
        Level::DEBUG => "debug",
        Level::INFO => "info",
        Level::WARN => "warn",
        Level::ERROR => "error",
    }
}

/// Formats `time` as UTC RFC 3339 with exactly six fractional digits, e.g.
/// `2023-11-14T22:13:20.123456Z` (sub-microsecond precision is truncated).
fn format_timestamp(time: SystemTime) -> String {
    calendar::rfc3339_micros(time)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
    use std::time::{Duration, UNIX_EPOCH};
    use tracing_subscriber::layer::SubscriberExt as _;

    /// A provider whose code is the crate `taurusdb_provider` and this one.
    const TEST_OWN: OwnEvents = OwnEvents {
        module: "taurusdb",
        crates: &["taurusdb_provider", "tfplugin"],
    };

    /// A `MakeWriter` collecting everything written into a shared buffer.
    #[derive(Clone, Default)]
    struct Capture(Arc<Mutex<Vec<u8>>>);

    struct CaptureWriter<'a>(MutexGuard<'a, Vec<u8>>);

    impl Write for CaptureWriter<'_> {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'a> MakeWriter<'a> for Capture {
        type Writer = CaptureWriter<'a>;

        fn make_writer(&'a self) -> Self::Writer {
            CaptureWriter(self.0.lock().unwrap_or_else(PoisonError::into_inner))
        }
    }

    impl Capture {
        fn text(&self) -> String {
            let buf = self.0.lock().unwrap_or_else(PoisonError::into_inner);
            String::from_utf8_lossy(&buf).into_owned()
        }

        /// Every captured line, parsed; panics (fails the test) on invalid JSON.
        fn lines(&self) -> Vec<Map<String, Value>> {
            let text = self.text();
            assert!(text.is_empty() || text.ends_with('\n'), "unterminated line");
            text.lines()
                .map(|line| match serde_json::from_str::<Value>(line) {
                    Ok(Value::Object(map)) => map,
                    other => panic!("not a JSON object: {line:?}: {other:?}"),
                })
                .collect()
        }
    }

    /// Runs `f` with a thread-local subscriber at `level` and returns the lines.
    fn capture(level: Level, f: impl FnOnce()) -> Vec<Map<String, Value>> {
        let out = Capture::default();
        let subscriber =
            tracing_subscriber::registry().with(HclogLayer::new(out.clone(), level, TEST_OWN));
        tracing::subscriber::with_default(subscriber, f);
        out.lines()
    }

    fn ts(secs: u64, nanos: u32) -> String {
        format_timestamp(UNIX_EPOCH + Duration::new(secs, nanos))
    }

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |key| {
            pairs
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn timestamp_known_instants() {
        assert_eq!(
            ts(1_700_000_000, 123_456_789),
            "2023-11-14T22:13:20.123456Z"
        );
        assert_eq!(ts(0, 0), "1970-01-01T00:00:00.000000Z");
        // Leap day.
        assert_eq!(ts(1_709_210_096, 0), "2024-02-29T12:34:56.000000Z");
        assert_eq!(ts(1_709_164_800 + 86_400, 0), "2024-03-01T00:00:00.000000Z");
        // Day after a century leap day (2000 is a leap year).
        assert_eq!(ts(951_868_800, 500_000_000), "2000-03-01T00:00:00.500000Z");
        assert_eq!(ts(951_868_800 - 86_400, 0), "2000-02-29T00:00:00.000000Z");
        assert_eq!(ts(946_684_799, 999_999_999), "1999-12-31T23:59:59.999999Z");
        // Zero-padded microseconds, nanoseconds truncated.
        assert_eq!(ts(1_700_000_000, 7_999), "2023-11-14T22:13:20.000007Z");
        assert_eq!(ts(1_700_000_000, 999), "2023-11-14T22:13:20.000000Z");
        // Before the epoch.
        assert_eq!(
            format_timestamp(UNIX_EPOCH - Duration::from_micros(1)),
            "1969-12-31T23:59:59.999999Z"
        );
    }

    #[test]
    fn timestamp_shape_for_now() {
        let now = format_timestamp(SystemTime::now());
        let bytes = now.as_bytes();
        assert_eq!(bytes.len(), "2026-01-02T03:04:05.123456Z".len(), "{now}");
        for (i, b) in bytes.iter().enumerate() {
            let ok = match i {
                4 | 7 => *b == b'-',
                10 => *b == b'T',
                13 | 16 => *b == b':',
                19 => *b == b'.',
                26 => *b == b'Z',
                _ => b.is_ascii_digit(),
            };
            assert!(ok, "unexpected byte {i} in {now}");
        }
    }

    #[test]
    fn event_line_has_hclog_keys() {
        let lines = capture(Level::TRACE, || {
            tracing::info!(target: "taurusdb_provider::client", "hello");
        });
        assert_eq!(lines.len(), 1);
        let line = &lines[0];
        assert_eq!(line["@level"], "info");
        assert_eq!(line["@message"], "hello");
        assert_eq!(line["@module"], "taurusdb");
        let stamp = line["@timestamp"].as_str().unwrap_or_default();
        assert_eq!(stamp.len(), 27, "{stamp}");
        assert!(stamp.ends_with('Z'), "{stamp}");
        assert_eq!(line.len(), 4, "{line:?}");
    }

    #[test]
    fn module_names() {
        assert_eq!(TEST_OWN.module_for("taurusdb_provider"), "taurusdb");
        assert_eq!(
            TEST_OWN.module_for("taurusdb_provider::tf::server"),
            "taurusdb"
        );
        assert_eq!(
            TEST_OWN.module_for("taurusdb_provider_x"),
            "taurusdb_provider_x"
        );
        assert_eq!(TEST_OWN.module_for("hyper::proto::h1"), "hyper.proto.h1");
        assert_eq!(TEST_OWN.module_for("custom"), "custom");

        let lines = capture(Level::TRACE, || {
            tracing::warn!(target: "h2::codec", "frame");
        });
        assert_eq!(lines[0]["@module"], "h2.codec");
    }

    #[test]
    fn levels_map_to_hclog_strings() {
        let lines = capture(Level::TRACE, || {
            tracing::trace!("t");
            tracing::debug!("d");
            tracing::info!("i");
            tracing::warn!("w");
            tracing::error!("e");
        });
        let levels: Vec<_> = lines.iter().map(|l| l["@level"].clone()).collect();
        assert_eq!(levels, ["trace", "debug", "info", "warn", "error"]);
        let messages: Vec<_> = lines.iter().map(|l| l["@message"].clone()).collect();
        assert_eq!(messages, ["t", "d", "i", "w", "e"]);
    }

    #[test]
    fn filtering_drops_more_verbose_events() {
        let lines = capture(Level::WARN, || {
            tracing::trace!("t");
            tracing::debug!("d");
            tracing::info!("i");
            tracing::warn!("w");
            tracing::error!("e");
        });
        let messages: Vec<_> = lines.iter().map(|l| l["@message"].clone()).collect();
        assert_eq!(messages, ["w", "e"]);

        let lines = capture(Level::DEBUG, || {
            tracing::trace!("t");
            tracing::debug!("d");
        });
        let messages: Vec<_> = lines.iter().map(|l| l["@message"].clone()).collect();
        assert_eq!(messages, ["d"]);
    }

    #[test]
    fn layer_reports_interest_and_hint() {
        let layer = HclogLayer::new(Capture::default(), Level::WARN, TEST_OWN);
        let hint =
            <HclogLayer<Capture> as Layer<tracing_subscriber::Registry>>::max_level_hint(&layer);
        assert_eq!(hint, Some(tracing::level_filters::LevelFilter::INFO));
        let layer = HclogLayer::new(Capture::default(), Level::TRACE, TEST_OWN);
        let hint =
            <HclogLayer<Capture> as Layer<tracing_subscriber::Registry>>::max_level_hint(&layer);
        assert_eq!(hint, Some(tracing::level_filters::LevelFilter::TRACE));
    }

    #[test]
    fn span_fields_become_top_level_keys() {
        let lines = capture(Level::DEBUG, || {
            let id = "req-42";
            let span = tracing::info_span!(
                "rpc",
                tf_rpc = "ApplyResourceChange",
                tf_req_id = %id,
                tf_resource_type = "taurusdb_replication_pause",
                later = tracing::field::Empty,
            );
            let _guard = span.enter();
            tracing::debug!(status = 200, "api call");
            span.record("later", "recorded");
            tracing::debug!(
                ratio = 0.5,
                ok = true,
                neg = -3_i64,
                big = u64::MAX,
                "after"
            );
        });
        assert_eq!(lines.len(), 2);
        for line in &lines {
            assert_eq!(line["tf_rpc"], "ApplyResourceChange");
            assert_eq!(line["tf_req_id"], "req-42");
            assert_eq!(line["tf_resource_type"], "taurusdb_replication_pause");
            assert_eq!(line["@level"], "debug");
        }
        assert_eq!(lines[0]["status"], 200);
        assert_eq!(lines[0]["@message"], "api call");
        assert!(!lines[0].contains_key("later"));
        assert!(!lines[0].contains_key("message"));
        assert_eq!(lines[1]["later"], "recorded");
        assert_eq!(lines[1]["ratio"], 0.5);
        assert_eq!(lines[1]["ok"], true);
        assert_eq!(lines[1]["neg"], -3);
        assert_eq!(lines[1]["big"], u64::MAX);
        assert_eq!(lines[1]["@message"], "after");
    }

    #[test]
    fn nested_spans_inner_overrides_outer() {
        let lines = capture(Level::TRACE, || {
            let outer = tracing::info_span!("outer", a = "outer", b = 1, shared = "outer");
            let _o = outer.enter();
            let inner = tracing::debug_span!("inner", shared = "inner", c = ?vec![1, 2]);
            let _i = inner.enter();
            tracing::info!(b = 2, "event");
        });
        let line = &lines[0];
        assert_eq!(line["a"], "outer");
        assert_eq!(line["shared"], "inner");
        assert_eq!(line["b"], 2, "event overrides span");
        assert_eq!(line["c"], "[1, 2]");
    }

    #[test]
    fn explicit_parent_and_later_record_on_outer_span() {
        let lines = capture(Level::TRACE, || {
            let outer = tracing::info_span!("outer", status = tracing::field::Empty);
            let inner = tracing::info_span!(parent: &outer, "inner", step = 1);
            outer.record("status", 204);
            tracing::info!(parent: &inner, "child");
            tracing::info!("no span");
        });
        assert_eq!(lines[0]["status"], 204);
        assert_eq!(lines[0]["step"], 1);
        assert!(!lines[1].contains_key("status"));
    }

    #[test]
    fn info_spans_carry_context_into_warn_level_lines() {
        let lines = capture(Level::WARN, || {
            let span = tracing::info_span!("rpc", tf_req_id = "abc");
            let _g = span.enter();
            let verbose = tracing::debug_span!("verbose", dropped = 1);
            let _v = verbose.enter();
            tracing::info!("filtered");
            tracing::error!("boom");
        });
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0]["tf_req_id"], "abc");
        assert!(!lines[0].contains_key("dropped"));
    }

    #[test]
    fn display_debug_and_error_values_are_strings() {
        let err = std::io::Error::other("disk \"full\"");
        let lines = capture(Level::TRACE, || {
            tracing::info!(
                d = %"shown",
                dbg = ?Some("x"),
                error = &err as &dyn std::error::Error,
                wide = 1_i128 << 100,
                small = 5_u128,
                nan = f64::NAN,
                "values"
            );
        });
        let line = &lines[0];
        assert_eq!(line["d"], "shown");
        assert_eq!(line["dbg"], "Some(\"x\")");
        assert_eq!(line["error"], "disk \"full\"");
        assert_eq!(line["wide"], (1_i128 << 100).to_string());
        assert_eq!(line["small"], 5);
        assert_eq!(line["nan"], "NaN");
    }

    #[test]
    fn special_characters_stay_single_line_json() {
        let out = Capture::default();
        let subscriber = tracing_subscriber::registry().with(HclogLayer::new(
            out.clone(),
            Level::TRACE,
            TEST_OWN,
        ));
        let nasty =
            "quote \" backslash \\ newline \n cr \r tab \t nul \u{0} unicode é 日本 🎉 \u{2028}";
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!(field = nasty, "msg {nasty}");
            let span = tracing::info_span!("s", "weird key" = "v\nw");
            let _g = span.enter();
            tracing::info!("second");
        });
        let text = out.text();
        assert_eq!(text.matches('\n').count(), 2, "{text:?}");
        let lines = out.lines();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["@message"], format!("msg {nasty}"));
        assert_eq!(lines[0]["field"], nasty);
        assert_eq!(lines[1]["weird key"], "v\nw");
    }

    #[test]
    fn each_line_is_written_with_a_single_write() {
        #[derive(Clone, Default)]
        struct CountWrites(Arc<Mutex<Vec<Vec<u8>>>>);
        struct Writer(Arc<Mutex<Vec<Vec<u8>>>>);
        impl Write for Writer {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                let mut writes = self.0.lock().unwrap_or_else(PoisonError::into_inner);
                writes.push(buf.to_vec());
                Ok(buf.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        impl MakeWriter<'_> for CountWrites {
            type Writer = Writer;
            fn make_writer(&self) -> Writer {
                Writer(Arc::clone(&self.0))
            }
        }

        let out = CountWrites::default();
        let subscriber = tracing_subscriber::registry().with(HclogLayer::new(
            out.clone(),
            Level::TRACE,
            TEST_OWN,
        ));
        tracing::subscriber::with_default(subscriber, || {
            std::thread::scope(|s| {
                for t in 0..4 {
                    let dispatch = tracing::dispatcher::get_default(Clone::clone);
                    s.spawn(move || {
                        tracing::dispatcher::with_default(&dispatch, || {
                            for i in 0..50 {
                                tracing::info!(t, i, "line {t}/{i}");
                            }
                        });
                    });
                }
            });
        });
        let writes = out.0.lock().unwrap_or_else(PoisonError::into_inner);
        assert_eq!(writes.len(), 200);
        for write in writes.iter() {
            assert_eq!(write.last(), Some(&b'\n'));
            assert_eq!(write.iter().filter(|b| **b == b'\n').count(), 1);
            assert!(serde_json::from_slice::<Value>(write).is_ok());
        }
    }

    #[test]
    fn event_without_message_has_empty_message() {
        let lines = capture(Level::TRACE, || {
            tracing::info!(k = 1);
        });
        assert_eq!(lines[0]["@message"], "");
        assert_eq!(lines[0]["k"], 1);
    }

    #[test]
    fn level_from_env_values() {
        let one = |v: &'static str| level_from_env(env(&[("TF_LOG", v)]));
        assert_eq!(one("TRACE"), Some(Level::TRACE));
        assert_eq!(one("trace"), Some(Level::TRACE));
        assert_eq!(one("Debug"), Some(Level::DEBUG));
        assert_eq!(one("info"), Some(Level::INFO));
        assert_eq!(one("WARN"), Some(Level::WARN));
        assert_eq!(one("error"), Some(Level::ERROR));
        assert_eq!(one("JSON"), Some(Level::TRACE));
        assert_eq!(one("json"), Some(Level::TRACE));
        assert_eq!(one("OFF"), None);
        assert_eq!(one("off"), None);
        assert_eq!(one(""), None);
        assert_eq!(one("1"), Some(Level::TRACE));
        assert_eq!(one("yes"), Some(Level::TRACE));
        assert_eq!(one("warning"), Some(Level::TRACE));
        assert_eq!(level_from_env(env(&[])), None);
        assert_eq!(level_from_env(|_| None), None);
    }

    #[test]
    fn level_from_env_precedence() {
        let both = |provider: &'static str, global: &'static str| {
            level_from_env(env(&[("TF_LOG_PROVIDER", provider), ("TF_LOG", global)]))
        };
        assert_eq!(both("ERROR", "TRACE"), Some(Level::ERROR));
        assert_eq!(both("debug", "off"), Some(Level::DEBUG));
        assert_eq!(both("off", "TRACE"), None, "provider OFF wins");
        assert_eq!(both("", "info"), Some(Level::INFO), "empty falls through");
        assert_eq!(both("", ""), None);
        assert_eq!(
            level_from_env(env(&[("TF_LOG_PROVIDER", "warn")])),
            Some(Level::WARN)
        );
        assert_eq!(
            level_from_env(env(&[("TF_LOG", "warn")])),
            Some(Level::WARN)
        );
    }

    #[test]
    fn init_stderr_none_installs_nothing() {
        init_stderr(None, TEST_OWN);
        // No global subscriber was installed, so installing one still works.
        let installed = tracing::subscriber::set_global_default(tracing_subscriber::registry());
        assert!(installed.is_ok());
    }
}
