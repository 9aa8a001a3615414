use logged_test::logged_test;

#[logged_test(flavor = "multi_thread")]
#[tokio::test]
async fn flavor_with_tokio_test(_logs: &logged_test::TestLogs) {}

#[logged_test(worker_threads = 2)]
#[tokio::test(flavor = "multi_thread")]
async fn worker_threads_with_tokio_test() {}

fn main() {}
