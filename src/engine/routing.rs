//! The per-thread route: which collector a `log` record on this thread goes to.
//!
//! Rules, in order (see the crate docs, "How routing works"):
//! 1. the innermost `enter`/`scope`/`bind` active on this thread;
//! 2. the newest collector created on this thread that is still alive;
//! 3. the route this thread inherited when it was created (weak: it never
//!    keeps a collector alive), or, for a thread created while its creator
//!    had no route, the route its nearest routed ancestor has now, when that
//!    is sound (see [`Node`]);
//! 4. the only collector alive in the process, if there is exactly one, for a
//!    thread with no history of another test: not orphaned (a thread whose
//!    route came from a collector that is gone), not a thread whose own
//!    route ended (see [`ThreadRoutes::was_routed`]), and not a thread whose
//!    *origin* differs from the collector's (see [`Origin`]);
//! 5. none: the record is unattributed.
//!
//! Everything a routed thread reads when it logs is thread-local, so that
//! path takes no shared lock; rule 4 is cached per thread and refreshed only
//! when the registry changes. Only a thread with no route of its own walks
//! its creator chain, taking each ancestor's own (uncontended) lock.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError, Weak};
use std::task::{Context, Poll};

use crate::engine::registry::{self, Sink};

struct ThreadRoutes {
    /// Rule 1: active scopes, innermost last; each with the token of its guard.
    stack: RefCell<Vec<(u64, Arc<Sink>)>>,
    next_token: Cell<u64>,
    /// Rule 2: collectors created on this thread, newest last.
    created_here: RefCell<Vec<Arc<Sink>>>,
    /// Rule 3: the route inherited at creation or adopted through the creator
    /// chain. `Some` of a dead `Weak` means orphaned.
    inherited: RefCell<Option<Weak<Sink>>>,
    /// This thread's place in the creator chain, once it has one.
    node: RefCell<Option<Arc<Node>>>,
    /// Rule 4 cache: registry epoch and the answer at that epoch.
    sole: RefCell<(u64, Option<Arc<Sink>>)>,
    /// Whether this thread was ever a test's for good: a collector was
    /// created on it, a `TestLogs` routed it, it is a test runtime's thread
    /// or was spawned by `logged_test::thread::spawn`. Such a thread whose
    /// route ended skips rule 4 (its late records are its test's, not the
    /// next one's). Short routes (`enter`, `scope`, `bind`), which may run
    /// on shared threads, do not count.
    was_routed: Cell<bool>,
    /// Depth of [`detached`] calls active on this thread.
    detached: Cell<u32>,
}

thread_local! {
    static ROUTES: ThreadRoutes = const {
        ThreadRoutes {
            stack: RefCell::new(Vec::new()),
            next_token: Cell::new(0),
            created_here: RefCell::new(Vec::new()),
            inherited: RefCell::new(None),
            node: RefCell::new(None),
            sole: RefCell::new((u64::MAX, None)),
            was_routed: Cell::new(false),
            detached: Cell::new(0),
        }
    };
}

/// Orders thread creations and route beginnings, process-wide.
static SEQ: AtomicU64 = AtomicU64::new(1);

fn next_seq() -> u64 {
    SEQ.fetch_add(1, Ordering::Relaxed)
}

/// Creator chains longer than this are cut: a thread that deep resolves no
/// further (it keeps memory bounded when threads start threads forever).
const MAX_DEPTH: u8 = 16;

/// A thread's place in the creator chain, shared with the threads it creates.
///
/// A thread created while its creator had no route keeps a link to its
/// creator. When it logs with no route of its own it walks up the links to
/// the nearest ancestor that has ever been routed and takes that ancestor's
/// route *now*, if that is sound: the thread just below the ancestor in the
/// chain was created after the ancestor's current route began, or no other
/// route began on the ancestor between that creation and the current route
/// (a libtest thread runs one test, so its route is the test's). The answer
/// is then kept as this thread's inherited route.
#[derive(Debug)]
pub(crate) struct Node {
    creator: Option<Arc<Node>>,
    /// `SEQ` when the thread was created.
    born: u64,
    depth: u8,
    /// Whether threads were created from this one: only then is its route
    /// published on every change.
    has_children: AtomicBool,
    published: Mutex<Published>,
    /// The start routine and argument the thread-creation hook hands over to
    /// the new thread (as addresses; zero once taken).
    handoff: [AtomicUsize; 2],
    /// The thread this one is, or descends from, among those the main
    /// thread created (under libtest: the thread of one test).
    origin: Option<Arc<Origin>>,
    /// Whether threads created from this one start an origin of their own:
    /// true for the main thread (any thread not created through the hook).
    starts_origins: bool,
    /// Whether this thread is its origin's thread (created by the main thread).
    is_origin: bool,
}

/// A thread created by the main thread, as its descendants remember it.
///
/// libtest runs each test on a thread the main thread creates, named after
/// the test, and creates no other thread; so under libtest an origin is a
/// test, and two threads with different origins belong to different tests.
/// Threads created inside [`detached`] have no origin, nor do the main
/// thread and (where the hook is off) every thread.
#[derive(Debug)]
pub(crate) struct Origin {
    /// Unique per origin, never zero.
    id: u64,
    /// The origin thread's name (under libtest, its test's name), recorded
    /// when it first creates a thread.
    name: OnceLock<Option<Box<str>>>,
}

static NEXT_ORIGIN: AtomicU64 = AtomicU64::new(1);

/// The route a thread has now, as its descendants see it.
#[derive(Debug, Default)]
struct Published {
    /// The last distinct route this thread had (identity, weak handle).
    last: Option<(usize, Weak<Sink>)>,
    /// Whether `last` is the thread's route right now.
    routed_now: bool,
    /// `SEQ` when `last` began.
    since: u64,
    /// `SEQ` when the route before `last` began.
    prev_since: Option<u64>,
}

impl Node {
    fn new(creator: Option<Arc<Node>>, depth: u8, inherited: Option<Weak<Sink>>) -> Node {
        Node::with_origin(creator, depth, inherited, None, false, false)
    }

    fn with_origin(
        creator: Option<Arc<Node>>,
        depth: u8,
        inherited: Option<Weak<Sink>>,
        origin: Option<Arc<Origin>>,
        starts_origins: bool,
        is_origin: bool,
    ) -> Node {
        let born = next_seq();
        let published = Published {
            routed_now: inherited.is_some(),
            last: inherited.map(|w| (Weak::as_ptr(&w) as usize, w)),
            since: born,
            prev_since: None,
        };
        Node {
            creator,
            born,
            depth,
            has_children: AtomicBool::new(false),
            published: Mutex::new(published),
            handoff: [AtomicUsize::new(0), AtomicUsize::new(0)],
            origin,
            starts_origins,
            is_origin,
        }
    }

    fn origin_id(&self) -> u64 {
        self.origin.as_ref().map_or(0, |o| o.id)
    }

    fn published(&self) -> MutexGuard<'_, Published> {
        // Every critical section is a few field stores: recover from poison.
        self.published
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Stores the start routine and argument for the new thread.
    #[cfg_attr(
        not(logged_test_inherit),
        allow(
            dead_code,
            reason = "only the `inherit` hook calls it, compiled where `build.rs` sets `logged_test_inherit`"
        )
    )]
    pub(crate) fn set_handoff(&self, routine: usize, arg: usize) {
        let [r, a] = &self.handoff;
        r.store(routine, Ordering::Relaxed);
        a.store(arg, Ordering::Relaxed);
    }

    /// Takes what [`set_handoff`](Self::set_handoff) stored.
    #[cfg_attr(
        not(logged_test_inherit),
        allow(
            dead_code,
            reason = "only the `inherit` hook calls it, compiled where `build.rs` sets `logged_test_inherit`"
        )
    )]
    pub(crate) fn take_handoff(&self) -> (usize, usize) {
        let [r, a] = &self.handoff;
        (r.swap(0, Ordering::Relaxed), a.swap(0, Ordering::Relaxed))
    }
}

/// Why a record has no collector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unrouted {
    /// The innermost scope belongs to a collector that was dropped.
    ScopeOfDroppedCollector,
    /// The route this thread inherited (or its creator's) is a collector
    /// that is gone.
    Orphaned,
    /// The nearest routed ancestor's route began after this thread was
    /// created and after another route on that ancestor: it may not be ours.
    CreatedBeforeRoute,
    /// No rule matched, and more than one collector is alive.
    NoCollector,
    /// No rule matched, and no collector is alive at all.
    NoneAlive,
    /// Thread-local storage is being torn down on this thread.
    ThreadExiting,
    /// This thread is, or was created by, the thread another test runs on
    /// (its origin is not the only collector's).
    OtherTest,
    /// This thread was a test's, and that route ended (a record logged
    /// after the test's `TestLogs` was dropped, or by a thread-local
    /// destructor as the thread exits).
    RouteEnded,
}

impl Unrouted {
    /// Why the record is unattributed, as the stderr line says it.
    pub(crate) fn describe(self) -> &'static str {
        match self {
            Unrouted::ScopeOfDroppedCollector => "the collector of this thread's scope was dropped",
            Unrouted::Orphaned => "its collector ended",
            Unrouted::CreatedBeforeRoute => {
                "this thread was created before its creator's current route began"
            }
            Unrouted::NoCollector => "no collector is routed to this thread and several are alive",
            Unrouted::NoneAlive => "no collector is alive",
            Unrouted::ThreadExiting => "the thread is exiting",
            Unrouted::OtherTest => {
                "this thread belongs to another test (it is, or was started from, that test's thread)"
            }
            Unrouted::RouteEnded => "this thread's test route ended",
        }
    }
}

/// Applies the rules for the current thread and runs `f` with the answer,
/// borrowed from the thread-local state (for rules 1 and 2 no reference
/// count is touched). `None` only if `f` could not be run at all, which does
/// not happen: a thread whose locals are gone gets `Err(ThreadExiting)`.
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
    // Shared borrows only, held while `f` runs; `f` runs no user code.
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
    match inherited_route(routes) {
        Inherited::Alive(sink) => return f(Ok(&sink)),
        Inherited::Unrouted(why) => return f(Err(why)),
        Inherited::Never => {}
    }
    if routes.was_routed.get() {
        return f(Err(Unrouted::RouteEnded));
    }
    let mine = match routes.node.try_borrow() {
        Ok(node) => node.as_ref().map_or(0, |n| n.origin_id()),
        Err(_) => 0,
    };
    // Rule 4 only where it cannot misfile: a thread of one test (its origin)
    // never logs into a collector of another test.
    let sole = |sink: &Sink| mine == 0 || sink.home() == 0 || sink.home() == mine;
    let epoch = registry::current_epoch();
    if let Ok(mut cache) = routes.sole.try_borrow_mut() {
        if cache.0 != epoch {
            *cache = registry::sole_collector();
        }
    }
    match routes.sole.try_borrow() {
        Ok(cache) if cache.0 == epoch => match cache.1.as_deref().filter(|s| s.is_alive()) {
            Some(sink) if sole(sink) => f(Ok(sink)),
            Some(_) => f(Err(Unrouted::OtherTest)),
            None => f(Err(no_collector())),
        },
        // Nested inside a refresh, or the registry changed meanwhile: ask it.
        _ => match registry::sole_collector().1.filter(|s| s.is_alive()) {
            Some(sink) if sole(&sink) => f(Ok(&sink)),
            Some(_) => f(Err(Unrouted::OtherTest)),
            None => f(Err(no_collector())),
        },
    }
}

/// The last rule: why no collector was found, for the unattributed report.
fn no_collector() -> Unrouted {
    if registry::alive_count() == 0 {
        Unrouted::NoneAlive
    } else {
        Unrouted::NoCollector
    }
}

enum Inherited {
    Alive(Arc<Sink>),
    Unrouted(Unrouted),
    /// This thread never had a route: rule 4 may apply.
    Never,
}

/// Rule 3: the inherited route, else the creator chain (whose answer is
/// then kept as the inherited route).
fn inherited_route(routes: &ThreadRoutes) -> Inherited {
    if let Ok(inherited) = routes.inherited.try_borrow() {
        if let Some(weak) = inherited.as_ref() {
            return match weak.upgrade() {
                Some(sink) if sink.is_alive() => Inherited::Alive(sink),
                _ => Inherited::Unrouted(Unrouted::Orphaned),
            };
        }
    }
    let node = match routes.node.try_borrow() {
        Ok(node) => node.clone(),
        Err(_) => None,
    };
    let Some(node) = node else {
        return Inherited::Never;
    };
    let (answer, keep) = walk_creators(&node);
    if let Some(keep) = keep {
        if let Ok(mut inherited) = routes.inherited.try_borrow_mut() {
            *inherited = Some(keep);
        }
        republish(routes);
    }
    answer
}

/// Walks up from `node` to the nearest ancestor that has ever been routed.
/// Returns the answer and, when it is final, the route to keep.
fn walk_creators(node: &Node) -> (Inherited, Option<Weak<Sink>>) {
    let mut below_born = node.born;
    let mut next = node.creator.as_deref();
    while let Some(ancestor) = next {
        let published = ancestor.published();
        let Some((_, weak)) = published.last.as_ref() else {
            below_born = ancestor.born;
            next = ancestor.creator.as_deref();
            continue;
        };
        if !published.routed_now {
            // Its route ended: ours with it. Not kept, since a thread that
            // routes only while polling a scoped future routes again.
            return (Inherited::Unrouted(Unrouted::Orphaned), None);
        }
        return match weak.upgrade() {
            Some(sink) if sink.is_alive() => {
                let sound = below_born > published.since
                    || published.prev_since.is_none_or(|prev| prev < below_born);
                if sound {
                    let keep = Arc::downgrade(&sink);
                    (Inherited::Alive(sink), Some(keep))
                } else {
                    (Inherited::Unrouted(Unrouted::CreatedBeforeRoute), None)
                }
            }
            _ => (
                Inherited::Unrouted(Unrouted::Orphaned),
                Some(Weak::clone(weak)),
            ),
        };
    }
    (Inherited::Never, None)
}

/// This thread's route by rules 1 to 3 as a weak handle, without walking the
/// creator chain: what a thread created now inherits. Dead handles count
/// (an orphaned thread's children are orphaned too).
fn own_route(routes: &ThreadRoutes) -> Option<Weak<Sink>> {
    if let Ok(stack) = routes.stack.try_borrow() {
        if let Some((_, sink)) = stack.last() {
            return Some(Arc::downgrade(sink));
        }
    }
    if let Ok(created) = routes.created_here.try_borrow() {
        if let Some(sink) = created.iter().rev().find(|s| s.is_alive()) {
            return Some(Arc::downgrade(sink));
        }
    }
    routes.inherited.try_borrow().ok().and_then(|w| w.clone())
}

/// The identity of [`own_route`], without touching a reference count.
fn own_route_id(routes: &ThreadRoutes) -> Option<usize> {
    if let Ok(stack) = routes.stack.try_borrow() {
        if let Some((_, sink)) = stack.last() {
            return Some(Arc::as_ptr(sink) as usize);
        }
    }
    if let Ok(created) = routes.created_here.try_borrow() {
        if let Some(sink) = created.iter().rev().find(|s| s.is_alive()) {
            return Some(Arc::as_ptr(sink) as usize);
        }
    }
    routes
        .inherited
        .try_borrow()
        .ok()
        .and_then(|w| w.as_ref().map(|w| Weak::as_ptr(w) as usize))
}

/// Publishes this thread's route for its descendants, if it has any.
fn republish(routes: &ThreadRoutes) {
    let Ok(node) = routes.node.try_borrow() else {
        return;
    };
    let Some(node) = node.as_deref() else {
        return;
    };
    if !node.has_children.load(Ordering::Relaxed) {
        return;
    }
    publish(routes, node);
}

fn publish(routes: &ThreadRoutes, node: &Node) {
    node.published()
        .set(own_route_id(routes), || own_route(routes));
}

impl Published {
    /// Records that the thread's route is now the one with identity `id`
    /// (`None`: no route); `weak` makes its handle, asked only for a route
    /// other than the last one, so re-entering the same collector (a future
    /// polled in a scope) touches no reference count and is no new route.
    fn set(&mut self, id: Option<usize>, weak: impl FnOnce() -> Option<Weak<Sink>>) {
        match id {
            None => self.routed_now = false,
            Some(id) if self.last.as_ref().is_some_and(|(last, _)| *last == id) => {
                self.routed_now = true;
            }
            Some(_) => {
                if let Some(weak) = weak() {
                    if self.last.is_some() {
                        self.prev_since = Some(self.since);
                    }
                    self.since = next_seq();
                    self.last = Some((Weak::as_ptr(&weak) as usize, weak));
                    self.routed_now = true;
                }
            }
        }
    }
}

/// Called on a thread that is creating another: what the new thread starts
/// with. `None` when this thread's locals are gone (it is exiting).
#[cfg_attr(
    not(logged_test_inherit),
    allow(
        dead_code,
        reason = "only the `inherit` hook calls it, compiled where `build.rs` sets `logged_test_inherit`"
    )
)]
pub(crate) fn child_node() -> Option<Arc<Node>> {
    ROUTES
        .try_with(|routes| {
            if routes.detached.get() > 0 {
                // Belongs to no test: no route, no creator, no origin.
                return Some(Arc::new(Node::new(None, 1, None)));
            }
            let parent = own_node(routes)?;
            if !parent.has_children.swap(true, Ordering::Relaxed) {
                publish(routes, &parent);
            }
            let inherited = own_route(routes);
            let creator = (inherited.is_none() && parent.depth < MAX_DEPTH).then_some(&parent);
            let depth = parent.depth.saturating_add(1);
            let is_origin = parent.starts_origins;
            let origin = if is_origin {
                Some(Arc::new(Origin {
                    id: NEXT_ORIGIN.fetch_add(1, Ordering::Relaxed),
                    name: OnceLock::new(),
                }))
            } else {
                if let Some(origin) = parent.origin.as_ref() {
                    // The origin thread itself names it, once: its own name.
                    if parent.is_origin {
                        origin.name.get_or_init(current_thread_name);
                    }
                }
                parent.origin.clone()
            };
            Some(Arc::new(Node::with_origin(
                creator.cloned(),
                depth,
                inherited,
                origin,
                false,
                is_origin,
            )))
        })
        .ok()
        .flatten()
}

/// This thread's node; made on first use for a thread that was not created
/// through the hook (the main thread).
fn own_node(routes: &ThreadRoutes) -> Option<Arc<Node>> {
    let mut node = routes.node.try_borrow_mut().ok()?;
    Some(Arc::clone(node.get_or_insert_with(|| {
        Arc::new(Node::with_origin(None, 0, None, None, true, false))
    })))
}

/// This thread's name, if it has one and it can be had (not while the
/// thread is exiting).
fn current_thread_name() -> Option<Box<str>> {
    std::panic::catch_unwind(|| std::thread::current().name().map(Box::from))
        .ok()
        .flatten()
}

/// This thread's origin id (0: none).
fn own_origin_id(routes: &ThreadRoutes) -> u64 {
    routes
        .node
        .try_borrow()
        .ok()
        .and_then(|n| n.as_ref().map(|n| n.origin_id()))
        .unwrap_or(0)
}

/// Where the current thread comes from, for an unattributed record's line:
/// `Some((origin thread's name, whether this is the origin thread))`, when
/// this thread has an origin whose name is known.
pub(crate) fn origin_name() -> Option<(Box<str>, bool)> {
    ROUTES
        .try_with(|routes| {
            let node = routes.node.try_borrow().ok()?;
            let node = node.as_ref()?;
            let origin = node.origin.as_ref()?;
            let is_origin = node.is_origin;
            if is_origin {
                origin.name.get_or_init(current_thread_name);
            }
            let name = origin.name.get()?.as_ref()?.clone();
            Some((name, is_origin))
        })
        .ok()
        .flatten()
}

/// Called first thing on a thread created through the hook.
#[cfg_attr(
    not(logged_test_inherit),
    allow(
        dead_code,
        reason = "only the `inherit` hook calls it, compiled where `build.rs` sets `logged_test_inherit`"
    )
)]
pub(crate) fn adopt(node: Arc<Node>) {
    let _ = ROUTES.try_with(|routes| {
        let inherited = node.published().last.as_ref().map(|(_, w)| Weak::clone(w));
        if let Ok(mut slot) = routes.inherited.try_borrow_mut() {
            *slot = inherited;
        }
        if let Ok(mut slot) = routes.node.try_borrow_mut() {
            *slot = Some(node);
        }
    });
}

/// Rules 1 to 3: what a thread started by [`crate::engine::thread::spawn`] enters.
pub(crate) fn current_route() -> Option<Arc<Sink>> {
    if is_detached() {
        return None;
    }
    ROUTES
        .try_with(|routes| match own_route(routes) {
            Some(weak) => weak.upgrade(),
            // No route of its own: perhaps its creator's, found now.
            None => match inherited_route(routes) {
                Inherited::Alive(sink) => Some(sink),
                _ => None,
            },
        })
        .ok()
        .flatten()
}

/// Rule 2: remember that `sink`'s collector was created on this thread.
pub(crate) fn note_created_here(sink: &Arc<Sink>) {
    let _ = ROUTES.try_with(|routes| {
        sink.set_home(own_origin_id(routes));
        routes.was_routed.set(true);
        if let Ok(mut created) = routes.created_here.try_borrow_mut() {
            created.retain(|s| s.is_alive());
            created.push(Arc::clone(sink));
        }
        republish(routes);
    });
    crate::engine::unattributed::note_collector(sink.id);
}

fn push(sink: Arc<Sink>) -> Option<u64> {
    ROUTES
        .try_with(|routes| {
            let token = routes.next_token.get();
            routes.next_token.set(token.wrapping_add(1));
            routes.stack.try_borrow_mut().ok()?.push((token, sink));
            republish(routes);
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
        republish(routes);
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

/// A route entered on the thread that made it, for an owner that may be
/// shared with or moved to other threads (`TestLogs` is `Send + Sync`):
/// dropped on its own thread it leaves the route; dropped elsewhere it does
/// nothing (the entry on its thread then points at a collector that ended,
/// whose records are unattributed, never another test's).
#[derive(Debug)]
pub(crate) struct ThreadRoute {
    thread: Option<std::thread::ThreadId>,
    token: Option<u64>,
}

impl ThreadRoute {
    pub(crate) fn enter(sink: Arc<Sink>) -> ThreadRoute {
        mark_test_thread();
        ThreadRoute {
            thread: current_thread_id(),
            token: push(sink),
        }
    }
}

impl Drop for ThreadRoute {
    fn drop(&mut self) {
        if let (Some(token), Some(thread)) = (self.token, self.thread) {
            if current_thread_id() == Some(thread) {
                pop(token);
            }
        }
    }
}

/// This thread's id; `None` if it cannot be had (while it is exiting).
fn current_thread_id() -> Option<std::thread::ThreadId> {
    std::panic::catch_unwind(|| std::thread::current().id()).ok()
}

/// Routes this thread for the rest of its life (runtime worker threads).
pub(crate) fn enter_for_thread(sink: Arc<Sink>) {
    mark_test_thread();
    let _ = push(sink);
}

/// Marks this thread as a test's for good (see `ThreadRoutes::was_routed`).
pub(crate) fn mark_test_thread() {
    let _ = ROUTES.try_with(|routes| routes.was_routed.set(true));
}

/// Whether threads inherit their creator's route in this process: the hook
/// is compiled in (Linux with dynamic glibc, feature `inherit`, no sanitizer,
/// no `crt-static`) and it is the `pthread_create` threads are created with
/// (checked once per process by creating a thread: another interposer, or a
/// duplicate definition linked silently, turns inheritance off and says so
/// on stderr and in failure reports).
///
/// # Examples
///
/// ```
/// let inherits = logged_test::inherits_routes();
/// if !cfg!(all(target_os = "linux", target_env = "gnu")) {
///     assert!(!inherits);
/// }
/// ```
pub fn inherits_routes() -> bool {
    #[cfg(logged_test_inherit)]
    {
        crate::engine::inherit::works()
    }
    #[cfg(not(logged_test_inherit))]
    {
        false
    }
}

/// The failure-report note when inheritance is compiled in but off.
pub(crate) fn inheritance_off_note() -> Option<&'static str> {
    #[cfg(logged_test_inherit)]
    {
        (!crate::engine::inherit::works()).then_some(crate::engine::inherit::OFF_NOTE)
    }
    #[cfg(not(logged_test_inherit))]
    {
        None
    }
}

/// Whether [`detached`] is running on this thread.
pub(crate) fn is_detached() -> bool {
    ROUTES.try_with(|r| r.detached.get() > 0).unwrap_or(false)
}

/// Runs `f` so that every thread it creates, and every thread those
/// create, belongs to no test: for pools shared by tests (rayon's global
/// pool, a `static` tokio runtime, a background worker in a `OnceLock`).
///
/// Threads created inside `f` inherit no route and keep no link to this
/// thread, whatever this thread is routed to: they are not this test's.
/// When they log, the only collector alive takes their records (rule 4:
/// sequential runs, `--test-threads=1`, `cargo nextest`); with several
/// alive, their records are unattributed, never put in another test's log.
/// `logged_test::thread::spawn` inside `f` carries no route either. What
/// `f` logs on this thread is routed as usual.
///
/// # Examples
///
/// ```
/// use std::sync::{LazyLock, Mutex, mpsc};
///
/// // A background worker shared by every test: created detached, so it
/// // belongs to none of them.
/// static WORKER: LazyLock<Mutex<mpsc::Sender<String>>> = LazyLock::new(|| {
///     logged_test::detached(|| {
///         let (tx, rx) = mpsc::channel::<String>();
///         std::thread::spawn(move || {
///             for job in rx {
///                 log::info!("worker did {job}");
///             }
///         });
///         Mutex::new(tx)
///     })
/// });
///
/// let sent = WORKER.lock().unwrap().send("a job".to_owned());
/// assert!(sent.is_ok());
/// assert_eq!(logged_test::detached(|| 1 + 1), 2);
/// ```
pub fn detached<R>(f: impl FnOnce() -> R) -> R {
    struct Leave;
    impl Drop for Leave {
        fn drop(&mut self) {
            let _ = ROUTES.try_with(|r| r.detached.set(r.detached.get().saturating_sub(1)));
        }
    }
    let _ = ROUTES.try_with(|r| r.detached.set(r.detached.get().saturating_add(1)));
    let _leave = Leave;
    f()
}

/// Undoes [`enter_for_thread`] when a runtime thread stops.
pub(crate) fn leave_thread() {
    let _ = ROUTES.try_with(|routes| {
        if let Ok(mut stack) = routes.stack.try_borrow_mut() {
            stack.clear();
        }
        republish(routes);
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
        republish(routes);
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
        republish(routes);
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

#[cfg(test)]
mod should {
    use super::*;

    fn sink(id: u64) -> Arc<Sink> {
        let core = crate::engine::store::Core::new(
            id,
            crate::engine::store::Mode::Memory,
            std::path::PathBuf::from("unused"),
            crate::engine::store::CreateDir::Exists,
            None,
        );
        Arc::new(Sink::new(Arc::new(core)))
    }

    /// A node of a thread that has created threads.
    fn ancestor() -> Arc<Node> {
        let node = Arc::new(Node::new(None, 0, None));
        node.has_children.store(true, Ordering::Relaxed);
        node
    }

    fn route(node: &Node, to: Option<&Arc<Sink>>) {
        node.published()
            .set(to.map(|s| Arc::as_ptr(s) as usize), || {
                to.map(Arc::downgrade)
            });
    }

    fn child_of(parent: &Arc<Node>) -> Node {
        Node::new(Some(Arc::clone(parent)), parent.depth + 1, None)
    }

    fn resolved_id(node: &Node) -> Result<u64, &'static str> {
        match walk_creators(node).0 {
            Inherited::Alive(s) => Ok(s.id),
            Inherited::Unrouted(Unrouted::Orphaned) => Err("orphaned"),
            Inherited::Unrouted(Unrouted::CreatedBeforeRoute) => Err("created before"),
            Inherited::Unrouted(_) => Err("other"),
            Inherited::Never => Err("never"),
        }
    }

    #[test]
    fn take_the_first_route_an_ancestor_had_after_the_thread_was_created() {
        let test_thread = ancestor();
        let worker = child_of(&test_thread);
        assert_eq!(resolved_id(&worker), Err("never"));
        let first = sink(1);
        route(&test_thread, Some(&first));
        assert_eq!(resolved_id(&worker), Ok(1));
    }

    #[test]
    fn refuse_a_later_route_of_the_same_ancestor() {
        let long_lived = ancestor();
        let worker = child_of(&long_lived);
        let (first, second) = (sink(1), sink(2));
        route(&long_lived, Some(&first));
        route(&long_lived, None);
        route(&long_lived, Some(&second));
        assert_eq!(resolved_id(&worker), Err("created before"));
        // A thread created during the second route may take it.
        assert_eq!(resolved_id(&child_of(&long_lived)), Ok(2));
    }

    #[test]
    fn skip_ancestors_that_never_had_a_route() {
        let test_thread = ancestor();
        let worker = Arc::new(child_of(&test_thread));
        let blocking = child_of(&worker);
        let first = sink(7);
        route(&test_thread, Some(&first));
        assert_eq!(resolved_id(&blocking), Ok(7));
    }

    #[test]
    fn be_orphaned_when_the_ancestors_route_ended_or_its_collector_is_gone() {
        let test_thread = ancestor();
        let worker = child_of(&test_thread);
        let first = sink(1);
        route(&test_thread, Some(&first));
        drop(first);
        assert_eq!(resolved_id(&worker), Err("orphaned"));
        route(&test_thread, None);
        assert_eq!(resolved_id(&worker), Err("orphaned"));
    }

    #[test]
    fn not_count_a_route_that_comes_back_as_a_new_one() {
        // A thread that enters the same collector on every poll.
        let polling = ancestor();
        let first = sink(3);
        route(&polling, Some(&first));
        route(&polling, None);
        let worker = child_of(&polling);
        route(&polling, Some(&first));
        assert_eq!(resolved_id(&worker), Ok(3));
    }
}
