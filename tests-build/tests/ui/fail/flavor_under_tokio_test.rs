//! `#[tokio::test]` above `#[logged_test]` has already turned the `async fn`
//! into a sync test by the time `#[logged_test]` sees it; its runtime options
//! belong to `#[tokio::test]`.

use logged_test::logged_test;

#[tokio::test]
#[logged_test(flavor = "multi_thread")]
async fn flavor_below_tokio_test() {}

#[tokio::test(flavor = "multi_thread")]
#[logged_test(worker_threads = 2)]
async fn worker_threads_below_tokio_test() {}

fn main() {}
