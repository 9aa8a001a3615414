use logged_test::{TestLogs, logged_test};

#[logged_test(flavor = "multi_thread")]
fn flavor_on_sync(_logs: &TestLogs) {}

#[logged_test(level = "info", worker_threads = 2)]
fn worker_threads_on_sync() {}

fn main() {}
