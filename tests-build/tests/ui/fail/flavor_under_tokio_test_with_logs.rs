//! `#[tokio::test]` above, a runtime option on `#[logged_test]` and a
//! `&TestLogs` parameter: only the error about the option, not libtest's
//! about the parameter of the fn it could not expand.

use logged_test::{LogAssertions as _, TestLogs, logged_test};

#[tokio::test]
#[logged_test(flavor = "multi_thread")]
async fn flavor_below_tokio_test(logs: &TestLogs) {
    logs.assert_contains("x");
}

fn main() {}
