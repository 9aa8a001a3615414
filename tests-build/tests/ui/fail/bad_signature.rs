use logged_test::{TestLogs, logged_test};

#[logged_test]
const fn constant(_logs: &TestLogs) {}

#[logged_test]
unsafe fn not_safe() {}

#[logged_test]
fn generic<T: Default>() {
    let _ = T::default();
}

#[logged_test]
fn where_clause()
where
    u8: Copy,
{
}

#[logged_test]
extern "C" fn foreign_abi() {}

fn main() {}
