//! The `log::Log` implementation (the dispatcher) and its once-only install
//! (which also installs the `tracing` subscriber, with that feature).
//!
//! `log` has one logger per process. Ours does no I/O and takes no
//! process-wide lock on the caller's thread: it formats the record, picks a
//! collector with the thread-local route (see `routing`), and pushes it into
//! that collector's store under the collector's own lock (onto the records
//! held in memory, or onto the queue the persister drains: see
//! `store::Core::push`, which waits for room only when a disk collector's
//! persister is far behind).

use std::cell::RefCell;
#[cfg(feature = "kv")]
use std::fmt::Write as _;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, OnceLock};

use crate::engine::capture::{MAX_NESTING, deliver, entry, nested, nesting};
use crate::engine::message::Message;
#[cfg(any(feature = "kv", not(feature = "tracing")))]
use crate::engine::record::Extra;
use crate::engine::record::ExtraBuilder;
use crate::engine::record::{Entry, Text};
use crate::engine::registry;
use crate::engine::routing;
use crate::engine::unattributed;
use crate::error::LogError;

/// Targets remembered per thread, so the common case allocates no target.
const TARGET_CACHE: usize = 8;

struct Dispatcher;

static DISPATCHER: Dispatcher = Dispatcher;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Installed {
    Ours,
    Foreign,
}

static INSTALLED: OnceLock<Installed> = OnceLock::new();

thread_local! {
    static TARGETS: RefCell<Vec<Arc<str>>> = const { RefCell::new(Vec::new()) };
}

/// Installs the dispatcher as the `log` crate's logger, once per process.
///
/// Returns whether this call did the install.
pub(crate) fn install() -> Result<bool, LogError> {
    let mut installed_now = false;
    let state = INSTALLED.get_or_init(|| match log::set_logger(&DISPATCHER) {
        Ok(()) => {
            installed_now = true;
            // Before any other caller returns: a collector registered by one
            // must find `log`'s max level kept in step, or its first
            // records would be filtered out by the level `log` starts with.
            registry::logger_installed();
            Installed::Ours
        }
        Err(_) => Installed::Foreign,
    });
    match state {
        Installed::Ours => {
            if installed_now {
                // Find out once, early, whether threads inherit routes here
                // (it says so on stderr if another `pthread_create` is in charge).
                let _ = routing::inherits_routes();
            }
            #[cfg(feature = "tracing")]
            crate::engine::tracing::install()?;
            Ok(installed_now)
        }
        Installed::Foreign => Err(LogError::ForeignLogger),
    }
}

/// Installs the `logged-test` dispatcher as the global `log` logger, if it is
/// not installed yet. Idempotent.
///
/// Collectors capture `log::info!` and friends only once this has run;
/// [`LogCollector::init_global_logger`](crate::LogCollector::init_global_logger),
/// `TestLogs` and `#[logged_test]` call it for you. With the `tracing`
/// feature it also sets the global `tracing` subscriber (a registry with
/// `logged_test::tracing::layer()`), once, if none is set.
///
/// # Errors
///
/// - [`LogError::ForeignLogger`] when another logger already owns the `log`
///   slot: capture cannot work in this process then.
/// - [`LogError::ForeignSubscriber`] (feature `tracing`) when another global
///   `tracing` subscriber was set first and the subscriber in effect has no
///   `logged_test::tracing::layer()`.
///
/// # Examples
///
/// ```
/// logged_test::init_logger()?;
/// logged_test::init_logger()?; // a second call is fine
/// # Ok::<(), logged_test::LogError>(())
/// ```
pub fn init_logger() -> Result<(), LogError> {
    install().map(|_| ())
}

/// `log`'s macros use the module path as the target unless told otherwise;
/// that one is `'static`. Other targets are cached per thread.
fn target_of(record: &log::Record<'_>) -> Text {
    let target = record.target();
    match record.module_path_static() {
        // Same pointer first: the macros pass the very same `&'static str`.
        Some(module)
            if std::ptr::eq(module.as_ptr(), target.as_ptr()) && module.len() == target.len()
                || module == target =>
        {
            Text::Static(module)
        }
        _ => Text::Shared(interned_target(target)),
    }
}

fn interned_target(target: &str) -> Arc<str> {
    TARGETS
        .try_with(|cell| {
            let mut cache = cell.try_borrow_mut().ok()?;
            if let Some(hit) = cache.iter().find(|t| ***t == *target) {
                return Some(Arc::clone(hit));
            }
            let fresh: Arc<str> = Arc::from(target);
            if cache.len() >= TARGET_CACHE {
                cache.remove(0);
            }
            cache.push(Arc::clone(&fresh));
            Some(fresh)
        })
        .ok()
        .flatten()
        .unwrap_or_else(|| Arc::from(target))
}

/// Formats the record's message; records logged while doing so (a `Display`
/// that logs) see a deeper nesting level.
fn format_message(args: &std::fmt::Arguments<'_>, depth: u8) -> Message {
    if let Some(text) = args.as_str() {
        return Message::Static(text);
    }
    // A user `Display` may panic; the logger must not.
    nested(depth, || {
        catch_unwind(AssertUnwindSafe(|| Message::format(args))).unwrap_or(Message::Static(
            "<a Display implementation panicked while formatting this record>",
        ))
    })
}

#[inline]
fn record_entry(record: &log::Record<'_>, depth: u8) -> Entry {
    let message = format_message(record.args(), depth);
    #[cfg_attr(
        not(feature = "kv"),
        allow(unused_mut, reason = "only the `kv` feature adds to the entry")
    )]
    let mut entry = entry(record.level(), target_of(record), message);
    #[cfg(feature = "kv")]
    {
        let key_values = record.key_values();
        if key_values.count() > 0 {
            entry.extra = nested(depth, || format_key_values(key_values));
        }
    }
    entry
}

// With neither `kv` nor `tracing`, nothing builds fields: keep the builder
// compiled and checked all the same (no dead-code warnings in that build).
#[cfg(not(any(feature = "kv", feature = "tracing")))]
const _: () = {
    fn fields_unused_in_this_build() -> Option<Box<Extra>> {
        let mut extra = ExtraBuilder::new();
        extra.field_str(Text::Static(""), "");
        extra.finish()
    }
    let _ = fields_unused_in_this_build;
};

/// Whether the record has key-values this build captures (feature `kv`).
fn has_key_values(record: &log::Record<'_>) -> bool {
    #[cfg(feature = "kv")]
    {
        record.key_values().count() > 0
    }
    #[cfg(not(feature = "kv"))]
    {
        let _ = record;
        false
    }
}

/// A `log` record's key-values as fields. A value's `Display` may log
/// (the caller nests) or panic (the value says so).
#[cfg(feature = "kv")]
fn format_key_values(source: &dyn log::kv::Source) -> Option<Box<Extra>> {
    struct Collect(ExtraBuilder);

    impl<'kvs> log::kv::VisitSource<'kvs> for Collect {
        fn visit_pair(
            &mut self,
            key: log::kv::Key<'kvs>,
            value: log::kv::Value<'kvs>,
        ) -> Result<(), log::kv::Error> {
            let key = Text::Shared(Arc::from(key.as_str()));
            let mut text = String::new();
            let formatted = catch_unwind(AssertUnwindSafe(|| {
                let _ = write!(text, "{value}");
                text
            }));
            match formatted {
                Ok(text) => self.0.field_str(key, &text),
                Err(_) => self.0.field_str(
                    key,
                    "<a Display implementation panicked while formatting this value>",
                ),
            }
            Ok(())
        }
    }

    let mut collect = Collect(ExtraBuilder::new());
    let _ = source.visit(&mut collect);
    collect.0.finish()
}

/// Logs a record the crate makes itself (a line of a child process's
/// output) with `fields`, routed like any record of this thread, whether or
/// not `log`'s `kv` feature is on.
pub(crate) fn log_with_fields(
    level: log::Level,
    target: &str,
    message: &str,
    fields: &[(&'static str, &str)],
) {
    let build = || {
        let mut built = entry(
            level,
            Text::Shared(interned_target(target)),
            Message::copy(message),
        );
        let mut extra = ExtraBuilder::new();
        for (key, value) in fields {
            extra.field_str(Text::Static(key), value);
        }
        built.extra = extra.finish();
        built
    };
    routing::with_route(|route| match route {
        Ok(sink) => {
            if sink.wants(level, target) {
                deliver(sink, build());
            }
        }
        Err(why) => unattributed::report_unrouted(build(), why),
    });
}

impl log::Log for Dispatcher {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        routing::with_route(|route| match route {
            Ok(sink) => sink.wants(metadata.level(), metadata.target()),
            Err(_) => true,
        })
        .unwrap_or(true)
    }

    fn log(&self, record: &log::Record<'_>) {
        #[cfg(feature = "tracing")]
        if crate::engine::tracing::is_log_always_copy(record) {
            return;
        }
        // Records logged while formatting a record (a `Display` that logs) are
        // routed like any other; only runaway recursion is cut off.
        let depth = nesting();
        if depth >= MAX_NESTING {
            let message = Message::Static(
                "<record dropped: logged while formatting a record, nested too deep>",
            );
            let entry = entry(record.level(), target_of(record), message);
            unattributed::report(entry, "a Display implementation logs recursively");
            return;
        }
        // Decide first whether anyone wants the record, then format it with
        // no route borrowed (a `Display` may `enter()` a collector, which
        // pushes onto the route stack), then send it where the route points
        // now. The route is borrowed from the thread-local, not cloned: no
        // reference count is touched on the hot path of a routed thread.
        let level = record.level();
        if record.args().as_str().is_some() && !has_key_values(record) {
            // A static message with no key-values runs no user code while
            // it becomes an entry: route once.
            routing::with_route(move |route| match route {
                Ok(sink) => {
                    if sink.wants(level, record.target()) {
                        deliver(sink, record_entry(record, depth));
                    }
                }
                Err(why) => unattributed::report_unrouted(record_entry(record, depth), why),
            });
            return;
        }
        // The filter is checked here, before the message is formatted: a
        // record no collector wants costs no `Display` call.
        let wanted = routing::with_route(|route| match route {
            Ok(sink) => sink.wants(level, record.target()),
            Err(_) => true,
        });
        if wanted == Some(false) {
            return;
        }
        let entry = record_entry(record, depth);
        routing::with_route(move |route| match route {
            Ok(sink) => {
                if sink.wants(level, record.target()) {
                    deliver(sink, entry);
                }
            }
            Err(why) => unattributed::report_unrouted(entry, why),
        });
    }

    fn flush(&self) {
        // Flushing blocks on I/O, which a `log::Log` must not do; use
        // `LogCollector::wait_for_empty` or `TestLogs::flush` instead.
    }
}
