//! Writes `$OUT_DIR/cases.rs`: one `case!(tNNN, NNN);` per test. Every variant
//! includes the same file and defines its own `case!`, so all variants have
//! the same 400 tests. `$OUT_DIR/real_cases.rs` does the same for the
//! "real suite" workload (fewer, longer tests).

use std::fmt::Write as _;

/// Tests per variant.
const TESTS: u32 = 400;
/// Tests of the real-suite workload.
const REAL_TESTS: u32 = 24;

fn main() {
    let mut cases = String::new();
    for n in 0..TESTS {
        let _ = writeln!(cases, "case!(t{n:03}, {n});");
    }
    let out = std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR for build scripts");
    let path = std::path::Path::new(&out).join("cases.rs");
    std::fs::write(&path, cases).expect("OUT_DIR is writable");
    let mut real = String::new();
    for n in 0..REAL_TESTS {
        let _ = writeln!(real, "case!(r{n:02}, {n});");
    }
    let path = std::path::Path::new(&out).join("real_cases.rs");
    std::fs::write(&path, real).expect("OUT_DIR is writable");
    println!("cargo::rerun-if-changed=build.rs");
}
