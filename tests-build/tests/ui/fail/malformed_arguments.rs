use logged_test::{TestLogs, logged_test};

#[logged_test("debug")]
fn not_key_value(_logs: &TestLogs) {}

#[logged_test(level = )]
fn missing_value() {}

#[logged_test(level = "debug" keep)]
fn missing_comma() {}

fn main() {}
