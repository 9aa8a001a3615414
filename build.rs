//! Decides whether the thread-creation hook (`src/engine/inherit.rs`) is compiled.
//!
//! It is sound only where the crate's own `pthread_create` can forward to
//! glibc's with `dlsym(RTLD_NEXT, ..)`: Linux, glibc, dynamically linked, and
//! no sanitizer runtime that brings its own `pthread_create` interceptor.

use std::env;

fn main() {
    println!("cargo::rustc-check-cfg=cfg(logged_test_inherit)");
    for var in [
        "CARGO_FEATURE_INHERIT",
        "CARGO_CFG_TARGET_OS",
        "CARGO_CFG_TARGET_ENV",
        "CARGO_CFG_TARGET_FEATURE",
        "CARGO_CFG_SANITIZE",
    ] {
        println!("cargo::rerun-if-env-changed={var}");
    }
    let var = |name: &str| env::var(name).unwrap_or_default();
    let wanted = env::var_os("CARGO_FEATURE_INHERIT").is_some();
    let linux_glibc = var("CARGO_CFG_TARGET_OS") == "linux" && var("CARGO_CFG_TARGET_ENV") == "gnu";
    let crt_static = var("CARGO_CFG_TARGET_FEATURE")
        .split(',')
        .any(|f| f == "crt-static");
    let sanitized = !var("CARGO_CFG_SANITIZE").is_empty();
    if wanted && linux_glibc && !crt_static && !sanitized {
        println!("cargo::rustc-cfg=logged_test_inherit");
    }
}
