//! Marks: a point in a test's log, what was captured after it, waiting for
//! a record after it, and clearing what came before.
//!
//! A mark is the number of records the test had captured when it was taken;
//! records are numbered in the order the collector took them, so "after the
//! mark" means "taken by the collector after `mark()` returned". Records
//! another thread logs *while* `mark()` runs are on one side or the other.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::engine::protocol;
use crate::harness::captured::CapturedLogs;
use crate::harness::test_logs::TestLogs;

/// A point in a test's log, from [`TestLogs::mark`]: [`TestLogs::since`]
/// gives what was captured after it.
///
/// Marks of one test compare in the order they were taken.
///
/// # Examples
///
/// ```
/// let logs = logged_test::TestLogs::new("docs::mark_type")?;
/// let first = logs.mark();
/// log::info!("between");
/// let second = logs.mark();
/// assert!(first < second);
/// assert_eq!(logs.since(first).messages(), ["between"]);
/// assert!(logs.since(second).is_empty());
/// # Ok::<(), logged_test::LogError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Mark {
    /// Records captured before the mark.
    index: usize,
}

impl TestLogs {
    /// Marks the current end of the log: [`since`](Self::since) and
    /// [`wait_for_since`](Self::wait_for_since) then look only at the
    /// records captured after this call.
    ///
    /// # Examples
    ///
    /// ```
    /// use logged_test::prelude::*;
    ///
    /// let logs = logged_test::TestLogs::new("docs::mark")?;
    /// log::info!("request 1 ok");
    /// let mark = logs.mark();
    /// log::warn!("request 2 slow");
    /// let after = logs.since(mark);
    /// after.assert_logged_at(log::Level::Warn, "request 2");
    /// after.assert_not_contains("request 1");
    /// # Ok::<(), logged_test::LogError>(())
    /// ```
    pub fn mark(&self) -> Mark {
        Mark {
            index: self.captured_count(),
        }
    }

    /// What the test captured after `mark`, with every assertion of
    /// [`CapturedLogs`]. Records hidden by [`clear`](Self::clear) stay
    /// hidden.
    ///
    /// # Panics
    ///
    /// As [`captured`](Self::captured), if records past those kept in memory
    /// cannot be read back.
    ///
    /// # Examples
    ///
    /// ```
    /// use logged_test::prelude::*;
    ///
    /// let logs = logged_test::TestLogs::new("docs::since")?;
    /// let mark = logs.mark();
    /// log::info!("retry 1");
    /// log::info!("retry 2");
    /// logs.since(mark).assert_count("retry", 2);
    /// # Ok::<(), logged_test::LogError>(())
    /// ```
    #[track_caller]
    pub fn since(&self, mark: Mark) -> CapturedLogs {
        self.captured_after(mark.index)
    }

    /// Hides every record captured so far from later assertions of this
    /// `TestLogs` (and from [`captured`](Self::captured)), like pytest's
    /// `caplog.clear()`. The records stay in the session file, in the
    /// failure output, and in the check of
    /// [`deny`](Self::deny), which looks at the whole log.
    ///
    /// # Examples
    ///
    /// ```
    /// use logged_test::prelude::*;
    ///
    /// let logs = logged_test::TestLogs::new("docs::clear")?;
    /// log::info!("warm-up done");
    /// logs.clear();
    /// log::info!("measured run");
    /// logs.assert_not_contains("warm-up");
    /// assert_eq!(logs.captured().messages(), ["measured run"]);
    /// # Ok::<(), logged_test::LogError>(())
    /// ```
    pub fn clear(&self) {
        let now = self.captured_count();
        self.cleared.fetch_max(now, Ordering::Relaxed);
    }

    /// Blocks until a record containing `marker` is captured after `mark`,
    /// or `timeout` passes; returns whether it was. Records before the mark
    /// (and before a [`clear`](Self::clear)) do not count. The logging
    /// thread wakes the caller; nothing polls.
    ///
    /// # Panics
    ///
    /// On a tokio current-thread runtime, where blocking would stop the
    /// tasks that are to log (use [`wait_for_since`](Self::wait_for_since)).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let logs = logged_test::TestLogs::new("docs::wait_for_since_blocking")?;
    /// log::info!("connected");
    /// let mark = logs.mark();
    /// assert!(!logs.wait_for_since_blocking(mark, "connected", Duration::from_millis(1)));
    /// let worker = logged_test::thread::spawn(|| log::info!("connected again"));
    /// assert!(logs.wait_for_since_blocking(mark, "connected", Duration::from_secs(10)));
    /// worker.join().unwrap();
    /// # Ok::<(), logged_test::LogError>(())
    /// ```
    #[track_caller]
    #[doc(alias = "blocking_wait_for_since")]
    #[expect(
        clippy::panic,
        reason = "documented under `# Panics`: blocking would deadlock the runtime"
    )]
    pub fn wait_for_since_blocking(&self, mark: Mark, marker: &str, timeout: Duration) -> bool {
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            if handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::CurrentThread {
                panic!(
                    "`wait_for_since_blocking` would block the current-thread runtime that has to \
                     run the tasks it waits for; use `wait_for_since(..).await` in async code"
                );
            }
        }
        let (ack, reply) = protocol::reply();
        let cancelled = Arc::new(AtomicBool::new(false));
        // Watch first, then look: a record taken in between is seen by one
        // or the other.
        self.collector().watch_next(marker, ack, &cancelled);
        let found =
            self.logged_after(mark.index, marker) || reply.blocking_recv_timeout(timeout).is_some();
        cancelled.store(true, Ordering::Relaxed);
        self.expect_marker(found, None, marker);
        found
    }

    /// Waits until a record containing `marker` is captured after `mark`, or
    /// `timeout` passes; returns whether it was. The async form of
    /// [`wait_for_since_blocking`](Self::wait_for_since_blocking); needs a
    /// tokio runtime with time enabled (as `#[logged_test]` builds).
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), logged_test::LogError> {
    /// use std::time::Duration;
    ///
    /// let logs = logged_test::TestLogs::new("docs::wait_for_since")?;
    /// log::info!("job done");
    /// let mark = logs.mark();
    /// tokio::spawn(logs.collector().scope(async { log::info!("job done again") }));
    /// assert!(logs.wait_for_since(mark, "job done", Duration::from_secs(10)).await);
    /// assert_eq!(logs.since(mark).messages(), ["job done again"]);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn wait_for_since(&self, mark: Mark, marker: &str, timeout: Duration) -> bool {
        let (ack, reply) = protocol::reply();
        let cancelled = Arc::new(AtomicBool::new(false));
        self.collector().watch_next(marker, ack, &cancelled);
        let found = self.logged_after(mark.index, marker)
            || matches!(tokio::time::timeout(timeout, reply).await, Ok(Ok(())));
        cancelled.store(true, Ordering::Relaxed);
        self.expect_marker(found, None, marker);
        found
    }

    /// The records hidden by [`clear`](Self::clear), as a mark.
    pub(crate) fn cleared_mark(&self) -> Option<Mark> {
        match self.cleared.load(Ordering::Relaxed) {
            0 => None,
            index => Some(Mark { index }),
        }
    }

    /// How many records the collector holds (memory, disk and queue).
    fn captured_count(&self) -> usize {
        let collector = self.collector();
        collector
            .check_records(|records| records.count())
            .unwrap_or_else(|| collector.captured().map_or(0, |logs| logs.len()))
    }

    /// Whether a record after the first `index` (and after a clear) contains `marker`.
    fn logged_after(&self, index: usize, marker: &str) -> bool {
        let skip = index.max(self.cleared.load(Ordering::Relaxed));
        let collector = self.collector();
        let fast = collector
            .check_records(|records| records.skip(skip).any(|e| e.message.contains(marker)));
        fast.unwrap_or_else(|| {
            // Streamed: a spilled log is never loaded whole.
            collector.captured().is_ok_and(|logs| {
                logs.without_first(skip)
                    .any_message(|_, message| message.contains(marker))
            })
        })
    }

    /// The test's records after the first `index`, and after a clear.
    #[track_caller]
    fn captured_after(&self, index: usize) -> CapturedLogs {
        let all = self.captured_all();
        let skip = index.max(self.cleared.load(Ordering::Relaxed));
        restrict(all, skip)
    }
}

/// `logs` without its first `skip` records.
pub(crate) fn restrict(logs: CapturedLogs, skip: usize) -> CapturedLogs {
    logs.without_first(skip)
}
