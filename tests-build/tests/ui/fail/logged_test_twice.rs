use logged_test::logged_test;

#[logged_test]
#[logged_test::test]
fn twice(_logs: &logged_test::TestLogs) {}

#[logged_test(keep)]
#[logged_test]
fn twice_with_the_same_name() {}

fn main() {}
