use logged_test::{TestLogs, logged_test};

#[logged_test]
fn by_value(logs: TestLogs) {
    drop(logs);
}

#[logged_test]
fn mutable(_logs: &mut TestLogs) {}

#[logged_test]
fn other_type(_count: u32) {}

#[logged_test]
fn two_parameters(_logs: &TestLogs, _count: u32, _name: &str) {}

fn main() {}
