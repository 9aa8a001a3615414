//! [`LogCollector::captured`]: the engine's collector seen through the
//! harness's [`CapturedLogs`]. It lives here, not in `engine/collector.rs`,
//! so that the engine imports nothing of the harness.

use crate::engine::collector::LogCollector;
use crate::error::LogError;
use crate::harness::captured::CapturedLogs;

impl LogCollector {
    /// Every record this collector captured, in all its sessions, in order
    /// (only its own: earlier content of a reused file is left out).
    ///
    /// The snapshot shares the records held in memory instead of copying
    /// them (it costs O(chunks of records), not O(records)); past 8 MiB,
    /// later records are read back, when the snapshot is read, from the
    /// session files through the handles the persister holds (never by path,
    /// so a deleted or replaced file reads back the same), a block at a time.
    /// If that read fails, the snapshot shows an `Error` record saying so
    /// where the rest of the log would be. On a collector that writes to
    /// disk, everything returned has also been handed to the OS, as by a
    /// flush.
    ///
    /// # Errors
    ///
    /// As [`wait_for_empty`](Self::wait_for_empty).
    ///
    /// # Examples
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let collector = logged_test::LogCollector::without_ui(dir.path())?;
    /// collector.log_str("one");
    /// collector.start_new_session_blocking("s.log")?;
    /// collector.log_str("two");
    /// let captured = collector.captured()?;
    /// assert_eq!(captured.messages(), ["one", "two"]);
    /// assert_eq!(captured.records()[1].generation, 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn captured(&self) -> Result<CapturedLogs, LogError> {
        let (memory, spilled) = self.settled_records()?;
        Ok(CapturedLogs::shared(
            memory,
            spilled,
            self.id(),
            self.known_session_path(),
        ))
    }
}

const _: () = {
    const fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<CapturedLogs>();
};
