use logged_test::{TestLogs, logged_test};

#[logged_test(levle = "debug")]
fn misspelt_key(_logs: &TestLogs) {}

#[logged_test(verbose)]
fn bare_unknown_key() {}

#[logged_test(log::level = "debug")]
fn path_key() {}

#[logged_test(markers = ["x"], keeep)]
fn near_miss() {}

fn main() {}
