use logged_test::{TestLogs, logged_test};

#[logged_test(worker_threads = 2)]
async fn no_flavor(_logs: &TestLogs) {}

#[logged_test(flavor = "current_thread", worker_threads = 2)]
async fn current_thread() {}

fn main() {}
