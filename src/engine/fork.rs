//! `fork()` in a test: the child has no persister thread.
//!
//! A forked child starts with one thread, a copy of the one that called
//! `fork`; the persister thread (and every other thread) is not in it, so
//! anything that waits for the persister would wait forever. A
//! `pthread_atfork` child handler bumps a process-wide fork epoch, and:
//!
//! - records routed (in the child) to a collector made before the fork go
//!   nowhere: its store, locks and persister belong to the parent;
//! - collectors made in the child work in memory (`captured()`, every
//!   assertion), but what needs the disk (`flush()`, `dir()`, a session
//!   switch) fails with [`LogError::PersisterGone`](crate::LogError::PersisterGone)
//!   at once instead of waiting, unless the child's first collector started
//!   a persister of its own (when the parent had none).
#![deny(unsafe_op_in_unsafe_fn)]

use std::sync::Once;
use std::sync::atomic::{AtomicU32, Ordering};

/// How many `fork`s separate this process from the one that loaded us.
static EPOCH: AtomicU32 = AtomicU32::new(0);
/// The fork epoch the persister thread was started in (`u32::MAX`: none).
static PERSISTER_EPOCH: AtomicU32 = AtomicU32::new(u32::MAX);

/// Registers the fork handler, once per process (before any collector can
/// exist, so no collector predates it).
pub(crate) fn install() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        #[cfg(unix)]
        // SAFETY: `pthread_atfork` stores the function pointer; `in_child`
        // is a plain `extern "C" fn()` that only does one atomic add, which
        // is async-signal-safe as a forked child of a threaded process
        // requires. A failure (ENOMEM) leaves the handler out: then a
        // forked child may hang as before, which is the best we can do.
        let _ = unsafe { libc::pthread_atfork(None, None, Some(in_child)) };
    });
}

#[cfg(unix)]
unsafe extern "C" fn in_child() {
    EPOCH.fetch_add(1, Ordering::Relaxed);
}

/// The current fork epoch: differs from the one a collector was made in
/// when this is a forked child of its process.
#[inline]
pub(crate) fn epoch() -> u32 {
    EPOCH.load(Ordering::Relaxed)
}

/// Called by `persister::start` when it started the thread.
pub(crate) fn persister_started() {
    PERSISTER_EPOCH.store(epoch(), Ordering::Release);
}

/// Whether this process has a running persister thread (false in a forked
/// child of the process that started it).
pub(crate) fn persister_here() -> bool {
    PERSISTER_EPOCH.load(Ordering::Acquire) == epoch()
}
