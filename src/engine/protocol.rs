//! The messages between a collector and the persister: what a collector's
//! queue holds ([`Item`]: a record or a [`Control`]), and how the persister
//! answers ([`Ack`], the sending end of a [`reply`] channel). Controls (open,
//! new session, flush, sync, shutdown) travel in the same queue as records,
//! so the persister carries them out in the order they were sent.
//! [`reply`] makes the channel an answer travels on: one type whether the
//! caller blocks or awaits.

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use crate::engine::record::Entry;
use crate::error::LogError;

/// Makes a reply channel: the persister answers on the [`Ack`], the caller
/// waits on the [`Reply`], blocking or async (like tokio's oneshot with its
/// `blocking_recv` and `.await`, but the blocking wait never panics, not
/// even on a runtime's thread, where the `*_blocking` methods may be called).
pub(crate) fn reply<T>() -> (Ack<T>, Reply<T>) {
    let shared = Arc::new(Shared {
        state: Mutex::new(State {
            value: None,
            answered: false,
            waker: None,
        }),
        ready: Condvar::new(),
        waiting: AtomicBool::new(true),
        done: AtomicBool::new(false),
    });
    (
        Ack {
            shared: Arc::clone(&shared),
        },
        Reply { shared },
    )
}

/// What the two ends of a reply channel share.
#[derive(Debug)]
struct Shared<T> {
    state: Mutex<State<T>>,
    /// Wakes a blocking waiter.
    ready: Condvar,
    /// False once the [`Reply`] is dropped (the waiter gave up).
    waiting: AtomicBool,
    /// Set once the [`Ack`] is gone (`State::answered`), for a blocking
    /// waiter to spin on before it sleeps.
    done: AtomicBool,
}

#[derive(Debug)]
struct State<T> {
    value: Option<T>,
    /// The [`Ack`] is gone: sent, or dropped without an answer.
    answered: bool,
    /// Wakes an async waiter.
    waker: Option<Waker>,
}

impl<T> Shared<T> {
    fn state(&self) -> MutexGuard<'_, State<T>> {
        // Nothing panics while holding it; if something did, the state is
        // still whole (each change is one assignment).
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Ends the sending side, with `value` or without; wakes the waiter.
    /// Holds the lock only to store: never blocks on the waiter.
    fn answer(&self, value: Option<T>) {
        let waker = {
            let mut state = self.state();
            if state.answered {
                return;
            }
            state.answered = true;
            state.value = value;
            self.done.store(true, Ordering::Release);
            state.waker.take()
        };
        self.ready.notify_all();
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

/// The persister's end of a reply channel (see [`reply`]).
#[derive(Debug)]
pub(crate) struct Ack<T> {
    shared: Arc<Shared<T>>,
}

impl<T> Ack<T> {
    /// Answers; never blocks. The caller may have given up waiting (a
    /// cancelled future, a timeout): fine, the value is dropped with the
    /// channel.
    pub(crate) fn send(self, value: T) {
        self.shared.answer(Some(value));
    }

    /// The waiter is gone (its [`Reply`] was dropped).
    pub(crate) fn is_closed(&self) -> bool {
        !self.shared.waiting.load(Ordering::Acquire)
    }
}

impl<T> Drop for Ack<T> {
    /// Dropped unanswered (the persister is gone, or a watch was dropped):
    /// the waiter wakes to find no answer.
    fn drop(&mut self) {
        self.shared.answer(None);
    }
}

/// The caller's end of a reply channel (see [`reply`]): `.await` it, or
/// wait with [`blocking_recv`](Self::blocking_recv). Either way an [`Ack`]
/// dropped unanswered gives [`LogError::PersisterGone`].
#[derive(Debug)]
pub(crate) struct Reply<T> {
    shared: Arc<Shared<T>>,
}

impl<T> Reply<T> {
    /// Blocks the thread until the answer comes. Unlike tokio's
    /// `blocking_recv`, it does not panic on a runtime's thread.
    pub(crate) fn blocking_recv(self) -> Result<T, LogError> {
        self.snooze();
        let mut state = self.shared.state();
        while !state.answered {
            state = self
                .shared
                .ready
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
        state.value.take().ok_or(LogError::PersisterGone)
    }

    /// Before sleeping on the condition variable, spins and then yields a
    /// little while the answer may be moments away, as crossbeam's channels
    /// do (its `Backoff::snooze`: a quick answer costs no futex wake-up).
    fn snooze(&self) {
        const SPIN_LIMIT: u32 = 6;
        const YIELD_LIMIT: u32 = 10;
        for step in 0..=YIELD_LIMIT {
            if self.shared.done.load(Ordering::Acquire) {
                return;
            }
            if step <= SPIN_LIMIT {
                for _ in 0..1_u32 << step {
                    std::hint::spin_loop();
                }
            } else {
                std::thread::yield_now();
            }
        }
    }

    /// [`blocking_recv`](Self::blocking_recv) for at most `timeout`: the
    /// answer, or `None` when there is none by then or there will be none.
    pub(crate) fn blocking_recv_timeout(self, timeout: Duration) -> Option<T> {
        let state = self.shared.state();
        let (mut state, _) = self
            .shared
            .ready
            .wait_timeout_while(state, timeout, |state| !state.answered)
            .unwrap_or_else(PoisonError::into_inner);
        state.value.take()
    }
}

impl<T> Future for Reply<T> {
    type Output = Result<T, LogError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut state = self.shared.state();
        if state.answered {
            return Poll::Ready(state.value.take().ok_or(LogError::PersisterGone));
        }
        match &mut state.waker {
            Some(waker) => waker.clone_from(cx.waker()),
            None => state.waker = Some(cx.waker().clone()),
        }
        Poll::Pending
    }
}

impl<T> Drop for Reply<T> {
    /// Tells the persister (and a watch) that nobody waits any more.
    fn drop(&mut self) {
        self.shared.waiting.store(false, Ordering::Release);
    }
}

/// What the persister does with a collector, in queue order.
#[derive(Debug)]
pub(crate) enum Control {
    /// Create the directory, write the records held in memory, and keep
    /// writing from now on. Answers with the directory.
    Open(Option<Ack<Result<PathBuf, LogError>>>),
    NewSession(String, Ack<Result<PathBuf, LogError>>),
    Flush(Ack<Result<(), LogError>>),
    /// Answered once everything queued before it is in memory or on disk.
    Sync(Ack<()>),
    /// The last item of a sealed collector: close the files (and remove
    /// the directory, for a passing test's), then answer.
    Shutdown {
        remove_dir: bool,
        ack: Ack<()>,
    },
}

/// One entry of a collector's queue: a record or a control.
#[derive(Debug)]
pub(crate) enum Item {
    Line(Entry),
    Control(Control),
}

impl Control {
    /// Answers a control that cannot be carried out.
    pub(crate) fn refuse(self) {
        match self {
            Control::Open(ack) => {
                if let Some(ack) = ack {
                    ack.send(Err(LogError::PersisterGone));
                }
            }
            Control::NewSession(_, ack) => ack.send(Err(LogError::PersisterGone)),
            Control::Flush(ack) => ack.send(Err(LogError::PersisterGone)),
            Control::Sync(ack) | Control::Shutdown { ack, .. } => ack.send(()),
        }
    }
}

#[cfg(test)]
mod should {
    use std::time::Duration;

    use super::reply as channel;
    use crate::error::LogError;

    #[test]
    fn hand_the_answer_to_a_blocking_waiter_on_another_thread() {
        let (ack, reply) = channel();
        let answer = std::thread::spawn(move || ack.send(7));
        assert_eq!(reply.blocking_recv().unwrap(), 7);
        answer.join().unwrap();
    }

    #[test]
    fn say_the_persister_is_gone_when_the_ack_drops_unanswered() {
        let (ack, reply) = channel::<()>();
        drop(ack);
        assert!(matches!(
            reply.blocking_recv(),
            Err(LogError::PersisterGone)
        ));
        let (ack, reply) = channel::<()>();
        drop(ack);
        assert_eq!(reply.blocking_recv_timeout(Duration::from_secs(60)), None);
    }

    #[test]
    fn give_up_after_the_timeout_and_tell_the_ack() {
        let (ack, reply) = channel::<()>();
        assert!(!ack.is_closed());
        assert_eq!(reply.blocking_recv_timeout(Duration::from_millis(1)), None);
        assert!(ack.is_closed());
        // Answering nobody is fine.
        ack.send(());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn wait_blocking_on_a_runtime_thread_without_panicking() {
        // What tokio's `blocking_recv` panics on: `*_blocking` methods are
        // called from `#[tokio::test]` bodies.
        let (ack, reply) = channel();
        ack.send("sent");
        assert_eq!(reply.blocking_recv().unwrap(), "sent");
    }

    #[tokio::test]
    async fn be_awaited() {
        let (ack, reply) = channel();
        tokio::spawn(async move { ack.send(3) });
        assert_eq!(reply.await.unwrap(), 3);
        let (ack, reply) = channel::<u8>();
        tokio::spawn(async move { drop(ack) });
        assert!(matches!(reply.await, Err(LogError::PersisterGone)));
    }
}
