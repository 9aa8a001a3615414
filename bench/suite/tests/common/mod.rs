//! What every variant's test does, so that only the logger differs.

/// `info!` lines each test logs.
pub const LINES: u32 = 200;

/// Logs the test's `LINES` formatted lines.
pub fn log_lines(test: u32) {
    for line in 0..LINES {
        log::info!("test {test} line {line} of {LINES}: value {}", line * 31);
    }
}

/// The same lines as [`log_lines`], through `tracing::info!`.
#[allow(dead_code)] // Only the `logged_test_tracing` variant logs through tracing.
pub fn trace_lines(test: u32) {
    for line in 0..LINES {
        tracing::info!("test {test} line {line} of {LINES}: value {}", line * 31);
    }
}

/// The text one line of test `test` (its last) contains, and no other line
/// of any test.
///
/// With `SUITE_WRONG_MARKER` set it is a text no test logs, so that `run.sh`
/// can check that every variant's assertion fails without its marker.
pub fn marker(test: u32) -> String {
    if std::env::var_os("SUITE_WRONG_MARKER").is_some() {
        return format!("test {test} line {LINES} of {LINES}:");
    }
    format!("test {test} line {} of {LINES}:", LINES - 1)
}
