//! Capture of `tracing` events (feature `tracing`).
//!
//! With the feature on, [`init_logger`](crate::init_logger), `TestLogs`,
//! `#[logged_test]` and the rstest fixture also set the global `tracing`
//! subscriber, once per process, to a registry with [`layer()`]. Each event is
//! then routed like a `log` record (same rules, same collector, same level)
//! and captured with its fields and span names: see
//! [`CapturedRecord::fields`](crate::CapturedRecord::fields) and
//! [`CapturedRecord::spans`](crate::CapturedRecord::spans).
//!
//! A program that sets its own global subscriber adds [`layer()`] to it:
//!
//! ```
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

use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::OnceLock;

use ::tracing::field::{Field, Visit};
use ::tracing::subscriber::Interest;
use ::tracing::{Event, Metadata, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::{Context, SubscriberExt as _};
use tracing_subscriber::registry::LookupSpan;

use crate::engine::capture;
use crate::engine::message::Message;
use crate::engine::record::{Entry, ExtraBuilder, Text};
use crate::engine::registry::Sink;
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

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let metadata = event.metadata();
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
        // The filter is checked before any field is visited: an event no
        // collector wants costs no formatting.
        routing::with_route(|route| match route {
            Ok(sink) => {
                if sink.wants(level, metadata.target()) {
                    capture::deliver(sink, event_entry(event, &ctx, level, depth, Some(sink)));
                }
            }
            Err(why) => {
                unattributed::report(event_entry(event, &ctx, level, depth, None), why.describe())
            }
        });
    }
}

/// Builds the entry for `event`; `sink` (when routed) filters the span chain
/// by the collector's level, as a level filter would have disabled them.
fn event_entry<S>(
    event: &Event<'_>,
    ctx: &Context<'_, S>,
    level: log::Level,
    depth: u8,
    sink: Option<&Sink>,
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
        for span in scope {
            let metadata = span.metadata();
            if sink.is_none_or(|s| s.wants(level_of(metadata.level()), metadata.target())) {
                extra.span_innermost_first(span.name());
            }
        }
    }
    let mut entry = capture::entry(level, Text::Static(event.metadata().target()), message);
    entry.extra = extra.finish();
    entry
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

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.push(field, format_args!("{value}"));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.push(field, format_args!("{value}"));
    }

    fn record_i128(&mut self, field: &Field, value: i128) {
        self.push(field, format_args!("{value}"));
    }

    fn record_u128(&mut self, field: &Field, value: u128) {
        self.push(field, format_args!("{value}"));
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        self.push(field, format_args!("{value}"));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.push(field, format_args!("{value}"));
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.push(field, format_args!("{value}"));
    }
}
