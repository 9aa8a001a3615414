//! The seed's "Testing Guidelines" examples, copied as a user would copy them
//! and run unchanged: fixed directories under the system temp dir, so they
//! must also pass when run again (session files are appended to, never
//! truncated). Lines marked `// filled in` stand for the seed's undefined
//! `dir1`, `dir2`, `ui_tx` and its `// ... test ...` placeholders.
//!
//! The two tests run in parallel threads of one process, so they use
//! different fixed directories.

use std::sync::Arc;

use logged_test::LogCollector;

#[tokio::test]
async fn test_my_feature() -> Result<(), Box<dyn std::error::Error>> {
    let log_dir = std::env::temp_dir().join("my_test_logs");
    let (ui_tx, _ui_rx) = tokio::sync::mpsc::channel(256);

    let log_collector = Arc::new(LogCollector::new(log_dir, ui_tx)?);

    // Try to initialize, but handle gracefully if already done
    let _ = log_collector
        .clone()
        .init_global_logger(log::LevelFilter::Info);

    // Create a session
    let session = log_collector.start_new_session("my_test.log").await?;

    log_collector.log_str("[MYTEST] Testing feature X");

    // ... test logic ...

    // Flush before verification
    log_collector.wait_for_empty().await?;

    // Read and verify logs
    let content = std::fs::read_to_string(&session)?;
    assert!(content.contains("[MYTEST]"));

    Ok(())
}

#[tokio::test]
async fn test_multiple_sessions() -> Result<(), Box<dyn std::error::Error>> {
    let dir1 = std::env::temp_dir().join("my_test_logs_1"); // filled in
    let dir2 = std::env::temp_dir().join("my_test_logs_2"); // filled in
    let (ui_tx, _ui_rx) = tokio::sync::mpsc::channel(256); // filled in

    // Session 1
    {
        let log_collector = Arc::new(LogCollector::new(dir1, ui_tx.clone())?);
        let _ = log_collector
            .clone()
            .init_global_logger(log::LevelFilter::Info);
        let path1 = log_collector.start_new_session("session1.log").await?;
        // ... test with session 1 ...
        log::info!("[SESSION1] logged through the global logger"); // filled in
        log_collector.wait_for_empty().await?;
        let content = std::fs::read_to_string(&path1)?; // filled in
        assert!(content.contains("[SESSION1] logged through the global logger")); // filled in
        assert!(!content.contains("[SESSION2]")); // filled in
    } // LogCollector drops, unregisters from dispatcher

    // Session 2 (same global logger, different LogCollector)
    {
        let log_collector = Arc::new(LogCollector::new(dir2, ui_tx.clone())?);
        let _ = log_collector
            .clone()
            .init_global_logger(log::LevelFilter::Info);
        let path2 = log_collector.start_new_session("session2.log").await?;
        // ... test with session 2 ...
        log::info!("[SESSION2] logged through the global logger"); // filled in
        log_collector.wait_for_empty().await?;
        let content = std::fs::read_to_string(&path2)?; // filled in
        assert!(content.contains("[SESSION2] logged through the global logger")); // filled in
        assert!(!content.contains("[SESSION1]")); // filled in
    } // LogCollector drops, unregisters from dispatcher

    Ok(())
}
