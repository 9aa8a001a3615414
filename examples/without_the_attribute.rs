//! `LogCollector` on its own, without `#[logged_test]`: the README's "Without the attribute" example.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "the example keeps error handling out of the way of what it shows"
)]

use std::sync::Arc;

use logged_test::LogCollector;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let log_dir = tempfile::tempdir()?;
    let (ui_tx, mut ui_rx) = tokio::sync::mpsc::channel(256);
    let collector = Arc::new(LogCollector::new(log_dir.path(), ui_tx)?);
    collector
        .clone()
        .init_global_logger(log::LevelFilter::Info)?;

    let session = collector.start_new_session("install.log").await?;
    log::info!("installing");
    collector.log_str("[STEP] done");
    collector.wait_for_empty().await?;

    assert!(std::fs::read_to_string(&session)?.contains("[STEP] done"));
    assert_eq!(ui_rx.recv().await.unwrap().message, "installing");
    println!("session file: {}", session.display());
    Ok(())
}
