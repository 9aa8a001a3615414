use logged_test::{TestLogs, logged_test};

#[logged_test(level = "debug", level = "info")]
fn level_twice(_logs: &TestLogs) {}

#[logged_test(keep, markers = [], keep = false)]
fn keep_twice() {}

fn main() {}
