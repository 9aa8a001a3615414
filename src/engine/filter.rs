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
        if spec.contains('/') {
            return Err(
                "message filters (`/pattern`) are not supported; filter by target and level only"
                    .to_owned(),
            );
        }
        if spec.split(',').all(|d| d.trim().is_empty()) {
            return Err("it has no directive; write at least a level, like `info`".to_owned());
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
        assert!(why.contains("loud"), "{why}");
    }
}
