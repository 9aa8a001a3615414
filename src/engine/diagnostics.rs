//! Opt-in diagnostics (`LOGGED_TEST_DEBUG=1`): the seed's "Key Log Output
//! Markers", written to stderr. Silent by default, never on the hot path.

use std::fmt;
use std::io::Write as _;

/// Writes one `[Log] ...` line (the seed's format) to stderr when `LOGGED_TEST_DEBUG` is on.
pub(crate) fn emit(args: fmt::Arguments<'_>) {
    if crate::env::debug() {
        // Diagnostics must never fail the caller: ignore a closed stderr.
        let _ = writeln!(std::io::stderr(), "[Log] {args}");
    }
}
