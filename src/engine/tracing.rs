//! Capture of `tracing` events (feature `tracing`).
//!
//! With the feature on, [`init_logger`](crate::init_logger), `TestLogs`,
//! `#[logged_test]` and the rstest fixture also set the global `tracing`
//! subscriber, once per process, to a registry with [`layer()`]. Each event is
//! then routed like a `log` record (same rules, same collector, same level)
//! and captured with its fields and the chain of its spans, each with its
//! fields: see [`CapturedRecord::fields`](crate::CapturedRecord::fields),
//! [`CapturedRecord::span_field`](crate::CapturedRecord::span_field) and
//! [`CapturedRecord::span_chain`](crate::CapturedRecord::span_chain). A
//! span's fields are formatted once, when it is created and when a value is
//! recorded (`span.record(..)`), and shared by every event logged in it.
//!
//! A program that sets its own global subscriber adds [`layer()`] to it:
//!
//! ```
//! use logged_test::prelude::*;
//! use tracing_subscriber::layer::SubscriberExt as _;
//!
//! let subscriber = tracing_subscriber::registry().with(logged_test::tracing::layer());
//! tracing::subscriber::set_global_default(subscriber)?;
//!
//! let logs = logged_test::TestLogs::new("my_test")?;
//! tracing::info!(order = 42, "paid");
//! logs.assert_field("paid", "order", "42");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::cell::Cell;
use std::fmt;
use std::fmt::Write as _;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use ::tracing::field::{Field, Visit};
use ::tracing::span::{Attributes, Id, Record};
use ::tracing::subscriber::Interest;
use ::tracing::{Event, Metadata, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::{Context, SubscriberExt as _};
use tracing_subscriber::registry::{LookupSpan, SpanRef};

use crate::engine::capture;
use crate::engine::message::Message;
use crate::engine::record::{self, Entry, ExtraBuilder, SpanChain, Text, span_fields_text};
use crate::engine::registry::{Sink, Wanted};
use crate::engine::routing;
use crate::engine::unattributed;
use crate::error::LogError;

/// The `tracing_subscriber` layer that captures `tracing` events into the
/// collector the current thread is routed to. Made by [`layer()`].
///
/// It needs a subscriber that records spans (`tracing_subscriber::registry()`),
/// and filters nothing for the other layers: events a collector does not
/// accept are dropped inside the layer.
///
/// # Examples
///
/// ```
/// use tracing_subscriber::layer::SubscriberExt as _;
///
/// let subscriber = tracing_subscriber::registry().with(logged_test::tracing::layer());
/// let logs = logged_test::TestLogs::new("scoped")?;
/// tracing::subscriber::with_default(subscriber, || {
///     let _span = tracing::info_span!("request").entered();
///     tracing::warn!(attempt = 2, "retrying");
/// });
/// let captured = logs.captured();
/// let record = &captured.records()[0];
/// assert_eq!(record.spans, ["request"]);
/// assert_eq!(record.field("attempt"), Some("2"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct CaptureLayer {
    _private: (),
}

/// The layer to compose into a subscriber of your own, so that `logged-test`
/// captures `tracing` events through it:
/// `tracing_subscriber::registry().with(logged_test::tracing::layer())`.
///
/// Needed only when the program sets its own global subscriber (or a scoped
/// one with `tracing::subscriber::with_default`); otherwise `logged-test`
/// installs a registry with this layer itself.
///
/// # Examples
///
/// ```
/// use logged_test::prelude::*;
/// use tracing_subscriber::layer::SubscriberExt as _;
///
/// let subscriber = tracing_subscriber::registry().with(logged_test::tracing::layer());
/// let logs = logged_test::TestLogs::new("own_subscriber")?;
/// tracing::subscriber::with_default(subscriber, || tracing::info!("through my subscriber"));
/// logs.assert_contains("through my subscriber");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn layer() -> CaptureLayer {
    CaptureLayer { _private: () }
}

/// Sets the global subscriber to a registry with [`layer()`], once per
/// process; afterwards, checks that the subscriber in effect on this thread
/// captures.
pub(crate) fn install() -> Result<(), LogError> {
    static OURS: OnceLock<bool> = OnceLock::new();
    let ours = *OURS.get_or_init(|| {
        let subscriber = tracing_subscriber::registry().with(layer());
        ::tracing::subscriber::set_global_default(subscriber).is_ok()
    });
    // Someone else's subscriber works as well when it contains our layer (a
    // `Dispatch` finds a layer of its subscriber by type).
    if ours || ::tracing::dispatcher::get_default(|d| d.is::<CaptureLayer>()) {
        Ok(())
    } else {
        Err(LogError::ForeignSubscriber)
    }
}

fn level_of(level: &::tracing::Level) -> log::Level {
    match *level {
        ::tracing::Level::ERROR => log::Level::Error,
        ::tracing::Level::WARN => log::Level::Warn,
        ::tracing::Level::INFO => log::Level::Info,
        ::tracing::Level::DEBUG => log::Level::Debug,
        _ => log::Level::Trace,
    }
}

impl<S> Layer<S> for CaptureLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    /// Every callsite, always: collector levels change at run time and
    /// differ per thread, while `tracing` caches a callsite's interest for
    /// the whole process. Filtering happens per event, on the route's level.
    fn register_callsite(&self, _: &'static Metadata<'static>) -> Interest {
        Interest::always()
    }

    /// No hint, for the same reason: a hint would be cached by `tracing`
    /// until the next `rebuild_interest_cache`.
    fn max_level_hint(&self) -> Option<::tracing::level_filters::LevelFilter> {
        None
    }

    /// Formats the span's fields once, into its extensions, so that every
    /// event logged in it only clones a reference to their text.
    /// With `log-always`, a new span's line reaches `log` next, and is
    /// left out there (see `is_log_always_copy`).
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let _seen = Seen(attrs.metadata());
        if attrs.fields().is_empty() || !wanted(attrs.metadata()) {
            return;
        }
        let Some(pairs) = span_values(|visitor| attrs.record(visitor)) else {
            return;
        };
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(SpanFields::new(pairs));
        }
    }

    /// `span.record(..)`: a new value replaces the field's earlier one.
    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else {
            return;
        };
        // As for a new span: its `log-always` copy is left out.
        let _seen = Seen(span.metadata());
        if !wanted(span.metadata()) {
            return;
        }
        // User code runs here, with no lock of ours or the registry's held.
        let Some(pairs) = span_values(|visitor| values.record(visitor)) else {
            return;
        };
        let mut extensions = span.extensions_mut();
        match extensions.get_mut::<SpanFields>() {
            Some(fields) => fields.update(pairs),
            None => extensions.insert(SpanFields::new(pairs)),
        }
        drop(extensions);
        RECORDED.fetch_add(1, Ordering::AcqRel);
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let metadata = event.metadata();
        // With `tracing`'s `log-always`, the same event reaches `log` as
        // soon as this returns (after events its fields' `Display` logged).
        let _seen = Seen(metadata);
        let level = level_of(metadata.level());
        let depth = capture::nesting();
        if depth >= capture::MAX_NESTING {
            let message = Message::Static(
                "<event dropped: logged while formatting a record, nested too deep>",
            );
            let entry = capture::entry(level, Text::Static(metadata.target()), message);
            unattributed::report(entry, "a Display implementation logs recursively");
            return;
        }
        // As the `log` path does: decide whether anyone wants the event
        // (before any field is visited: an event no collector wants costs no
        // formatting), then format its fields with no route borrowed (a
        // field's `Display` may `enter()` a collector), then send it where
        // the route points now.
        let wanted = routing::with_route(|route| route.ok().map(Sink::wanted)).flatten();
        if wanted
            .as_ref()
            .is_some_and(|w| !w.wants(level, metadata.target()))
        {
            return;
        }
        let entry = event_entry(event, &ctx, level, depth, wanted.as_ref());
        routing::with_route(move |route| match route {
            Ok(sink) => {
                if sink.wants(level, metadata.target()) {
                    capture::deliver(sink, entry);
                }
            }
            Err(why) => unattributed::report_unrouted(entry, why),
        });
    }
}

thread_local! {
    /// The event this thread's layer saw last, until `log` brings its copy.
    static SEEN: Cell<Option<&'static Metadata<'static>>> = const { Cell::new(None) };
}

/// Marks its event as seen when the layer is done with it.
struct Seen(&'static Metadata<'static>);

impl Drop for Seen {
    fn drop(&mut self) {
        let _ = SEEN.try_with(|seen| seen.set(Some(self.0)));
    }
}

/// Whether `record` is a copy that `tracing`'s `log-always` feature (which
/// any crate in the graph may turn on) sends to `log` of what the layer
/// handles already: the event (or new or recorded span) the layer has just
/// seen on this thread (the bridge logs it right after dispatching it, with
/// its target, file, line and module, the last two not `'static` as `log`'s
/// macros make them), or a span's lifecycle line (targets `tracing::span`
/// and `tracing::span::active`). Spans are in the events' `spans`.
pub(crate) fn is_log_always_copy(record: &log::Record<'_>) -> bool {
    if record.module_path_static().is_some() || record.module_path().is_none() {
        // `log`'s own macros: never a copy.
        return false;
    }
    if matches!(record.target(), "tracing::span" | "tracing::span::active") {
        return true;
    }
    SEEN.try_with(|seen| match seen.get() {
        Some(meta)
            if record.line() == meta.line()
                && record.file() == meta.file()
                && record.module_path() == meta.module_path()
                && record.target() == meta.target()
                && record.level() == level_of(meta.level()) =>
        {
            seen.set(None);
            true
        }
        _ => false,
    })
    .unwrap_or(false)
}

/// Builds the entry for `event`; `wanted` (the collector's filter, when
/// routed) filters the span chain, as a filter would have disabled them.
fn event_entry<S>(
    event: &Event<'_>,
    ctx: &Context<'_, S>,
    level: log::Level,
    depth: u8,
    wanted: Option<&Wanted>,
) -> Entry
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    let mut visitor = FieldVisitor {
        message: None,
        extra: ExtraBuilder::new(),
    };
    // User `Display`/`Debug` impls run here: one level deeper, and a panic
    // in one must not escape into the caller's `tracing::info!`.
    let recorded = capture::nested(depth, || {
        catch_unwind(AssertUnwindSafe(|| event.record(&mut visitor)))
    });
    let FieldVisitor { message, mut extra } = visitor;
    let message = match recorded {
        Ok(()) => message.unwrap_or(Message::Static("")),
        Err(_) => {
            Message::Static("<a Display implementation panicked while formatting this event>")
        }
    };
    if let Some(scope) = ctx.event_scope(event) {
        let wants = |metadata: &Metadata<'_>| {
            wanted.is_none_or(|w| w.wants(level_of(metadata.level()), metadata.target()))
        };
        let (mut innermost, mut all_wanted, mut any_fields) = (None, true, false);
        for span in scope {
            let metadata = span.metadata();
            if wants(metadata) {
                extra.span_innermost_first(span.name());
                any_fields |= !metadata.fields().is_empty();
            } else {
                all_wanted = false;
            }
            if innermost.is_none() {
                innermost = Some(span);
            }
        }
        // Spans that declare no field cost only their names, as before.
        if let (true, Some(innermost)) = (any_fields, innermost) {
            let chain = match all_wanted {
                true => cached_chain(&innermost),
                // A filter leaves some spans out: a chain for this event.
                false => Arc::new(chain_of(innermost.scope().filter(|s| wants(s.metadata())))),
            };
            extra.span_chain(chain);
        }
    }
    let mut entry = capture::entry(level, Text::Static(event.metadata().target()), message);
    entry.extra = extra.finish();
    entry
}

/// The `Visit` methods that write a value with `Display` through the
/// visitor's `push` (numbers, booleans and errors are shown as themselves),
/// shared by the event and the span visitors.
macro_rules! visit_as_display {
    () => {
        visit_as_display!(
            record_i64: i64,
            record_u64: u64,
            record_i128: i128,
            record_u128: u128,
            record_f64: f64,
            record_bool: bool,
            record_error: &(dyn std::error::Error + 'static),
        );
    };
    ($($method:ident: $ty:ty,)*) => {
        $(
            fn $method(&mut self, field: &Field, value: $ty) {
                self.push(field, format_args!("{value}"));
            }
        )*
    };
}

/// Collects the `message` field into a [`Message`] (inline when short) and
/// the other fields as text, formatted as `tracing` gives them: `%x` with
/// `Display`, `?x` with `Debug`, numbers and booleans as themselves, and
/// strings as they are (unquoted).
struct FieldVisitor {
    message: Option<Message>,
    extra: ExtraBuilder,
}

impl FieldVisitor {
    fn push(&mut self, field: &Field, value: fmt::Arguments<'_>) {
        if field.name() == "message" {
            self.message = Some(Message::format(&value));
            return;
        }
        self.extra.field(Text::Static(field.name()), value);
    }
}

impl Visit for FieldVisitor {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.push(field, format_args!("{value:?}"));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message = Some(Message::copy(value));
            return;
        }
        self.extra.field_str(Text::Static(field.name()), value);
    }

    visit_as_display!();
}

/// Whether the collector this thread is routed to wants a span with
/// `metadata` (an unrouted thread: yes, its records are reported). A span
/// a filter leaves out (`hyper=off`) costs no formatting of its fields.
fn wanted(metadata: &Metadata<'_>) -> bool {
    routing::with_route(|route| match route {
        Ok(sink) => sink.wants(level_of(metadata.level()), metadata.target()),
        Err(_) => true,
    })
    .unwrap_or(true)
}

/// Bumped whenever a span records a value: every cached chain made before
/// may hold that span's old fields, and is made again when next used.
static RECORDED: AtomicU64 = AtomicU64::new(0);

/// The chain of a span and its parents, cached in its extensions.
struct CachedChain {
    /// [`RECORDED`] when it was made.
    recorded: u64,
    chain: Arc<SpanChain>,
}

/// The chain of `innermost` and its parents with their fields: from its
/// cache, or made (one allocation) and cached while no value is recorded.
fn cached_chain<S>(innermost: &SpanRef<'_, S>) -> Arc<SpanChain>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    let recorded = RECORDED.load(Ordering::Acquire);
    if let Some(cached) = innermost.extensions().get::<CachedChain>() {
        if cached.recorded == recorded {
            return Arc::clone(&cached.chain);
        }
    }
    let chain = Arc::new(chain_of(innermost.scope()));
    let fresh = CachedChain {
        recorded,
        chain: Arc::clone(&chain),
    };
    let mut extensions = innermost.extensions_mut();
    match extensions.get_mut::<CachedChain>() {
        Some(cached) => *cached = fresh,
        None => extensions.insert(fresh),
    }
    chain
}

/// The chain of `spans` (innermost first, as `tracing` walks them), with
/// each span's fields.
fn chain_of<'a, S>(spans: impl Iterator<Item = SpanRef<'a, S>>) -> SpanChain
where
    S: Subscriber + for<'b> LookupSpan<'b>,
{
    let mut spans: Vec<record::SpanRef> = spans
        .map(|span| {
            let fields = span
                .extensions()
                .get::<SpanFields>()
                .map(|f| Arc::clone(&f.text));
            (span.name(), fields)
        })
        .collect();
    spans.reverse();
    SpanChain { spans }
}

/// A span's fields, kept in its extensions: the values as given, and
/// their text as the session file writes it, shared by every event.
struct SpanFields {
    pairs: Vec<(&'static str, String)>,
    text: Arc<str>,
}

impl SpanFields {
    fn new(pairs: Vec<(&'static str, String)>) -> SpanFields {
        let text = Arc::from(span_fields_text(&pairs));
        SpanFields { pairs, text }
    }

    fn update(&mut self, recorded: Vec<(&'static str, String)>) {
        for (key, value) in recorded {
            match self.pairs.iter_mut().find(|(k, _)| *k == key) {
                Some(pair) => pair.1 = value,
                None => self.pairs.push((key, value)),
            }
        }
        self.text = Arc::from(span_fields_text(&self.pairs));
    }
}

/// Runs `record` with a visitor collecting a span's values, one nesting
/// level deeper (a `Display` that logs is a nested record) and catching a
/// panicking `Display`; `None` when there is no value.
fn span_values(record: impl FnOnce(&mut SpanVisitor)) -> Option<Vec<(&'static str, String)>> {
    let depth = capture::nesting();
    if depth >= capture::MAX_NESTING {
        return None;
    }
    let mut visitor = SpanVisitor(Vec::new());
    let recorded = capture::nested(depth, || {
        catch_unwind(AssertUnwindSafe(|| record(&mut visitor)))
    });
    if recorded.is_err() {
        visitor.0.push((
            "<fields>",
            "<a Display implementation panicked while formatting this span>".to_owned(),
        ));
    }
    (!visitor.0.is_empty()).then_some(visitor.0)
}

/// Collects a span's values as text, formatted as events' fields are.
struct SpanVisitor(Vec<(&'static str, String)>);

impl SpanVisitor {
    fn push(&mut self, field: &Field, value: fmt::Arguments<'_>) {
        let mut text = String::new();
        let _ = text.write_fmt(value);
        self.0.push((field.name(), text));
    }
}

impl Visit for SpanVisitor {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.push(field, format_args!("{value:?}"));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.push((field.name(), value.to_owned()));
    }

    visit_as_display!();
}

#[cfg(test)]
mod should {
    use tracing_subscriber::layer::SubscriberExt as _;

    use crate::engine::collector::LogCollector;
    use crate::engine::record::parse_records;

    #[test]
    fn write_span_chains_the_parser_reads_back_as_captured() {
        let dir = tempfile::tempdir().unwrap();
        let collector = LogCollector::without_ui(dir.path()).unwrap();
        let path = collector.start_new_session_blocking("spans.log").unwrap();
        let _route = collector.enter();
        let subscriber = tracing_subscriber::registry().with(super::layer());
        tracing::subscriber::with_default(subscriber, || {
            let request = tracing::info_span!("request", id = 7, user = tracing::field::Empty);
            let _request = request.enter();
            request.record("user", "ada lovelace");
            tracing::info_span!("check:out", note = "a=b, {c}").in_scope(|| {
                tracing::info!(n = 1, "round trip");
            });
        });
        let in_memory = collector.captured().unwrap();
        let text = std::fs::read_to_string(path).unwrap();
        let mut from_file = Vec::new();
        parse_records(&text, in_memory.records()[0].generation, &mut from_file);
        assert_eq!(from_file.len(), 1, "{text}");
        let (file, memory) = (&from_file[0], &in_memory.records()[0]);
        assert_eq!(file.spans, ["request", "check:out"]);
        assert_eq!(file.span_fields, memory.span_fields);
        assert_eq!(file.span_field("request", "user"), Some("ada lovelace"));
        assert_eq!(file.span_field("check:out", "note"), Some("a=b, {c}"));
        assert_eq!(file.to_string(), memory.to_string());
    }
}
