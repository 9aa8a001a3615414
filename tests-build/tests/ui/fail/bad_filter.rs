//! Filters are checked at compile time by the run-time crate's own rule
//! (the one `TestLogs::set_filter` and `LOGGED_TEST_FILTER` use), and
//! `filter` does not go with `level`.

use logged_test::logged_test;

#[logged_test(filter = "info,my_crate::db=loud")]
fn unknown_level_in_a_directive() {}

#[logged_test(filter = "info,a=b=c")]
fn two_equals() {}

#[logged_test(filter = "info/regex")]
fn message_filter() {}

#[logged_test(filter = " , ")]
fn no_directive() {}

#[logged_test(level = "info", filter = "info,my_crate=trace")]
fn level_and_filter() {}

fn main() {}
