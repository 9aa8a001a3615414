//! What the design describes, and nothing of tests: where a record goes from
//! the logging call (`logger`, `tracing`, `capture`, `routing`, `registry`)
//! through the collector's store (`store`, `protocol`) to the one persister
//! thread that writes the session files (`persister`, `session`, `record`).

pub(crate) mod capture;
pub(crate) mod collector;
#[cfg(unix)]
pub(crate) mod crash;
pub(crate) mod diagnostics;
pub(crate) mod filter;
pub(crate) mod fork;
#[cfg(logged_test_inherit)]
pub(crate) mod inherit;
pub(crate) mod logger;
pub(crate) mod message;
pub(crate) mod persister;
pub(crate) mod protocol;
pub(crate) mod record;
pub(crate) mod registry;
pub(crate) mod routing;
pub(crate) mod session;
pub(crate) mod store;
pub mod thread;
#[cfg(feature = "tracing")]
#[cfg_attr(docsrs, doc(cfg(feature = "tracing")))]
pub mod tracing;
pub(crate) mod unattributed;
