//! Composition with rstest: the fixture and the `logged_test::test` alias.

use logged_test::LogAssertions as _;
use logged_test::TestLogs;
#[cfg(feature = "rstest")]
use logged_test::test_logs;
use rstest::rstest;

#[cfg(feature = "rstest")]
#[rstest]
fn the_fixture_gives_each_case_its_own_logs(test_logs: TestLogs, #[values(1, 2, 3)] n: u32) {
    log::info!("fixture-case-{n}");
    let captured = test_logs.captured();
    captured.assert_contains(&format!("fixture-case-{n}"));
    assert_eq!(captured.len(), 1, "{}", captured.text());
    // libtest names the thread after the case, so does the session.
    assert!(
        test_logs
            .test_name()
            .contains("the_fixture_gives_each_case_its_own_logs")
    );
}

#[cfg(feature = "rstest")]
#[rstest]
fn the_fixture_takes_a_filter(#[with("warn,fixture_app::db=trace")] test_logs: TestLogs) {
    log::trace!(target: "fixture_app::db", "fixture-filter kept");
    log::info!(target: "fixture_app::api", "fixture-filter dropped");
    test_logs.assert_contains("fixture-filter kept");
    test_logs.assert_not_contains("fixture-filter dropped");
}

#[rstest]
#[case(1)]
#[case(2)]
#[logged_test::test(markers = ["alias-case"])]
fn the_alias_gives_each_case_its_own_logs(#[case] n: u32) {
    log::info!("alias-case {n}");
}

#[rstest]
#[case("a")]
#[case("b")]
#[logged_test::test]
fn cases_are_named_after_the_case(#[case] _name: &str) {
    let name = std::thread::current().name().unwrap_or_default().to_owned();
    log::info!("case thread {name}");
    assert!(name.contains("case_"), "{name}");
}

#[logged_test::logged_test(markers = ["outer-case"])]
#[rstest]
#[case(1)]
#[case(2)]
fn logged_test_above_rstest_keeps_the_case_parameters(logs: &TestLogs, #[case] n: u32) {
    log::info!("outer-case {n}");
    logs.assert_count("outer-case", 1);
}

#[logged_test::logged_test]
#[rstest]
fn logged_test_above_rstest_with_values(#[values("x", "y")] v: &str) {
    log::info!("outer-value {v}");
}
