//! One collector under load: many producers with concurrent flushes, and
//! sessions switched while other threads log. Figures quoted in the README's
//! "Guarantees".
#![expect(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "helpers outside `#[test]` fns fail the test by panicking, as the tests themselves may"
)]

use std::collections::HashMap;
use std::io::{Read as _, Seek as _, SeekFrom};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};

use logged_test::{LogCollector, PRE_SESSION_FILE};

const PRODUCERS: usize = 4;
const LINES_PER_PRODUCER: usize = 250_000;
const SWITCHES: u64 = 1_000;
/// Each session logger flushes after this many lines, and stops at the cap.
const FLUSH_EVERY: usize = 64;
const MAX_LINES_PER_LOGGER: usize = 500_000;

/// The message of a line of the file format: the part after the last space
/// (every message of this file is a single space-free token).
fn message(line: &str) -> &str {
    line.rsplit(' ').next().unwrap_or(line)
}

/// Reads a growing file in steps, checking that each producer's lines arrive
/// once and in order.
struct Tail {
    file: std::fs::File,
    offset: u64,
    partial: Vec<u8>,
    next: [usize; PRODUCERS],
}

impl Tail {
    fn new(path: &Path) -> Tail {
        Tail {
            file: std::fs::File::open(path).unwrap(),
            offset: 0,
            partial: Vec::new(),
            next: [0; PRODUCERS],
        }
    }

    /// Consumes the complete lines written since the last call.
    fn advance(&mut self) {
        self.file.seek(SeekFrom::Start(self.offset)).unwrap();
        let read = self.file.read_to_end(&mut self.partial).unwrap();
        self.offset += read as u64;
        let Some(end) = self.partial.iter().rposition(|&b| b == b'\n') else {
            return;
        };
        let complete: Vec<u8> = self.partial.drain(..=end).collect();
        for line in std::str::from_utf8(&complete).unwrap().lines() {
            let fields: Vec<&str> = message(line).split('|').collect();
            let ["producer", t, n] = fields[..] else {
                panic!("a line no producer sent: {line:?}");
            };
            let (t, n): (usize, usize) = (t.parse().unwrap(), n.parse().unwrap());
            assert_eq!(
                n, self.next[t],
                "producer {t}: {line:?} is out of order or repeated"
            );
            self.next[t] += 1;
        }
    }
}

#[test]
fn four_producers_land_every_line_once_in_order_across_concurrent_flushes() {
    logged_test::init_logger().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let collector = Arc::new(LogCollector::without_ui(dir.path()).unwrap());
    let path = collector
        .start_new_session_blocking("producers.log")
        .unwrap();
    // Lines each producer has sent so far (stored after the call returned).
    let sent: Arc<[AtomicUsize; PRODUCERS]> = Arc::new(Default::default());
    let done = Arc::new(AtomicBool::new(false));
    let start = Arc::new(Barrier::new(PRODUCERS + 1));
    // Producer 0 stops halfway until a flush has covered its first half, so
    // at least one flush lands in the middle of its lines.
    let (halfway_tx, halfway_rx) = std::sync::mpsc::sync_channel::<()>(1);
    let mut halfway_rx = Some(halfway_rx);

    let flusher = {
        let (collector, sent, done, start) =
            (collector.clone(), sent.clone(), done.clone(), start.clone());
        let path = path.clone();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .build()
                .unwrap();
            let mut tail = Tail::new(&path);
            let mut flushes = 0_u64;
            let mut halfway_tx = Some(halfway_tx);
            start.wait();
            loop {
                let finished = done.load(Ordering::SeqCst);
                let before: Vec<usize> = sent.iter().map(|s| s.load(Ordering::SeqCst)).collect();
                if flushes % 2 == 0 {
                    collector.wait_for_empty_blocking().unwrap();
                } else {
                    runtime.block_on(collector.wait_for_empty()).unwrap();
                }
                flushes += 1;
                tail.advance();
                for (t, &sent) in before.iter().enumerate() {
                    assert!(
                        tail.next[t] >= sent,
                        "flush {flushes}: producer {t} had sent {sent} lines, only {} on disk",
                        tail.next[t]
                    );
                }
                if before[0] >= LINES_PER_PRODUCER / 2 {
                    if let Some(tx) = halfway_tx.take() {
                        tx.send(()).unwrap();
                    }
                }
                if finished {
                    return (tail.next, flushes);
                }
            }
        })
    };

    let producers: Vec<_> = (0..PRODUCERS)
        .map(|t| {
            let route = collector.clone();
            let (collector, sent, start) = (collector.clone(), sent.clone(), start.clone());
            let halfway = if t == 0 { halfway_rx.take() } else { None };
            let produce = move || {
                start.wait();
                for n in 0..LINES_PER_PRODUCER {
                    // Half the producers go through `log`, half call the collector.
                    if t % 2 == 0 {
                        log::info!("producer|{t}|{n}");
                    } else {
                        collector.log_str(&format!("producer|{t}|{n}"));
                    }
                    sent[t].store(n + 1, Ordering::SeqCst);
                    if n + 1 == LINES_PER_PRODUCER / 2 {
                        if let Some(halfway) = &halfway {
                            halfway.recv().unwrap();
                        }
                    }
                }
            };
            std::thread::spawn(route.bind(produce))
        })
        .collect();
    for producer in producers {
        producer.join().unwrap();
    }
    done.store(true, Ordering::SeqCst);
    let (on_disk, flushes) = flusher.join().unwrap();

    assert_eq!(on_disk, [LINES_PER_PRODUCER; PRODUCERS]);
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text.lines().count(), PRODUCERS * LINES_PER_PRODUCER);
    eprintln!(
        "{} lines from {PRODUCERS} producers, {flushes} concurrent flushes",
        PRODUCERS * LINES_PER_PRODUCER
    );
}

/// What a logger knew about one of its lines.
#[derive(Debug, Clone, Copy)]
struct Sent {
    /// `collector.generation()` read just before logging it.
    at_least: u64,
    /// The last session the switcher had announced, read just after.
    at_most: u64,
}

#[test]
fn each_line_lands_in_one_session_between_the_generations_around_its_send() {
    logged_test::init_logger().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let collector = Arc::new(LogCollector::without_ui(dir.path()).unwrap());
    // "About to request session n", published before each request.
    let requested = Arc::new(AtomicU64::new(0));
    let switching = Arc::new(AtomicBool::new(true));
    let start = Arc::new(Barrier::new(3));

    let loggers: Vec<_> = (0..2)
        .map(|logger| {
            let route = collector.clone();
            let (collector, requested, switching, start) = (
                collector.clone(),
                requested.clone(),
                switching.clone(),
                start.clone(),
            );
            let run = move || {
                let mut sent = Vec::new();
                start.wait();
                // Keep logging while the switcher runs, and a little after.
                let mut extra = 100;
                while extra > 0 && sent.len() < MAX_LINES_PER_LOGGER {
                    if !switching.load(Ordering::SeqCst) {
                        extra -= 1;
                    }
                    let n = sent.len();
                    let at_least = collector.generation();
                    if logger == 0 {
                        collector.log_str(&format!("line|{logger}|{n}"));
                    } else {
                        log::info!("line|{logger}|{n}");
                    }
                    let at_most = requested.load(Ordering::SeqCst);
                    sent.push(Sent { at_least, at_most });
                    if sent.len() % FLUSH_EVERY == 0 {
                        // Back-pressure: unbounded loggers would grow the
                        // queue faster than the persister drains it.
                        collector.wait_for_empty_blocking().unwrap();
                    }
                }
                sent
            };
            std::thread::spawn(route.bind(run))
        })
        .collect();

    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    start.wait();
    for n in 1..=SWITCHES {
        requested.store(n, Ordering::SeqCst);
        let name = session_name(n);
        let path = if n % 2 == 0 {
            runtime
                .block_on(collector.start_new_session(&name))
                .unwrap()
        } else {
            collector.start_new_session_blocking(&name).unwrap()
        };
        assert_eq!(path, dir.path().join(&name));
        assert_eq!(collector.generation(), n);
    }
    switching.store(false, Ordering::SeqCst);
    let sent: Vec<Vec<Sent>> = loggers.into_iter().map(|l| l.join().unwrap()).collect();
    collector.wait_for_empty_blocking().unwrap();
    assert_eq!(collector.generation(), SWITCHES);

    // Where each line is on disk: session file = generation.
    let mut found: Vec<Vec<Option<u64>>> = sent.iter().map(|s| vec![None; s.len()]).collect();
    let mut sessions_with_lines = 0;
    for generation in 0..=SWITCHES {
        let file = match generation {
            0 => PRE_SESSION_FILE.to_owned(),
            n => session_name(n),
        };
        let text = std::fs::read_to_string(dir.path().join(&file)).unwrap_or_default();
        sessions_with_lines += usize::from(!text.is_empty());
        for line in text.lines() {
            let fields: Vec<&str> = message(line).split('|').collect();
            let ["line", logger, n] = fields[..] else {
                panic!("{file}: a line no logger sent: {line:?}");
            };
            let (logger, n): (usize, usize) = (logger.parse().unwrap(), n.parse().unwrap());
            let slot = &mut found[logger][n];
            assert_eq!(
                *slot, None,
                "line {logger}/{n} is in two places: {file} and {slot:?}"
            );
            *slot = Some(generation);
        }
    }
    for (logger, lines) in sent.iter().enumerate() {
        for (n, sent) in lines.iter().enumerate() {
            let Some(generation) = found[logger][n] else {
                panic!("line {logger}/{n} is in no session file");
            };
            assert!(
                (sent.at_least..=sent.at_most).contains(&generation),
                "line {logger}/{n} is in session {generation}, outside {sent:?}"
            );
        }
    }

    // `captured()` reports the same generation for each record.
    let captured = collector.captured().unwrap();
    let by_message: HashMap<&str, u64> = captured
        .records()
        .iter()
        .map(|r| (r.message.as_str(), r.generation))
        .collect();
    assert_eq!(by_message.len(), sent.iter().map(Vec::len).sum::<usize>());
    for (logger, lines) in found.iter().enumerate() {
        for (n, generation) in lines.iter().enumerate() {
            assert_eq!(
                by_message[format!("line|{logger}|{n}").as_str()],
                generation.unwrap()
            );
        }
    }
    eprintln!(
        "{SWITCHES} switches, {} lines from 2 loggers, {sessions_with_lines} sessions got lines",
        by_message.len()
    );
}

fn session_name(n: u64) -> String {
    format!("s{n:04}.log")
}
