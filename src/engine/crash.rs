//! Crash-proof capture: when the process ends while tests are running (a
//! fatal signal, `abort`, a stack overflow, `exit` or `process::exit`), every
//! running test's log is written to its directory, a manifest line says
//! `"outcome":"crashed"`, and stderr names the tests and their files.
//!
//! The handlers are installed once, when the first collector is made, and
//! run in a dying process, often in a signal handler, maybe on a thread
//! that holds a lock. So the crash path:
//! - allocates nothing: what it needs (each collector's directory as a
//!   `CString`, the manifest line's start, a 256 KiB line buffer, an 8 KiB
//!   path buffer, a 1 MiB stack) is made beforehand, and the slots it reads
//!   are a fixed array of atomic pointers;
//! - runs on that stack of its own (Linux, glibc), as a handler may run on
//!   a thread's 8 KiB alternate stack (a stack overflow's `abort` does);
//! - takes no lock it could wait on: a store is `try_lock`ed (for a bounded
//!   time), and one that stays busy is skipped and reported as skipped;
//! - makes only plain syscalls (`mkdir`, `rename`, `open`, `write`,
//!   `fsync`, `nanosleep`, and glibc's `swapcontext`);
//! - first has the persister thread (alive: only the crashing thread is in
//!   trouble) write every queue as it is and stop at a checkpoint between
//!   batches, or freezes it where it waits with nothing queued, so nothing
//!   else writes while the records still in memory are written;
//! - then chains: to the handler installed before (std's stack-overflow
//!   report runs, then its `abort` comes back here), or re-raises the signal
//!   with the default action. A previous handler that returns with its own
//!   disposition still installed (a runtime that recovers from faults) means
//!   the process goes on: nothing is written then.
//!
//! `SIGTERM` and `SIGINT` (nextest ends a hanging test with `SIGTERM`) are
//! handled like fatal signals when their action was the default; a handler
//! installed before ours is called instead, with no dump (the program may
//! go on), and so is nothing but that when a handler installed after ours
//! passes the signal on (signal-hook does); an ignored one stays ignored.
//!
//! Only collectors made by the harness (`TestLogs`, which calls
//! [`describe`]) are written and reported: an application's collectors are
//! on disk already, and the persister finishes their queues.
#![deny(unsafe_op_in_unsafe_fn)]

use std::ffi::{CStr, CString, c_int, c_void};
use std::fmt::Write as _;
use std::os::unix::ffi::OsStrExt as _;
use std::path::Path;
use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, MutexGuard, Once, OnceLock};

use crate::engine::fork;
use crate::engine::protocol::{Control, Item};
use crate::engine::record::{Entry, Form, RecordView};
use crate::engine::session::PRE_SESSION_FILE;
use crate::engine::store::{Core, Mode, Store};

/// Collectors alive at once that the crash path can see; more are not
/// written on a crash (and say so then).
const SLOTS: usize = 4096;
/// How long the crash path waits for the persister, and for a busy store.
const WAIT_MS: u32 = 3000;
const STORE_WAIT_MS: u32 = 100;
/// The preallocated buffer a record is formatted into.
const SCRATCH_BYTES: usize = 256 * 1024;

/// What the crash path knows of a collector; shared by the collector (which
/// fills in [`Harness`]) and its slot.
#[derive(Debug)]
pub(crate) struct Tracked {
    core: Arc<Core>,
    slot: AtomicUsize,
    fork_epoch: u32,
    /// The directory, absolute.
    dir: CString,
    harness: OnceLock<Harness>,
}

/// A test's part: what to print and what to put in the manifest.
#[derive(Debug)]
struct Harness {
    test: Box<str>,
    log: Box<str>,
    manifest: Option<Manifest>,
}

#[derive(Debug)]
struct Manifest {
    dir: CString,
    file: CString,
    /// `{"test":"..."` and `,"log":"..."`: the line's start, JSON-escaped.
    test_json: Box<str>,
    log_json: Box<str>,
}

static TRACKED: [AtomicPtr<Tracked>; SLOTS] = [const { AtomicPtr::new(ptr::null_mut()) }; SLOTS];
/// Collectors that found no free slot (more than [`SLOTS`] alive).
static UNTRACKED: AtomicUsize = AtomicUsize::new(0);

const IDLE: u8 = 0;
const DUMPING: u8 = 1;
const DONE: u8 = 2;
/// Whether a dump started: from then on, slots are never freed.
static DUMP: AtomicU8 = AtomicU8::new(IDLE);
/// The line buffer, taken by the one dump.
static SCRATCH: AtomicPtr<String> = AtomicPtr::new(ptr::null_mut());
/// The path buffer (a directory's ancestors, its `.old-<pid>` name), taken
/// by the one dump.
static PATH: AtomicPtr<[u8; PATH_BYTES]> = AtomicPtr::new(ptr::null_mut());
const PATH_BYTES: usize = 8192;
/// Under nextest (a process per test) the records are also written to
/// stderr, which nextest shows under a failed test.
static ECHO: AtomicBool = AtomicBool::new(false);

/// The persister's state, for the crash path to freeze it.
const P_BUSY: u8 = 0;
const P_IDLE: u8 = 1;
const P_FROZEN: u8 = 2;
static PERSISTER: AtomicU8 = AtomicU8::new(P_BUSY);
static PERSISTER_THREAD: AtomicUsize = AtomicUsize::new(0);
/// Set by a dump: the persister writes what is queued, then freezes.
static FREEZE: AtomicBool = AtomicBool::new(false);

/// The signals the crash path handles.
const SIGNALS: [(c_int, &str); 7] = [
    (libc::SIGSEGV, "SIGSEGV"),
    (libc::SIGBUS, "SIGBUS"),
    (libc::SIGILL, "SIGILL"),
    (libc::SIGFPE, "SIGFPE"),
    (libc::SIGABRT, "SIGABRT"),
    (libc::SIGTERM, "SIGTERM"),
    (libc::SIGINT, "SIGINT"),
];
/// The action each signal had before ours (unset: ours is not installed).
static PREVIOUS: [OnceLock<Previous>; 7] = [const { OnceLock::new() }; 7];

#[derive(Debug, Clone, Copy)]
struct Previous {
    handler: libc::sighandler_t,
    flags: c_int,
}

/// Makes `core` visible to the crash path until [`untrack`]; installs the
/// handlers first (once per process). `None` if no slot is free.
pub(crate) fn track(core: &Arc<Core>) -> Option<Arc<Tracked>> {
    install();
    let path = core.dir.as_os_str().as_bytes();
    let dir = CString::new(path).ok()?;
    let tracked = Arc::new(Tracked {
        core: Arc::clone(core),
        slot: AtomicUsize::new(usize::MAX),
        fork_epoch: fork::epoch(),
        dir,
        harness: OnceLock::new(),
    });
    let raw = Arc::into_raw(Arc::clone(&tracked)).cast_mut();
    for (slot, cell) in TRACKED.iter().enumerate() {
        if cell
            .compare_exchange(ptr::null_mut(), raw, Ordering::SeqCst, Ordering::Relaxed)
            .is_ok()
        {
            tracked.slot.store(slot, Ordering::Relaxed);
            return Some(tracked);
        }
    }
    // SAFETY: `raw` came from `Arc::into_raw` above and no slot took it.
    drop(unsafe { Arc::from_raw(raw) });
    UNTRACKED.fetch_add(1, Ordering::Relaxed);
    None
}

/// Ends what [`track`] began (the collector was shut down).
pub(crate) fn untrack(tracked: &Tracked) {
    let Some(cell) = TRACKED.get(tracked.slot.load(Ordering::Relaxed)) else {
        return;
    };
    let raw = cell.swap(ptr::null_mut(), Ordering::SeqCst);
    // A dump that began before the swap may be reading the slot's value:
    // then it is never freed (the process is ending anyway). One that
    // begins after it sees the empty slot.
    if !raw.is_null() && DUMP.load(Ordering::SeqCst) == IDLE {
        // SAFETY: `raw` came from `Arc::into_raw` in `track`, and the swap
        // took it out of the slot, so no one else frees it; no dump can
        // read it (see above).
        drop(unsafe { Arc::from_raw(raw) });
    }
}

/// What a test's `TestLogs` tells the crash path: the test's name, its log
/// file, and the manifest (`LOGGED_TEST_DIR`) with the line's start.
pub(crate) fn describe(
    tracked: &Tracked,
    test: &str,
    log: &Path,
    manifest: Option<(&Path, String, String)>,
) {
    let manifest = manifest.and_then(|(dir, test_json, log_json)| {
        // Where it is now: a test may change the working directory later.
        let dir = std::path::absolute(dir).ok()?;
        let dir = dir.as_path();
        Some(Manifest {
            dir: CString::new(dir.as_os_str().as_bytes()).ok()?,
            file: CString::new(
                dir.join(crate::engine::session::MANIFEST_FILE)
                    .as_os_str()
                    .as_bytes(),
            )
            .ok()?,
            test_json: test_json.into(),
            log_json: log_json.into(),
        })
    });
    let _ = tracked.harness.set(Harness {
        test: test.into(),
        log: log.to_string_lossy().into(),
        manifest,
    });
}

/// Whether a dump is running: formatting then avoids thread-locals (which
/// may allocate on first use).
pub(crate) fn dumping() -> bool {
    DUMP.load(Ordering::Relaxed) != IDLE
}

/// Called on the persister thread when it starts.
pub(crate) fn persister_started() {
    // SAFETY: `pthread_self` has no preconditions.
    let me = unsafe { libc::pthread_self() };
    PERSISTER_THREAD.store(me as usize, Ordering::Release);
}

/// The persister has handed every buffered byte to the OS and is about to
/// wait for work: a dump may freeze it from now on.
pub(crate) fn persister_idle() {
    let _ = PERSISTER.compare_exchange(P_BUSY, P_IDLE, Ordering::AcqRel, Ordering::Relaxed);
}

/// Whether a dump froze the persister (checked before each batch too, in
/// case the dump stopped waiting for it).
pub(crate) fn persister_is_frozen() -> bool {
    PERSISTER.load(Ordering::Acquire) == P_FROZEN
}

/// The persister got work; false if a dump froze it, when it must stop
/// touching any file or store.
pub(crate) fn persister_busy() -> bool {
    match PERSISTER.compare_exchange(P_IDLE, P_BUSY, Ordering::AcqRel, Ordering::Acquire) {
        Ok(_) => true,
        Err(state) => state != P_FROZEN,
    }
}

/// Whether a dump asked the persister to write what is queued and stop.
pub(crate) fn freeze_requested() -> bool {
    FREEZE.load(Ordering::Acquire)
}

/// Where a frozen persister stays until the process is gone.
pub(crate) fn persister_frozen() -> ! {
    PERSISTER.store(P_FROZEN, Ordering::SeqCst);
    loop {
        std::thread::park();
    }
}

fn install() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        fork::install();
        let scratch = Box::new(String::with_capacity(SCRATCH_BYTES));
        SCRATCH.store(Box::into_raw(scratch), Ordering::Release);
        PATH.store(Box::into_raw(Box::new([0; PATH_BYTES])), Ordering::Release);
        #[cfg(all(
            target_os = "linux",
            target_env = "gnu",
            any(target_arch = "x86_64", target_arch = "aarch64")
        ))]
        own_stack::make();
        let nextest =
            std::env::var_os("NEXTEST").is_some() || std::env::var_os("NEXTEST_RUN_ID").is_some();
        ECHO.store(nextest, Ordering::Relaxed);
        for (index, (signal, _)) in SIGNALS.iter().enumerate() {
            install_handler(index, *signal);
        }
        // SAFETY: `at_exit` is an `extern "C" fn()` that never unwinds.
        let _ = unsafe { libc::atexit(at_exit) };
    });
}

fn install_handler(index: usize, signal: c_int) {
    // SAFETY: an all-zero `sigaction` is a valid value (no handler, empty
    // mask, no flags) for `sigaction` to overwrite.
    let mut old: libc::sigaction = unsafe { std::mem::zeroed() };
    // SAFETY: a null new action only reads the current one into `old`.
    if unsafe { libc::sigaction(signal, ptr::null(), &mut old) } != 0 {
        return;
    }
    let terminate = signal == libc::SIGTERM || signal == libc::SIGINT;
    if terminate && old.sa_sigaction == libc::SIG_IGN {
        // `nohup` and friends: an ignored signal stays ignored.
        return;
    }
    let Some(cell) = PREVIOUS.get(index) else {
        return;
    };
    let _ = cell.set(Previous {
        handler: old.sa_sigaction,
        flags: old.sa_flags,
    });
    // SAFETY: as above, all-zero is a valid `sigaction`.
    let mut new: libc::sigaction = unsafe { std::mem::zeroed() };
    new.sa_sigaction = on_signal as *const () as libc::sighandler_t;
    // A fault from a stack overflow can only be handled on the thread's
    // alternate stack (std gives each of its threads one); the others run
    // on the thread's own stack, which is bigger.
    new.sa_flags = libc::SA_SIGINFO;
    if signal == libc::SIGSEGV || signal == libc::SIGBUS {
        new.sa_flags |= libc::SA_ONSTACK;
    }
    // SAFETY: `new.sa_mask` is a valid `sigset_t` to empty; `new` is a
    // complete action whose handler has the `SA_SIGINFO` signature.
    unsafe {
        libc::sigemptyset(&mut new.sa_mask);
        libc::sigaction(signal, &new, ptr::null_mut());
    }
}

extern "C" fn at_exit() {
    // `exit` with a test still running (`process::exit` in a test, or a
    // `TestLogs` that outlives `main`). Not a signal handler, but the same
    // careful path serves: another thread may hold any lock.
    if DUMP
        .compare_exchange(IDLE, DUMPING, Ordering::SeqCst, Ordering::SeqCst)
        .is_err()
    {
        return;
    }
    if running_tests() == 0 {
        // A plain exit: go on as if we were not here. Every read of a slot
        // is over, so `untrack` may free again.
        DUMP.store(IDLE, Ordering::SeqCst);
        return;
    }
    run_on_dump_stack(Reason::Exit);
}

extern "C" fn on_signal(signal: c_int, info: *mut libc::siginfo_t, context: *mut c_void) {
    let index = SIGNALS.iter().position(|(s, _)| *s == signal);
    let previous = index
        .and_then(|i| PREVIOUS.get(i))
        .and_then(OnceLock::get)
        .copied();
    let handler = previous.map_or(libc::SIG_DFL, |p| p.handler);
    let chains = handler != libc::SIG_DFL && handler != libc::SIG_IGN;
    let terminate = signal == libc::SIGTERM || signal == libc::SIGINT;
    if terminate && !still_ours(signal) {
        // Called by a handler installed after ours that passes the signal
        // on (signal-hook, under `tokio::signal`, does): the program
        // handles it, and may go on.
        if chains {
            // SAFETY: as below.
            unsafe { call_previous(previous, signal, info, context) };
        }
        return;
    }
    if chains {
        // SAFETY: `handler` is the action installed before ours, called with
        // the arguments the kernel gave us, in the form its flags say.
        unsafe { call_previous(previous, signal, info, context) };
        // `abort` goes on to kill the process whatever its handler did.
        if terminate || (signal != libc::SIGABRT && still_ours(signal)) {
            // It dealt with the signal itself; the process may go on.
            return;
        }
    }
    dump(Reason::Signal(signal));
    default_action(signal);
}

/// Calls the handler that was installed before ours.
///
/// # Safety
///
/// `info` and `context` are what the kernel passed to our handler for
/// `signal`; `previous` is that signal's earlier action.
unsafe fn call_previous(
    previous: Option<Previous>,
    signal: c_int,
    info: *mut libc::siginfo_t,
    context: *mut c_void,
) {
    let Some(previous) = previous else { return };
    if previous.flags & libc::SA_SIGINFO != 0 {
        type Action = extern "C" fn(c_int, *mut libc::siginfo_t, *mut c_void);
        // SAFETY: with `SA_SIGINFO` the action is a three-argument handler
        // (POSIX), and `handler` is not one of the special values.
        let action = unsafe { std::mem::transmute::<libc::sighandler_t, Action>(previous.handler) };
        action(signal, info, context);
    } else {
        type Handler = extern "C" fn(c_int);
        // SAFETY: without `SA_SIGINFO` the action is a one-argument handler.
        let action =
            unsafe { std::mem::transmute::<libc::sighandler_t, Handler>(previous.handler) };
        action(signal);
    }
}

/// Whether our handler is still the action for `signal` (a previous one
/// that dies resets it to the default first, as std's does).
fn still_ours(signal: c_int) -> bool {
    // SAFETY: all-zero is a valid `sigaction` to read into.
    let mut current: libc::sigaction = unsafe { std::mem::zeroed() };
    // SAFETY: a null new action only reads the current one.
    let read = unsafe { libc::sigaction(signal, ptr::null(), &mut current) };
    read == 0 && current.sa_sigaction == on_signal as *const () as libc::sighandler_t
}

/// Ends the process the way `signal` would have without us: the default
/// action, delivered once this handler returns (or at once, for a fault
/// that happens again when the instruction is retried).
fn default_action(signal: c_int) {
    // SAFETY: all-zero is a valid `sigaction`; `SIG_DFL` (zero) is the
    // default action. `raise` only queues the signal (it is blocked while
    // its handler runs, so it arrives when we return).
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = libc::SIG_DFL;
        libc::sigemptyset(&mut action.sa_mask);
        libc::sigaction(signal, &action, ptr::null_mut());
        libc::raise(signal);
    }
}

#[derive(Debug, Clone, Copy)]
enum Reason {
    Signal(c_int),
    Exit,
}

/// The tracked collectors of this process (not a parent's, after a fork).
/// Only while `DUMP` is set (see [`untrack`]): slots are never freed then.
/// Allocates nothing.
fn tracked_during_dump() -> impl Iterator<Item = &'static Tracked> {
    let epoch = fork::epoch();
    TRACKED
        .iter()
        .filter_map(|cell| {
            let raw = cell.load(Ordering::SeqCst);
            // SAFETY: `DUMP` was set before this load, so `untrack` no longer
            // frees what it takes out of a slot: `raw` is null or a live
            // `Tracked` from `Arc::into_raw`, which stays alive until the
            // process ends.
            unsafe { raw.as_ref() }
        })
        .filter(move |tracked| tracked.fork_epoch == epoch)
}

/// The collectors of running tests in this process (not a parent's).
/// Only while `DUMP` is set (see [`untrack`]).
fn running_tests() -> usize {
    tracked_during_dump()
        .filter(|tracked| tracked.harness.get().is_some())
        .count()
}

/// Writes every running test's log, its manifest line and a report on
/// stderr. Runs once; a second crashing thread waits for the first.
fn dump(reason: Reason) {
    let first = DUMP
        .compare_exchange(IDLE, DUMPING, Ordering::SeqCst, Ordering::SeqCst)
        .is_ok();
    if !first {
        for _ in 0..WAIT_MS {
            if DUMP.load(Ordering::SeqCst) == DONE {
                break;
            }
            sleep_ms(1);
        }
        return;
    }
    run_on_dump_stack(reason);
}

/// The dump's own stack, made at install (its pages are touched only by a
/// dump): a signal handler may run on a thread's alternate stack, which
/// std makes 8 KiB, too small to format records on (and a stack overflow's
/// `abort` arrives there).
#[cfg(all(
    target_os = "linux",
    target_env = "gnu",
    any(target_arch = "x86_64", target_arch = "aarch64")
))]
mod own_stack {
    use std::sync::atomic::{AtomicPtr, AtomicU8, Ordering};

    use super::{Reason, dump_claimed};

    const BYTES: usize = 1 << 20;

    pub(super) struct DumpStack {
        back: libc::ucontext_t,
        dump: libc::ucontext_t,
        stack: *mut u8,
    }

    static STACK: AtomicPtr<DumpStack> = AtomicPtr::new(std::ptr::null_mut());
    /// The reason, for the function the new context starts with.
    static REASON: AtomicU8 = AtomicU8::new(0);
    static SIGNAL: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(0);

    pub(super) fn make() {
        let mut stack = Vec::<u8>::with_capacity(BYTES);
        let base = stack.as_mut_ptr();
        std::mem::forget(stack);
        let made = Box::new(DumpStack {
            // SAFETY: all-zero is a valid `ucontext_t` for `getcontext` to
            // fill in later.
            back: unsafe { std::mem::zeroed() },
            // SAFETY: as above.
            dump: unsafe { std::mem::zeroed() },
            stack: base,
        });
        STACK.store(Box::into_raw(made), Ordering::Release);
    }

    /// Runs the claimed dump on the dump stack; false if there is none.
    pub(super) fn run(reason: Reason) -> bool {
        let raw = STACK.swap(std::ptr::null_mut(), Ordering::AcqRel);
        // SAFETY: `STACK` held a leaked `Box<DumpStack>`, and the swap gave
        // it to this one dump.
        let Some(own) = (unsafe { raw.as_mut() }) else {
            return false;
        };
        match reason {
            Reason::Signal(signal) => {
                SIGNAL.store(signal, Ordering::Relaxed);
                REASON.store(1, Ordering::Release);
            }
            Reason::Exit => REASON.store(2, Ordering::Release),
        }
        // SAFETY: `getcontext` fills `own.dump`; it then gets the leaked
        // 1 MiB stack (never used by anything else) and returns to
        // `own.back` when `on_own_stack` returns (`uc_link`);
        // `swapcontext` saves this context in `own.back` and runs it.
        // glibc's three calls only save and load registers and the signal
        // mask: no lock, no allocation.
        unsafe {
            if libc::getcontext(&mut own.dump) != 0 {
                return false;
            }
            own.dump.uc_stack.ss_sp = own.stack.cast();
            own.dump.uc_stack.ss_size = BYTES;
            own.dump.uc_stack.ss_flags = 0;
            own.dump.uc_link = &mut own.back;
            libc::makecontext(&mut own.dump, on_own_stack, 0);
            libc::swapcontext(&mut own.back, &own.dump) == 0
        }
    }

    extern "C" fn on_own_stack() {
        let reason = match REASON.load(Ordering::Acquire) {
            1 => Reason::Signal(SIGNAL.load(Ordering::Relaxed)),
            _ => Reason::Exit,
        };
        dump_claimed(reason);
    }
}

/// Runs [`dump_claimed`] on the dump's own stack where that is possible.
fn run_on_dump_stack(reason: Reason) {
    #[cfg(all(
        target_os = "linux",
        target_env = "gnu",
        any(target_arch = "x86_64", target_arch = "aarch64")
    ))]
    if own_stack::run(reason) {
        return;
    }
    dump_claimed(reason);
}

/// [`dump`], once this thread has set `DUMP` to `DUMPING`.
fn dump_claimed(reason: Reason) {
    let scratch = SCRATCH.swap(ptr::null_mut(), Ordering::SeqCst);
    // SAFETY: `SCRATCH` held a `Box<String>` from `install`, and the swap
    // gave it to this dump alone; it is never freed (the process is ending).
    let Some(scratch) = (unsafe { scratch.as_mut() }) else {
        DUMP.store(DONE, Ordering::SeqCst);
        return;
    };
    let path = PATH.swap(ptr::null_mut(), Ordering::SeqCst);
    let mut no_path = [0u8; 0];
    // SAFETY: as `SCRATCH`: a leaked box from `install`, now this dump's.
    let path: &mut [u8] = match unsafe { path.as_mut() } {
        Some(path) => path,
        None => &mut no_path,
    };
    let persister = freeze_persister();
    let echo = ECHO.load(Ordering::Relaxed);
    let mut header_done = false;
    for tracked in tracked_during_dump() {
        let Some(harness) = tracked.harness.get() else {
            continue;
        };
        if !header_done {
            header_done = true;
            header(scratch, reason, persister);
        }
        if echo {
            scratch.clear();
            let _ = writeln!(scratch, "logged-test: the records of `{}`:", harness.test);
            write_all(2, scratch.as_bytes());
        }
        let outcome = dump_store(tracked, scratch, path, echo);
        report(scratch, harness, &outcome);
        if let Some(manifest) = &harness.manifest {
            manifest_line(scratch, manifest, &outcome);
        }
    }
    let untracked = UNTRACKED.load(Ordering::Relaxed);
    if header_done && untracked > 0 {
        scratch.clear();
        let _ = writeln!(
            scratch,
            "logged-test: {untracked} collectors made while 4096 were alive were not seen \
             by the crash path; their logs are not written"
        );
        write_all(2, scratch.as_bytes());
    }
    DUMP.store(DONE, Ordering::SeqCst);
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Persister {
    /// Idle with nothing queued, or not in this process: frozen.
    Frozen,
    /// Still busy after [`WAIT_MS`]: frozen anyway, queued records may miss.
    TimedOut,
}

/// Lets the persister finish what is queued for disk, then stops it, so
/// that from now on only this thread writes.
fn freeze_persister() -> Persister {
    // SAFETY: `pthread_self` has no preconditions.
    let me = unsafe { libc::pthread_self() } as usize;
    if !fork::persister_here() || PERSISTER_THREAD.load(Ordering::Acquire) == me {
        // No persister here (a forked child), or it is the thread crashing.
        PERSISTER.store(P_FROZEN, Ordering::SeqCst);
        return Persister::Frozen;
    }
    FREEZE.store(true, Ordering::SeqCst);
    for _ in 0..WAIT_MS {
        // It saw the request: it wrote every queue and stopped.
        if PERSISTER.load(Ordering::SeqCst) == P_FROZEN {
            return Persister::Frozen;
        }
        // Waiting for work with nothing queued: it may never wake, and has
        // nothing to write; frozen here (it stops if it wakes).
        if !disk_work_pending()
            && PERSISTER
                .compare_exchange(P_IDLE, P_FROZEN, Ordering::SeqCst, Ordering::SeqCst)
                .is_ok()
        {
            return Persister::Frozen;
        }
        sleep_ms(1);
    }
    PERSISTER.store(P_FROZEN, Ordering::SeqCst);
    Persister::TimedOut
}

/// Whether a collector on disk still has something queued (or its store is
/// busy): the persister will get to it within a poll.
fn disk_work_pending() -> bool {
    tracked_during_dump().any(|tracked| queued_for_disk(&tracked.core))
}

/// What the dump did with one test's log.
enum DumpOutcome {
    /// Written from memory into the directory.
    Written { tally: Tally, error: Option<c_int> },
    /// On disk already (the persister wrote it); `unwritten` records were
    /// still queued when the persister stopped.
    OnDisk { tally: Tally, unwritten: usize },
    /// The store stayed locked (by the crashing thread, maybe): skipped.
    Busy,
}

#[derive(Default, Clone, Copy)]
struct Tally {
    records: usize,
    /// Error, warn, info, debug, trace.
    levels: [usize; 5],
}

impl Tally {
    fn add(&mut self, entry: &Entry) {
        self.records += 1;
        if let Some(n) = self.levels.get_mut(entry.level as usize - 1) {
            *n += 1;
        }
    }
}

// The store's layout is known here only: `queued_for_disk` and `dump_store`.

/// Whether `core` is on disk with items the persister has not taken yet
/// (or its store is busy, which may mean the same).
fn queued_for_disk(core: &Core) -> bool {
    match core.try_lock() {
        Some(store) => store.mode == Mode::Disk && !store.queue.is_empty(),
        None => true,
    }
}

/// The one function that knows the store's layout: writes the records a
/// harness collector holds in memory (and any still queued) into its
/// directory, each into its session's file, in order.
fn dump_store(tracked: &Tracked, scratch: &mut String, path: &mut [u8], echo: bool) -> DumpOutcome {
    let Some(store) = lock_for(&tracked.core, STORE_WAIT_MS) else {
        return DumpOutcome::Busy;
    };
    let mut tally = Tally::default();
    if store.mode == Mode::Disk && tracked.core.stats.has_dir.load(Ordering::Acquire) {
        for held in store.records.iter() {
            tally.add(&held.entry);
        }
        let mut unwritten = 0;
        for item in &store.queue {
            if let Item::Line(entry) = item {
                tally.add(entry);
                unwritten += 1;
            }
        }
        return DumpOutcome::OnDisk { tally, unwritten };
    }
    let mut files = match SessionFiles::open(&tracked.dir, path) {
        Ok(files) => files,
        Err(errno) => {
            return DumpOutcome::Written {
                tally,
                error: Some(errno),
            };
        }
    };
    let name_of = |generation: u64| -> &str {
        if generation == 0 {
            return PRE_SESSION_FILE;
        }
        store
            .sessions
            .iter()
            .find(|(g, _)| *g == generation)
            .map_or(PRE_SESSION_FILE, |(_, name)| name.as_str())
    };
    for held in store.records.iter() {
        tally.add(&held.entry);
        files.select(name_of(held.generation));
        files.write(&held.entry, scratch, echo);
    }
    // Went to disk mode just now, and the persister never got to it.
    files.select(name_of(store.generation));
    for item in &store.queue {
        match item {
            Item::Line(entry) => {
                tally.add(entry);
                files.write(entry, scratch, echo);
            }
            Item::Control(Control::NewSession(name, _)) => files.select(name),
            Item::Control(_) => {}
        }
    }
    let error = files.close();
    DumpOutcome::Written { tally, error }
}

/// `try_lock` for up to `ms` milliseconds: the holder may be another thread
/// about to let go, or the crashing thread, which never will.
fn lock_for(core: &Core, ms: u32) -> Option<MutexGuard<'_, Store>> {
    for _ in 0..ms {
        if let Some(store) = core.try_lock() {
            return Some(store);
        }
        sleep_ms(1);
    }
    core.try_lock()
}

/// The test directory, made now, and the session file being written.
struct SessionFiles {
    dir: c_int,
    file: c_int,
    name: [u8; 256],
    name_len: usize,
    error: Option<c_int>,
}

impl SessionFiles {
    /// Makes the directory `dir` (and its missing parents), moving an
    /// existing one (an earlier run's kept log) to `<dir>.old-<pid>` as the
    /// persister does, and opens it; `path` is room to build those paths.
    fn open(dir: &CStr, path: &mut [u8]) -> Result<SessionFiles, c_int> {
        let bytes = dir.to_bytes();
        let len = bytes.len();
        let Some(room) = path.get_mut(..len + 32) else {
            return Err(libc::ENAMETOOLONG);
        };
        if let Some(name) = room.get_mut(..len) {
            name.copy_from_slice(bytes);
        }
        if let Some(end) = room.get_mut(len) {
            *end = 0;
        }
        // The parents: the path cut at each `/` but the first.
        for i in 1..len {
            if room.get(i) == Some(&b'/') {
                if let Some(cut) = room.get_mut(i) {
                    *cut = 0;
                }
                // SAFETY: `room` is NUL-terminated at `i`; an existing
                // directory is fine (EEXIST, ignored).
                unsafe { libc::mkdir(room.as_ptr().cast(), 0o755) };
                if let Some(cut) = room.get_mut(i) {
                    *cut = b'/';
                }
            }
        }
        // SAFETY: `dir` is NUL-terminated.
        let mut made = unsafe { libc::mkdir(dir.as_ptr(), 0o700) } == 0;
        if !made {
            if let Some(suffix) = room.get_mut(len + 1..) {
                old_name(suffix);
            }
            if let Some(end) = room.get_mut(len) {
                *end = b'.';
            }
            // SAFETY: `dir` and `room` (`<dir>.old-<pid>`, by `old_name`)
            // are NUL-terminated.
            let moved = unsafe { libc::rename(dir.as_ptr(), room.as_ptr().cast()) } == 0;
            // SAFETY: as above.
            made = moved && unsafe { libc::mkdir(dir.as_ptr(), 0o700) } == 0;
        }
        if !made {
            return Err(errno());
        }
        // SAFETY: a NUL-terminated path; the flags refuse a symlink.
        let dir = unsafe {
            libc::open(
                dir.as_ptr(),
                libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_CLOEXEC,
            )
        };
        if dir < 0 {
            return Err(errno());
        }
        Ok(SessionFiles {
            dir,
            file: -1,
            name: [0; 256],
            name_len: usize::MAX,
            error: None,
        })
    }

    /// Makes `name` (a validated session name: no `/`, no NUL, at most 255
    /// bytes) the file written to.
    fn select(&mut self, name: &str) {
        let bytes = name.as_bytes();
        if self.name.get(..self.name_len) == Some(bytes) && self.file >= 0 {
            return;
        }
        self.close_file();
        let Some(target) = self.name.get_mut(..bytes.len()) else {
            self.error.get_or_insert(libc::ENAMETOOLONG);
            return;
        };
        target.copy_from_slice(bytes);
        if let Some(end) = self.name.get_mut(bytes.len()) {
            *end = 0;
        }
        self.name_len = bytes.len();
        // SAFETY: `self.name` holds the name and a NUL; `self.dir` is an
        // open directory; the flags refuse a symlink at the name.
        self.file = unsafe {
            libc::openat(
                self.dir,
                self.name.as_ptr().cast(),
                libc::O_WRONLY
                    | libc::O_CREAT
                    | libc::O_APPEND
                    | libc::O_NOFOLLOW
                    | libc::O_CLOEXEC,
                0o600,
            )
        };
        if self.file < 0 {
            self.error.get_or_insert(errno());
        }
    }

    fn write(&mut self, entry: &Entry, scratch: &mut String, echo: bool) {
        let file = self.file;
        // Stderr gets the shown line, which differs from the file's only
        // for a record with fields and no span: then it is formatted twice.
        let echo_same = echo && !entry.view().shown_differs();
        let mut out = |bytes: &[u8]| {
            if file >= 0 && !write_all(file, bytes) {
                self.error.get_or_insert(errno());
            }
            if echo_same {
                write_all(2, bytes);
            }
        };
        format_entry(entry, scratch, Form::File, &mut out);
        if echo && !echo_same {
            format_entry(entry, scratch, Form::Shown, &mut |bytes| {
                write_all(2, bytes);
            });
        }
    }

    fn close_file(&mut self) {
        if self.file >= 0 {
            // SAFETY: an open descriptor this dump opened.
            unsafe {
                libc::fsync(self.file);
                libc::close(self.file);
            }
            self.file = -1;
        }
    }

    fn close(mut self) -> Option<c_int> {
        self.close_file();
        // SAFETY: the directory descriptor this dump opened.
        unsafe { libc::close(self.dir) };
        self.error
    }
}

/// Writes `old-<pid>` and a NUL into `out` (31 bytes suffice), after the
/// `.` the caller puts before it.
fn old_name(out: &mut [u8]) {
    // SAFETY: `getpid` has no preconditions and cannot fail.
    let mut pid = unsafe { libc::getpid() }.unsigned_abs();
    let mut digits = [0u8; 10];
    let mut n = 0;
    loop {
        if let Some(d) = digits.get_mut(n) {
            *d = b'0' + (pid % 10) as u8;
        }
        n += 1;
        pid /= 10;
        if pid == 0 || n == digits.len() {
            break;
        }
    }
    let mut at = 0;
    let mut put = |b: u8| {
        if let Some(slot) = out.get_mut(at) {
            *slot = b;
        }
        at += 1;
    };
    for b in *b"old-" {
        put(b);
    }
    for i in (0..n).rev() {
        put(digits.get(i).copied().unwrap_or(b'0'));
    }
    put(0);
}

/// Hands `entry`'s line, in `form`, to `out`, without allocating:
/// formatted in the preallocated `scratch` when it surely fits, else in
/// pieces straight from the entry.
fn format_entry(entry: &Entry, scratch: &mut String, form: Form, out: &mut impl FnMut(&[u8])) {
    scratch.clear();
    let header = 64 + 2 * (entry.thread.map_or(0, str::len) + entry.target.len());
    match line_bound(entry) {
        Some(bound) if bound <= scratch.capacity() => {
            entry.view().write(scratch, form);
            out(scratch.as_bytes());
        }
        _ if header > scratch.capacity() => {}
        _ if entry.extra.is_none() => entry.write_pieces(scratch, |piece| out(piece)),
        _ => {
            // Fields and spans, and too long to format here: the header and
            // a note instead of a line that would need an allocation.
            RecordView::plain(
                entry.timestamp,
                entry.level,
                entry.thread,
                &entry.target,
                "(a record too long to write while the process crashes)",
            )
            .write(scratch, Form::File);
            out(scratch.as_bytes());
        }
    }
}

/// An upper bound of the bytes `entry.write_to` writes (every escaped byte
/// doubles; continuation lines add an indent); `None` if formatting it
/// would allocate (a message escaped for the fields form).
fn line_bound(entry: &Entry) -> Option<usize> {
    let message: &str = &entry.message;
    let lines = message.bytes().filter(|b| *b == b'\n').count();
    let mut bound = 64
        + 2 * (entry.thread.map_or(0, str::len) + entry.target.len() + message.len())
        + 8 * lines;
    if let Some(extra) = entry.extra.as_deref() {
        if message.contains(['\\', '=']) {
            return None;
        }
        for span in extra.spans() {
            bound += 2 * span.len() + 2;
        }
        for (key, value) in extra.fields() {
            bound += 2 * (key.len() + value.len()) + 3;
        }
    }
    Some(bound)
}

fn header(scratch: &mut String, reason: Reason, persister: Persister) {
    scratch.clear();
    scratch.push_str("\nlogged-test: ");
    match reason {
        Reason::Signal(signal) => {
            let name = SIGNALS
                .iter()
                .find(|(s, _)| *s == signal)
                .map_or("a signal", |(_, name)| name);
            let _ = write!(scratch, "the process got {name} ({signal})");
        }
        Reason::Exit => scratch.push_str("the process is exiting (`exit`)"),
    }
    scratch.push_str(" while these tests were running; their logs are written as they were:\n");
    if persister == Persister::TimedOut {
        let _ = writeln!(
            scratch,
            "logged-test: the persister thread did not finish within {WAIT_MS} ms; \
             records it was still writing may be missing"
        );
    }
    write_all(2, scratch.as_bytes());
}

fn report(scratch: &mut String, harness: &Harness, outcome: &DumpOutcome) {
    scratch.clear();
    let _ = write!(scratch, "logged-test: crashed: `{}`: ", harness.test);
    let _ = match outcome {
        DumpOutcome::Written { tally, error: None } => {
            write!(scratch, "{} records in {}", tally.records, harness.log)
        }
        DumpOutcome::Written {
            tally,
            error: Some(errno),
        } => write!(
            scratch,
            "its {} records could not all be written to {} (errno {errno})",
            tally.records, harness.log
        ),
        DumpOutcome::OnDisk {
            tally,
            unwritten: 0,
        } => write!(scratch, "{} records in {}", tally.records, harness.log),
        DumpOutcome::OnDisk { tally, unwritten } => write!(
            scratch,
            "{} records in {}, but the last {unwritten} were still queued and are missing",
            tally.records, harness.log
        ),
        DumpOutcome::Busy => write!(
            scratch,
            "skipped: its records were locked (by the crashing thread?) for {STORE_WAIT_MS} ms; \
             what reached {} before is all there is",
            harness.log
        ),
    };
    scratch.push('\n');
    write_all(2, scratch.as_bytes());
}

/// Appends the test's manifest line, `"outcome":"crashed"`, with one write.
fn manifest_line(scratch: &mut String, manifest: &Manifest, outcome: &DumpOutcome) {
    let (tally, written) = match outcome {
        DumpOutcome::Written { tally, error } => (*tally, error.is_none()),
        DumpOutcome::OnDisk { tally, .. } => (*tally, true),
        DumpOutcome::Busy => (Tally::default(), false),
    };
    scratch.clear();
    scratch.push_str(&manifest.test_json);
    if written {
        scratch.push_str(&manifest.log_json);
    } else {
        scratch.push_str(",\"log\":null,\"log_note\":\"not written: see the test's output\"");
    }
    let [error, warn, info, debug, trace] = tally.levels;
    let _ = writeln!(
        scratch,
        ",\"outcome\":\"crashed\",\"records\":{},\"levels\":{{\"error\":{error},\"warn\":{warn},\"info\":{info},\"debug\":{debug},\"trace\":{trace}}}}}",
        tally.records
    );
    // SAFETY: NUL-terminated paths made at `describe`; the flags refuse a
    // symlink at the manifest's name, as `manifest::append` does.
    let fd = unsafe {
        libc::mkdir(manifest.dir.as_ptr(), 0o755);
        libc::open(
            manifest.file.as_ptr(),
            libc::O_WRONLY | libc::O_CREAT | libc::O_APPEND | libc::O_NOFOLLOW | libc::O_CLOEXEC,
            0o644,
        )
    };
    if fd >= 0 {
        write_all(fd, scratch.as_bytes());
        // SAFETY: the descriptor just opened.
        unsafe { libc::close(fd) };
    }
}

/// `write` until all of `bytes` is written; false on an error.
fn write_all(fd: c_int, mut bytes: &[u8]) -> bool {
    while !bytes.is_empty() {
        // SAFETY: `bytes` is valid for reads of its length.
        let n = unsafe { libc::write(fd, bytes.as_ptr().cast(), bytes.len()) };
        if n < 0 {
            if errno() == libc::EINTR {
                continue;
            }
            return false;
        }
        bytes = bytes.get(n as usize..).unwrap_or_default();
    }
    true
}

fn errno() -> c_int {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

fn sleep_ms(ms: u32) {
    let pause = libc::timespec {
        tv_sec: 0,
        tv_nsec: libc::c_long::from(ms as u16) * 1_000_000,
    };
    // SAFETY: `pause` is a valid duration; no remainder is asked for.
    unsafe { libc::nanosleep(&pause, ptr::null_mut()) };
}

#[cfg(test)]
mod should {
    use super::*;
    use crate::engine::message::Message;
    use crate::engine::record::{ExtraBuilder, Text};

    fn entry(message: &str, fields: &[(&'static str, &str)]) -> Entry {
        let mut extra = ExtraBuilder::new();
        for (key, value) in fields {
            extra.field_str(Text::Static(key), value);
        }
        Entry {
            level: log::Level::Warn,
            target: Text::Static("a target"),
            message: Message::copy(message),
            timestamp: std::time::UNIX_EPOCH + std::time::Duration::from_micros(1_234_567),
            thread: Some("worker 1"),
            extra: extra.finish(),
        }
    }

    fn formatted(entry: &Entry, capacity: usize) -> String {
        let mut scratch = String::with_capacity(capacity);
        let mut out = Vec::new();
        format_entry(entry, &mut scratch, Form::File, &mut |bytes| {
            out.extend_from_slice(bytes)
        });
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn format_a_record_as_the_file_does_without_growing_the_buffer() {
        let long = "x".repeat(3000);
        let cases = [
            entry("plain", &[]),
            entry("two\nlines", &[]),
            entry("with fields", &[("order", "42"), ("who", "a b")]),
            entry("fields\nand lines", &[("k", "v")]),
            entry(&long, &[]),
            entry(&long, &[("k", "v")]),
        ];
        for (i, entry) in cases.iter().enumerate() {
            let mut whole = String::new();
            entry.write_to(&mut whole);
            // Room for all of it, and too little (pieces, or a note).
            assert_eq!(formatted(entry, SCRATCH_BYTES), whole, "case {i}");
            let mut scratch = String::with_capacity(512);
            let capacity = scratch.capacity();
            format_entry(entry, &mut scratch, Form::File, &mut |_| {});
            assert_eq!(scratch.capacity(), capacity, "case {i} grew the buffer");
        }
        // Too long for the buffer: the plain one in pieces, unchanged.
        let mut whole = String::new();
        cases[4].write_to(&mut whole);
        assert_eq!(formatted(&cases[4], 512), whole);
        // With fields: its header and a note, never a partial line.
        let noted = formatted(&cases[5], 512);
        assert!(noted.ends_with("(a record too long to write while the process crashes)\n"));
        assert_eq!(noted.matches('\n').count(), 1);
    }

    #[test]
    fn echo_fields_without_a_span_after_a_plain_colon() {
        let entry = entry("paid", &[("order", "42")]);
        let mut file = String::new();
        entry.write_to(&mut file);
        assert!(file.ends_with(" a\\starget : paid order=42\n"), "{file:?}");
        let mut shown = Vec::new();
        let mut scratch = String::with_capacity(SCRATCH_BYTES);
        format_entry(&entry, &mut scratch, Form::Shown, &mut |bytes| {
            shown.extend_from_slice(bytes)
        });
        let shown = String::from_utf8(shown).unwrap();
        assert!(shown.ends_with(" a\\starget: paid order=42\n"), "{shown:?}");
        assert!(entry.view().shown_differs());
    }

    #[test]
    fn not_promise_a_bound_for_a_line_that_would_allocate() {
        assert!(line_bound(&entry("a=b", &[("k", "v")])).is_none());
        assert!(line_bound(&entry("a=b", &[])).is_some());
    }

    #[test]
    fn name_the_old_directory_after_this_process() {
        let mut out = [0xffu8; 32];
        old_name(&mut out);
        let end = out.iter().position(|b| *b == 0).unwrap();
        assert_eq!(
            std::str::from_utf8(&out[..end]).unwrap(),
            format!("old-{}", std::process::id())
        );
    }
}
