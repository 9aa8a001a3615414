//! `thread::spawn`, a drop-in for `std::thread::spawn` that keeps the route.

use std::thread::JoinHandle;

use crate::engine::routing;

/// Spawns a thread like [`std::thread::spawn`], routed to the collector this
/// thread is routed to (by `enter`/`scope`/`bind`, or by having created it),
/// and named like this thread, so its records show which test they belong to.
/// Inside [`detached`](crate::detached) it carries no route.
///
/// # Panics
///
/// Like `std::thread::spawn`, if the OS cannot create a thread.
///
/// # Examples
///
/// ```
/// use logged_test::prelude::*;
///
/// let dir = tempfile::tempdir()?;
/// let collector = logged_test::LogCollector::without_ui(dir.path())?;
/// logged_test::init_logger()?;
/// let _guard = collector.enter();
/// logged_test::thread::spawn(|| log::info!("from a helper thread"))
///     .join()
///     .unwrap();
/// assert!(collector.captured()?.contains("from a helper thread"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[track_caller]
#[expect(
    clippy::panic,
    reason = "documented under `# Panics`, as `std::thread::spawn` does"
)]
pub fn spawn<F, T>(f: F) -> JoinHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let route = routing::current_route();
    let mut builder = std::thread::Builder::new();
    if let Some(name) = std::thread::current().name() {
        builder = builder.name(name.to_owned());
    }
    let run = move || match route {
        Some(sink) => {
            routing::mark_test_thread();
            let _guard = routing::enter(sink);
            f()
        }
        None => f(),
    };
    match builder.spawn(run) {
        Ok(handle) => handle,
        Err(e) => panic!("failed to spawn thread: {e}"),
    }
}
