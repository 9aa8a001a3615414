//! Per-target filter directives in `RUST_LOG`'s syntax
//! (`info,my_crate::db=trace,hyper=off`), parsed by `env_filter`, the parser
//! `env_logger` itself uses, so a filter means here what it means there.
//!
//! The parse is strict: a directive `env_filter` would skip with a warning
//! is an error. Message filters (`/pattern`) are refused: they can only be
//! checked on the formatted message, and a filtered-out record must cost no
//! formatting.

use log::LevelFilter;

/// Directives, parsed; what a collector's filter checks a record against.
#[derive(Debug, Clone)]
pub(crate) struct Directives {
    filter: env_filter::Filter,
}

impl Directives {
    /// Parses `spec`; `Err` says what is wrong with it.
    pub(crate) fn parse(spec: &str) -> Result<Directives, String> {
        if let Some(problem) = problem(spec) {
            return Err(problem.to_owned());
        }
        let mut builder = env_filter::Builder::new();
        match builder.try_parse(spec) {
            Ok(builder) => Ok(Directives {
                filter: builder.build(),
            }),
            Err(e) => Err(e
                .to_string()
                .trim_start_matches("error parsing logger filter: ")
                .to_owned()),
        }
    }

    /// The most verbose level any directive lets through.
    pub(crate) fn max_level(&self) -> LevelFilter {
        self.filter.filter()
    }

    /// Whether a record at `level` from `target` passes.
    #[inline]
    pub(crate) fn accepts(&self, level: log::Level, target: &str) -> bool {
        let metadata = log::Metadata::builder().level(level).target(target).build();
        self.filter.enabled(&metadata)
    }
}

/// What is wrong with `spec`, by `env_filter`'s rules, if anything. A
/// `const fn`, so that `#[logged_test(filter = "...")]` checks its literal
/// at compile time with the rule [`Directives::parse`] applies.
#[expect(
    clippy::indexing_slicing,
    reason = "a const fn cannot iterate; every index is checked against the length"
)]
pub(crate) const fn problem(spec: &str) -> Option<&'static str> {
    let bytes = spec.as_bytes();
    let mut directives = 0;
    // Each directive: `[start, end)`, the position of its first `=`, and
    // how many `=` it has.
    let (mut start, mut eq, mut eqs) = (0, 0, 0);
    let mut i = 0;
    while i <= bytes.len() {
        if i == bytes.len() || bytes[i] == b',' {
            let (name, level) = bytes.split_at(if eqs > 0 { eq } else { i });
            let name = name.split_at(start).1.trim_ascii();
            if eqs > 1 {
                return Some("a directive has more than one `=`; write `target=level`");
            }
            if eqs == 1 {
                let level = level.split_at(1).1.split_at(i - eq - 1).0;
                let level = match std::str::from_utf8(level) {
                    Ok(level) => level.trim_ascii(),
                    Err(_) => return Some("a level is not valid UTF-8"),
                };
                if !level.is_empty() && crate::env::parse_level(level).is_none() {
                    return Some(concat!(
                        "a directive's level is not a level; expected ",
                        crate::env::level_values!(),
                        " after `=`"
                    ));
                }
            }
            if !name.is_empty() || eqs > 0 {
                directives += 1;
            }
            start = i + 1;
            eqs = 0;
        } else if bytes[i] == b'=' {
            if eqs == 0 {
                eq = i;
            }
            eqs += 1;
        } else if bytes[i] == b'/' {
            return Some(
                "message filters (`/pattern`) are not supported; filter by target and level only",
            );
        }
        i += 1;
    }
    if directives == 0 {
        return Some("it has no directive; write at least a level, like `info`");
    }
    None
}

#[cfg(test)]
mod should {
    use super::*;

    #[test]
    fn keep_one_module_verbose_and_turn_a_dependency_off() {
        let d = Directives::parse("info,my_crate::db=trace,hyper=off").unwrap();
        assert_eq!(d.max_level(), LevelFilter::Trace);
        assert!(d.accepts(log::Level::Trace, "my_crate::db::pool"));
        assert!(!d.accepts(log::Level::Debug, "my_crate::api"));
        assert!(d.accepts(log::Level::Info, "my_crate::api"));
        assert!(!d.accepts(log::Level::Error, "hyper::proto"));
    }

    #[test]
    fn leave_out_targets_no_directive_names_as_rust_log_does() {
        let d = Directives::parse("my_crate=debug").unwrap();
        assert!(d.accepts(log::Level::Debug, "my_crate"));
        assert!(!d.accepts(log::Level::Error, "other"));
    }

    #[test]
    fn refuse_what_env_logger_would_skip_with_a_warning() {
        for bad in [
            "info,my_crate=loud",
            "a=b=c",
            "",
            " , ",
            "info/foo",
            "x=debug/a/b",
        ] {
            assert!(Directives::parse(bad).is_err(), "{bad:?} was accepted");
        }
        let why = Directives::parse("my_crate=loud").unwrap_err();
        assert!(why.contains("not a level"), "{why}");
    }

    #[test]
    fn check_at_compile_time_what_env_filter_accepts() {
        for spec in [
            "info",
            "INFO,a=trace",
            " info , my_crate::db = trace ,hyper=off",
            "my_crate",
            "my_crate=",
            "=info",
            "a,,b",
            "a=b=c",
            "a=loud",
            "a=",
            ",",
            "",
            "x/y",
            "a = debug , b = Warn",
            "é=info",
            "=",
        ] {
            let ours = problem(spec).is_none();
            let theirs = env_filter::Builder::new().try_parse(spec).is_ok() && !spec.contains('/');
            let has_directive = !spec.split(',').all(|d| d.trim().is_empty());
            assert_eq!(
                ours,
                theirs && has_directive,
                "{spec:?}: {:?}",
                problem(spec)
            );
        }
    }
}
