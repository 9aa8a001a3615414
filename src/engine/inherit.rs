//! Route inheritance on thread creation: the crate's own `pthread_create`.
//!
//! Compiled only where `build.rs` sets `logged_test_inherit`: Linux, glibc,
//! dynamically linked, no sanitizer, feature `inherit` on. An executable
//! that links this crate then defines `pthread_create`, so every thread it
//! creates (`std::thread`, tokio, rayon, C code calling through the PLT)
//! comes here. We forward to the next definition, glibc's, found once with
//! `dlsym(RTLD_NEXT, ..)`, with our start routine in front of the caller's:
//! it installs the route the creator had (see `routing::Node`) and then runs
//! the caller's routine with the caller's argument.
//!
//! The wrapper never panics (a panic cannot cross `extern "C"`), never logs,
//! allocates once (the new thread's node, which also carries the caller's
//! routine and argument across), and returns glibc's result unchanged.
//!
//! Another definition may be the one the program calls (a second
//! interposer linked first, or a duplicate that a debug build links
//! silently). [`works`] finds out once per process, by starting a thread
//! and asking it whether our start routine ran on it; if not, inheritance is
//! off for the process (our wrapper, should it be called, forwards
//! unchanged), stderr says so once, and failure reports say so.
//!
//! The `unsafe` code of inheritance stays in this module (the crate's other
//! `unsafe` blocks are in `crash` and the Unix part of `session`); the
//! workspace denies `unsafe_op_in_unsafe_fn` and undocumented unsafe blocks.

use std::cell::Cell;
use std::ffi::{c_int, c_void};
use std::io::Write as _;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use crate::engine::routing::{self, Node};

/// A thread's start routine, as `pthread_create` takes it.
type StartRoutine = extern "C" fn(*mut c_void) -> *mut c_void;

/// glibc's `pthread_create`.
type PthreadCreate = unsafe extern "C" fn(
    *mut libc::pthread_t,
    *const libc::pthread_attr_t,
    Option<StartRoutine>,
    *mut c_void,
) -> c_int;

/// The address of the next `pthread_create`; zero until first looked up.
static NEXT: AtomicUsize = AtomicUsize::new(0);

/// Set when inheritance is off for the process: our wrapper forwards
/// unchanged. Set by [`works`] when it finds that another definition is
/// called, or by [`simulate_foreign_pthread_create`].
static BYPASS: AtomicBool = AtomicBool::new(false);

thread_local! {
    /// Whether this thread started in [`start_with_route`].
    static VIA_HOOK: Cell<bool> = const { Cell::new(false) };
}

/// Whether our `pthread_create` is the one threads are created with, found
/// once per process by creating a thread (see the module docs). The first
/// call that finds it is not says so on stderr.
pub(crate) fn works() -> bool {
    static WORKS: OnceLock<bool> = OnceLock::new();
    *WORKS.get_or_init(|| {
        let probe = routing::detached(|| {
            std::thread::Builder::new()
                .name("logged-test-probe".to_owned())
                .spawn(|| VIA_HOOK.try_with(Cell::get).unwrap_or(false))
        });
        // A thread that cannot be created (resource limits) proves nothing:
        // keep inheritance on, as before the probe existed.
        let works = match probe.map(std::thread::JoinHandle::join) {
            Ok(Ok(ran_our_routine)) => ran_our_routine,
            _ => true,
        };
        if !works {
            BYPASS.store(true, Ordering::Relaxed);
            // The real stderr, not a test's captured output.
            let _ = writeln!(std::io::stderr(), "logged-test: {OFF_NOTE}");
        }
        works
    })
}

/// What stderr and failure reports say when [`works`] found another
/// `pthread_create` in charge.
pub(crate) const OFF_NOTE: &str = "another `pthread_create` is called instead of \
     logged-test's (a second interposer, or a duplicate definition linked silently), so \
     threads do not inherit their creator's route in this process; start them with \
     `logged_test::thread::spawn` or route them with `LogCollector::bind`, or turn the \
     `inherit` feature off";

/// Makes our wrapper behave as if another definition were called instead of
/// it, for the test of [`works`]: called before the first collector or
/// logger install of the process.
pub(crate) fn simulate_foreign_pthread_create() {
    BYPASS.store(true, Ordering::Relaxed);
}

fn next_pthread_create() -> Option<PthreadCreate> {
    let mut address = NEXT.load(Ordering::Acquire);
    if address == 0 {
        // SAFETY: `dlsym` is given the `RTLD_NEXT` pseudo-handle, valid in a
        // dynamically linked program (guaranteed by build.rs), and a
        // NUL-terminated name; it only reads them.
        let found = unsafe { libc::dlsym(libc::RTLD_NEXT, c"pthread_create".as_ptr()) };
        address = found as usize;
        if address == 0 {
            return None;
        }
        NEXT.store(address, Ordering::Release);
    }
    // SAFETY: `address` is non-zero and is the address of the next
    // definition of `pthread_create`, glibc's, whose C signature is
    // `int (pthread_t *, const pthread_attr_t *, void *(*)(void *), void *)`,
    // which `PthreadCreate` spells (a nullable routine is an `Option` of a
    // fn pointer, same layout).
    Some(unsafe { std::mem::transmute::<usize, PthreadCreate>(address) })
}

/// Creates a thread that starts with its creator's route; otherwise exactly
/// glibc's `pthread_create`.
///
/// # Safety
///
/// The same as glibc's `pthread_create`: `thread` must be valid for a write,
/// `attr` null or an initialised attribute object, and `start_routine` safe
/// to call with `arg` on a new thread.
#[unsafe(no_mangle)]
#[expect(unreachable_pub, reason = "exported by its symbol name, not its path")]
pub unsafe extern "C" fn pthread_create(
    thread: *mut libc::pthread_t,
    attr: *const libc::pthread_attr_t,
    start_routine: Option<StartRoutine>,
    arg: *mut c_void,
) -> c_int {
    let Some(next) = next_pthread_create() else {
        // Not dynamically linked after all: there is no thread library to
        // forward to. The error `pthread_create` gives for lack of resources.
        return libc::EAGAIN;
    };
    if BYPASS.load(Ordering::Relaxed) {
        // SAFETY: the caller's arguments, unchanged, to the real function;
        // the caller upholds its contract.
        return unsafe { next(thread, attr, start_routine, arg) };
    }
    let node = match start_routine {
        Some(routine) => routing::child_node().map(|node| (routine, node)),
        None => None,
    };
    let Some((routine, node)) = node else {
        // SAFETY: the caller's arguments, unchanged, to the real function;
        // the caller upholds its contract.
        return unsafe { next(thread, attr, start_routine, arg) };
    };
    node.set_handoff(routine as usize, arg as usize);
    let node = Arc::into_raw(node);
    // SAFETY: as above, with our routine and a pointer it takes ownership of
    // on the new thread; `thread` and `attr` are the caller's.
    let result = unsafe { next(thread, attr, Some(start_with_route), node.cast_mut().cast()) };
    if result != 0 {
        // No thread was created: the node was not handed over.
        // SAFETY: `node` came from `Arc::into_raw` above and no one else
        // took it.
        drop(unsafe { Arc::from_raw(node) });
    }
    result
}

/// The start routine of every thread created through [`pthread_create`].
extern "C" fn start_with_route(node: *mut c_void) -> *mut c_void {
    // SAFETY: `pthread_create` passed the pointer from `Arc::into_raw` of a
    // `Node` and gave up its ownership to this thread.
    let node = unsafe { Arc::from_raw(node.cast_const().cast::<Node>()) };
    let (routine, arg) = node.take_handoff();
    let _ = VIA_HOOK.try_with(|v| v.set(true));
    routing::adopt(node);
    // SAFETY: `routine` is the non-null address of the caller's
    // `StartRoutine`, stored by `pthread_create` just before this thread
    // started (thread creation orders that store before this load).
    let routine = unsafe { std::mem::transmute::<usize, StartRoutine>(routine) };
    // Nothing with a destructor is alive across this call: a thread that
    // ends with `pthread_exit` unwinds through this frame with nothing to do.
    routine(arg as *mut c_void)
}
