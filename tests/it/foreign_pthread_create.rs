//! When another `pthread_create` is called instead of the crate's (a second
//! interposer linked first, or a duplicate definition a debug build links
//! silently), inheritance is off for the process, stderr says so once,
//! `inherits_routes()` says false, and a failure report says so.
//!
//! A real second definition in a test binary links or fails to link
//! depending on the build profile, so the child simulates one: it makes the
//! crate's wrapper forward unchanged before anything else, as if it were not
//! the one called, and the run-time check must notice.

use crate::common;

use logged_test::LogAssertions as _;
use logged_test::TestLogs;

const CHILD_MODE: &str = "FOREIGN_PTHREAD_CREATE_CHILD";
const CHILD: &str = "foreign_pthread_create::child_with_another_pthread_create";

#[test]
#[ignore = "run in a child process by `another_pthread_create_turns_inheritance_off_and_says_so`"]
fn child_with_another_pthread_create() {
    if std::env::var_os(CHILD_MODE).is_none() {
        return;
    }
    logged_test::__private::simulate_foreign_pthread_create();
    let logs = TestLogs::new("foreign").unwrap();
    println!("inherits_routes={}", logged_test::inherits_routes());
    // Another collector, so that rule 4 does not take the thread's record.
    let other = std::thread::spawn(|| TestLogs::new("other").unwrap())
        .join()
        .unwrap();
    std::thread::spawn(|| log::warn!("foreign-marker from a thread"))
        .join()
        .unwrap();
    drop(other);
    // Fails: the thread did not inherit the route; the report says why.
    logs.assert_contains("foreign-marker");
}

#[test]
fn another_pthread_create_turns_inheritance_off_and_says_so() {
    let output = common::rerun(CHILD).env(CHILD_MODE, "1").output().unwrap();
    let text = common::text(&output);
    if !logged_test::__private::INHERITS_ROUTES {
        // No hook compiled in: nothing to turn off, the record is lost the
        // same way, and nothing is said about `pthread_create`.
        assert!(text.contains("inherits_routes=false"), "{text}");
        assert!(!text.contains("another `pthread_create`"), "{text}");
        return;
    }
    assert!(!output.status.success(), "{text}");
    assert!(text.contains("inherits_routes=false"), "{text}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        stderr
            .matches("logged-test: another `pthread_create` is called instead of logged-test's")
            .count(),
        1,
        "said once on stderr:\n{text}"
    );
    assert!(
        text.contains("note: another `pthread_create` is called instead of logged-test's"),
        "the failure report says so:\n{text}"
    );
    assert!(text.contains("foreign-marker"), "{text}");
}

#[test]
fn in_this_process_our_pthread_create_is_the_one_called() {
    assert_eq!(
        logged_test::inherits_routes(),
        logged_test::__private::INHERITS_ROUTES
    );
}
