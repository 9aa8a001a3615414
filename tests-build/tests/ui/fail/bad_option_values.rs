use logged_test::{TestLogs, logged_test};

#[logged_test(level = debug)]
fn level_not_a_string(_logs: &TestLogs) {}

#[logged_test(level("debug"))]
fn level_as_a_list() {}

#[logged_test(markers = "ready")]
fn markers_not_an_array() {}

#[logged_test(markers = ["ready", 1, ""])]
fn bad_markers() {}

#[logged_test(session = 7)]
fn session_not_a_string() {}

#[logged_test(keep = "yes")]
fn keep_not_a_bool() {}

#[logged_test(flavor = "local")]
async fn unknown_flavor() {}

#[logged_test(flavor = "multi_threaded")]
async fn misspelt_flavor() {}

#[logged_test(flavor = "multi_thread", worker_threads = 0)]
async fn zero_worker_threads() {}

#[logged_test(flavor = "multi_thread", worker_threads = "2")]
async fn worker_threads_not_an_integer() {}

fn main() {}
