use logged_test::{TestLogs, logged_test};

#[logged_test]
struct NotATest;

#[logged_test]
const NOT_A_TEST_EITHER: u8 = 1;

fn use_logs(_logs: &TestLogs) {}

fn main() {
    let _ = (NotATest, NOT_A_TEST_EITHER, use_logs);
}
