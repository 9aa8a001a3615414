//! The per-thread route: which collector a `log` record on this thread goes to.
//!
//! Rules, in order (see the crate docs, "How routing works"):
//! 1. the innermost `enter`/`scope`/`bind` active on this thread;
//! 2. the newest collector created on this thread that is still alive;
//! 3. the only collector alive in the process, if there is exactly one;
//! 4. none: the record is unattributed.
//!
//! Everything here is thread-local, so the hot path takes no shared lock;
//! rule 3 is cached per thread and refreshed only when the registry changes.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use crate::dispatcher::{self, Sink};

struct ThreadRoutes {
    /// Rule 1: active scopes, innermost last; each with the token of its guard.
    stack: RefCell<Vec<(u64, Arc<Sink>)>>,
    next_token: Cell<u64>,
    /// Rule 2: collectors created on this thread, newest last.
    created_here: RefCell<Vec<Arc<Sink>>>,
    /// Rule 3 cache: registry epoch and the answer at that epoch.
    sole: RefCell<(u64, Option<Arc<Sink>>)>,
}

thread_local! {
    static ROUTES: ThreadRoutes = const {
        ThreadRoutes {
            stack: RefCell::new(Vec::new()),
            next_token: Cell::new(0),
            created_here: RefCell::new(Vec::new()),
            sole: RefCell::new((u64::MAX, None)),
        }
    };
}

/// Why a record has no collector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unrouted {
    /// The innermost scope belongs to a collector that was dropped.
    ScopeOfDroppedCollector,
    /// No rule matched, and more than one collector is alive.
    NoCollector,
    /// No rule matched, and no collector is alive at all.
    NoneAlive,
    /// Thread-local storage is being torn down on this thread.
    ThreadExiting,
}

/// Applies the four rules for the current thread and runs `f` with the
/// answer, borrowed from the thread-local state (no reference count is
/// touched). `None` only if `f` could not be run at all, which does not
/// happen: a thread whose locals are gone gets `Err(ThreadExiting)`.
pub(crate) fn with_route<R>(f: impl FnOnce(Result<&Sink, Unrouted>) -> R) -> Option<R> {
    let mut f = Some(f);
    let mut out = None;
    let _ = ROUTES.try_with(|routes| {
        if let Some(f) = f.take() {
            out = Some(route_in(routes, f));
        }
    });
    if let Some(f) = f.take() {
        out = Some(f(Err(Unrouted::ThreadExiting)));
    }
    out
}

fn route_in<R>(routes: &ThreadRoutes, f: impl FnOnce(Result<&Sink, Unrouted>) -> R) -> R {
    // Shared borrows only: a record logged while `f` formats another one
    // (a `Display` that logs) takes the same path again.
    if let Ok(stack) = routes.stack.try_borrow() {
        if let Some((_, sink)) = stack.last() {
            return if sink.is_alive() {
                f(Ok(sink))
            } else {
                f(Err(Unrouted::ScopeOfDroppedCollector))
            };
        }
    }
    if let Ok(created) = routes.created_here.try_borrow() {
        if let Some(sink) = created.iter().rev().find(|s| s.is_alive()) {
            return f(Ok(sink));
        }
    }
    let epoch = dispatcher::current_epoch();
    if let Ok(mut cache) = routes.sole.try_borrow_mut() {
        if cache.0 != epoch {
            *cache = dispatcher::sole_collector();
        }
    }
    match routes.sole.try_borrow() {
        Ok(cache) if cache.0 == epoch => match cache.1.as_deref().filter(|s| s.is_alive()) {
            Some(sink) => f(Ok(sink)),
            None => f(Err(no_collector())),
        },
        // Nested inside a refresh, or the registry changed meanwhile: ask it.
        _ => match dispatcher::sole_collector().1.filter(|s| s.is_alive()) {
            Some(sink) => f(Ok(&sink)),
            None => f(Err(no_collector())),
        },
    }
}

/// Rule 4: why no collector was found, for the unattributed report.
fn no_collector() -> Unrouted {
    if dispatcher::alive_count() == 0 {
        Unrouted::NoneAlive
    } else {
        Unrouted::NoCollector
    }
}

/// Rules 1 and 2 only: what a new thread should inherit from this one.
pub(crate) fn current_route() -> Option<Arc<Sink>> {
    ROUTES
        .try_with(|routes| {
            let from_stack = routes
                .stack
                .try_borrow()
                .ok()
                .and_then(|stack| stack.last().map(|(_, s)| Arc::clone(s)));
            from_stack.or_else(|| {
                routes
                    .created_here
                    .try_borrow()
                    .ok()
                    .and_then(|created| created.iter().rev().find(|s| s.is_alive()).cloned())
            })
        })
        .ok()
        .flatten()
}

/// Rule 2: remember that `sink`'s collector was created on this thread.
pub(crate) fn note_created_here(sink: &Arc<Sink>) {
    let _ = ROUTES.try_with(|routes| {
        if let Ok(mut created) = routes.created_here.try_borrow_mut() {
            created.retain(|s| s.is_alive());
            created.push(Arc::clone(sink));
        }
    });
}

fn push(sink: Arc<Sink>) -> Option<u64> {
    ROUTES
        .try_with(|routes| {
            let token = routes.next_token.get();
            routes.next_token.set(token.wrapping_add(1));
            let mut stack = routes.stack.try_borrow_mut().ok()?;
            stack.push((token, sink));
            Some(token)
        })
        .ok()
        .flatten()
}

fn pop(token: u64) {
    let _ = ROUTES.try_with(|routes| {
        if let Ok(mut stack) = routes.stack.try_borrow_mut() {
            // Guards usually drop innermost-first; tolerate any order.
            if let Some(pos) = stack.iter().rposition(|(t, _)| *t == token) {
                stack.remove(pos);
            }
        }
    });
}

/// Routes this thread to a collector until dropped; returned by
/// [`LogCollector::enter`](crate::LogCollector::enter).
///
/// Guards nest: the innermost one wins. A guard belongs to the thread that
/// made it, so it is neither `Send` nor `Sync`:
///
/// ```compile_fail
/// let dir = tempfile::tempdir().unwrap();
/// let collector = logged_test::LogCollector::without_ui(dir.path()).unwrap();
/// let guard = collector.enter();
/// std::thread::spawn(move || drop(guard));
/// ```
#[must_use = "the scope ends when the guard is dropped; bind it with `let _guard = ...`"]
#[derive(Debug)]
pub struct ScopeGuard {
    token: Option<u64>,
    _not_send: PhantomData<*const ()>,
}

impl Drop for ScopeGuard {
    fn drop(&mut self) {
        if let Some(token) = self.token {
            pop(token);
        }
    }
}

pub(crate) fn enter(sink: Arc<Sink>) -> ScopeGuard {
    ScopeGuard {
        token: push(sink),
        _not_send: PhantomData,
    }
}

/// Routes this thread for the rest of its life (runtime worker threads).
pub(crate) fn enter_for_thread(sink: Arc<Sink>) {
    let _ = push(sink);
}

/// Undoes [`enter_for_thread`] when a runtime thread stops.
pub(crate) fn leave_thread() {
    let _ = ROUTES.try_with(|routes| {
        if let Ok(mut stack) = routes.stack.try_borrow_mut() {
            stack.clear();
        }
    });
}

/// A future that routes to a collector while it is being polled; returned by
/// [`LogCollector::scope`](crate::LogCollector::scope).
///
/// Scopes the future enters itself and holds across an `.await`
/// (`let _g = other.enter(); x.await;`) are parked while it is suspended and
/// restored on its next poll, so they never leak to other tasks polled on the
/// same thread.
pub(crate) struct Scoped<F> {
    sink: Arc<Sink>,
    parked: Vec<(u64, Arc<Sink>)>,
    // Boxed so that no unsafe pin projection is needed.
    inner: Pin<Box<F>>,
}

impl<F: Future> Future for Scoped<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = &mut *self;
        let guard = enter(Arc::clone(&this.sink));
        restore(&mut this.parked);
        let poll = this.inner.as_mut().poll(cx);
        if let Some(token) = guard.token {
            park_above(token, &mut this.parked);
        }
        drop(guard);
        poll
    }
}

/// Pushes back the entries `park_above` took off this thread's stack.
fn restore(parked: &mut Vec<(u64, Arc<Sink>)>) {
    if parked.is_empty() {
        return;
    }
    let _ = ROUTES.try_with(|routes| {
        if let Ok(mut stack) = routes.stack.try_borrow_mut() {
            stack.append(parked);
        }
    });
}

/// Moves the entries above `token` (scopes entered by the future and still
/// held) off this thread's stack into `parked`.
fn park_above(token: u64, parked: &mut Vec<(u64, Arc<Sink>)>) {
    let _ = ROUTES.try_with(|routes| {
        if let Ok(mut stack) = routes.stack.try_borrow_mut() {
            if let Some(pos) = stack.iter().rposition(|(t, _)| *t == token) {
                parked.extend(stack.drain(pos + 1..));
            }
        }
    });
}

pub(crate) fn scope<F: Future>(sink: Arc<Sink>, fut: F) -> Scoped<F> {
    Scoped {
        sink,
        parked: Vec::new(),
        inner: Box::pin(fut),
    }
}

pub(crate) fn bind<F, R>(sink: Arc<Sink>, f: F) -> impl FnOnce() -> R + Send + use<F, R>
where
    F: FnOnce() -> R + Send,
{
    move || {
        let _guard = enter(sink);
        f()
    }
}
