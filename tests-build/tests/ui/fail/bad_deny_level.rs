//! The `deny` level is checked at compile time by the rule `LOGGED_TEST_DENY` uses.

use logged_test::logged_test;

#[logged_test(deny = "warning")]
fn unknown_deny_level() {}

fn main() {}
