//! Level and session names are checked at compile time by the run-time
//! crate's own rules (the ones `LOGGED_TEST_LEVEL` and `start_new_session` use).

use logged_test::logged_test;

#[logged_test(level = "verbose")]
fn unknown_level() {}

#[logged_test(session = "logs/run.log")]
fn session_with_a_separator() {}

#[logged_test(session = "..")]
fn session_dot_dot() {}

#[logged_test(session = "")]
fn session_empty() {}

fn main() {}
