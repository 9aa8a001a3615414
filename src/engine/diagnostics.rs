//! Opt-in diagnostics (`LOGGED_TEST_DEBUG=1`): one `[Log] ...` line per
//! collector event (registered, session started, flushed, shut down),
//! written to stderr. Silent by default, never on the hot path.

use std::fmt;
use std::io::Write as _;

/// Writes one `[Log] ...` line to stderr when `LOGGED_TEST_DEBUG` is on.
pub(crate) fn emit(args: fmt::Arguments<'_>) {
    if crate::env::debug() {
        // Diagnostics must never fail the caller: ignore a closed stderr.
        let _ = writeln!(std::io::stderr(), "[Log] {args}");
    }
}
