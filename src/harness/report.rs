//! Failure reports of the assertion helpers, in insta's order: what failed,
//! where the log is, the evidence, the closest record, one hint.

use std::fmt::Write as _;

use crate::engine::record::CapturedRecord;

/// Records shown in a failure report.
pub(crate) const SHOWN_RECORDS: usize = 50;
/// Characters of one record shown before it is cut.
const SHOWN_CHARS: usize = 400;

/// Where the records came from, for the report's context lines.
#[derive(Debug, Clone, Default)]
pub(crate) struct Origin {
    pub(crate) test_name: Option<String>,
    pub(crate) collector_id: u64,
    pub(crate) session: Option<std::path::PathBuf>,
}

pub(crate) fn render(
    summary: &str,
    origin: &Origin,
    records: &[CapturedRecord],
    closest_to: Option<&str>,
) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{summary}");
    if let Some(test) = &origin.test_name {
        let _ = writeln!(out, "  test:      {test}");
    }
    let _ = writeln!(out, "  collector: {}", origin.collector_id);
    match &origin.session {
        Some(path) => {
            let _ = writeln!(out, "  log file:  {}", path.display());
        }
        None => out.push_str("  log file:  (no session started)\n"),
    }
    render_records(&mut out, records, SHOWN_RECORDS);
    if let Some(marker) = closest_to {
        render_closest(&mut out, records, marker, SEARCH_BUDGET);
    }
    if let Some(note) = crate::engine::unattributed::report_note(origin.collector_id) {
        out.push_str(&note);
    }
    out.push_str(
        "hint: a failing test keeps its log directory; set LOGGED_TEST_KEEP=1 to keep passing tests' too",
    );
    out
}

/// The closest record to `marker`, and whether the search saw every record.
#[expect(
    clippy::indexing_slicing,
    reason = "`closest` returns an index into `records`"
)]
fn render_closest(out: &mut String, records: &[CapturedRecord], marker: &str, budget: usize) {
    let search = closest(records, marker, budget);
    let cut_short = (search.searched < records.len()).then(|| {
        format!(
            "the search was cut short: it compared the last {} of {} records",
            search.searched,
            records.len()
        )
    });
    match (search.found, cut_short) {
        (Some(index), None) => {
            let _ = writeln!(out, "closest record (#{}):", index + 1);
            let _ = writeln!(out, "  {}", shown(&records[index]));
        }
        (Some(index), Some(why)) => {
            let _ = writeln!(out, "closest record (#{}; {why}):", index + 1);
            let _ = writeln!(out, "  {}", shown(&records[index]));
        }
        (None, Some(why)) => {
            let _ = writeln!(out, "closest record: none close enough ({why})");
        }
        (None, None) => {}
    }
}

/// The numbered records, the last `limit` of them; only those are formatted.
pub(crate) fn render_records(out: &mut String, records: &[CapturedRecord], limit: usize) {
    let skipped = records.len().saturating_sub(limit);
    render_tail(
        out,
        records.get(skipped..).unwrap_or_default(),
        records.len(),
        limit,
    );
}

/// [`render_records`] given only the last records (`tail`, at most `limit`)
/// of `total`: for a log read back streaming.
pub(crate) fn render_tail(out: &mut String, tail: &[CapturedRecord], total: usize, limit: usize) {
    let records_len = total;
    let skipped = total.saturating_sub(tail.len());
    if total == 0 {
        out.push_str("captured records: none\n");
        return;
    }
    if skipped > 0 {
        let _ = writeln!(
            out,
            "captured records (last {} of {records_len}; {skipped} earlier records omitted):",
            tail.len().min(limit)
        );
    } else {
        let _ = writeln!(out, "captured records ({records_len}):");
    }
    let width = records_len.to_string().len();
    for (n, record) in (skipped + 1..).zip(tail) {
        let text = shown(record);
        let mut lines = text.split('\n');
        let _ = writeln!(out, "  {n:>width$} | {}", lines.next().unwrap_or(""));
        for more in lines {
            let _ = writeln!(out, "  {:>width$} | {more}", "");
        }
    }
}

/// Whether `record` is the one `#[logged_test]` writes where the test
/// failed: the panic, or the `Err` the test returned.
pub(crate) fn is_failure_record(record: &CapturedRecord) -> bool {
    record.level == log::Level::Error
        && record.target == "logged_test"
        && (record.message.starts_with("panicked")
            || record.message.starts_with("returned Err")
            || record
                .message
                .starts_with("returned, but the test had to panic"))
}

/// The records around the failure: the panic (or returned `Err`) record
/// marked `>`, the records before it and up to a third of `limit` of what
/// came after it (teardown), so the tail shows where the test failed, not
/// only what was dropped while unwinding. `records` are the last of `total`
/// (read back streaming); without a failure record among them, the plain
/// tail of `limit` records.
pub(crate) fn render_failure_tail(
    out: &mut String,
    records: &[CapturedRecord],
    total: usize,
    limit: usize,
) {
    let offset = total.saturating_sub(records.len());
    let Some(failure) = records.iter().rposition(is_failure_record) else {
        let skipped = records.len().saturating_sub(limit);
        render_tail(
            out,
            records.get(skipped..).unwrap_or_default(),
            total,
            limit,
        );
        return;
    };
    let limit = limit.max(1);
    let later = records.len() - failure - 1;
    let after = later.min(limit / 3);
    let before = failure.min(limit - 1 - after);
    let first = failure - before;
    let last = failure + after;
    let _ = write!(
        out,
        "captured records around the failure (#{} of {total}, marked `>`",
        offset + failure + 1,
    );
    match (offset + first, records.len() - 1 - last) {
        (0, 0) => {}
        (earlier, 0) => {
            let _ = write!(out, "; {earlier} earlier records omitted");
        }
        (0, later) => {
            let _ = write!(out, "; {later} later records omitted");
        }
        (earlier, later) => {
            let _ = write!(out, "; {earlier} earlier and {later} later records omitted");
        }
    }
    out.push_str("):\n");
    let width = total.to_string().len();
    let window = records.get(first..=last).unwrap_or_default();
    for (n, record) in (offset + first + 1..).zip(window) {
        let mark = if n == offset + failure + 1 { '>' } else { ' ' };
        let text = shown(record);
        let mut lines = text.split('\n');
        let _ = writeln!(out, "{mark} {n:>width$} | {}", lines.next().unwrap_or(""));
        for more in lines {
            let _ = writeln!(out, "  {:>width$} | {more}", "");
        }
    }
}

/// A record as the report shows it: its line, cut after `SHOWN_CHARS`
/// characters. A huge message is cut before it is formatted, so showing a
/// 100 MB record costs no 100 MB copy.
fn shown(record: &CapturedRecord) -> String {
    // `SHOWN_CHARS` characters are at most 4 bytes each.
    let keep = SHOWN_CHARS * 4;
    if record.message.len() <= keep {
        return clip(&record.to_string(), 0);
    }
    let mut cut = keep;
    while !record.message.is_char_boundary(cut) {
        cut -= 1;
    }
    let mut line = String::with_capacity(128 + cut);
    crate::engine::record::RecordView::plain(
        record.timestamp,
        record.level,
        record.thread.as_deref(),
        &record.target,
        &record.message[..cut],
    )
    .write(&mut line, crate::engine::record::Form::Shown);
    clip(line.trim_end_matches('\n'), record.message.len() - cut)
}

/// `text` cut after `SHOWN_CHARS` characters; `hidden` more bytes were
/// already cut off its end.
fn clip(text: &str, hidden: usize) -> String {
    match text.char_indices().nth(SHOWN_CHARS) {
        Some((cut, _)) => format!(
            "{}... ({} more bytes)",
            &text[..cut],
            text.len() - cut + hidden
        ),
        None if hidden > 0 => format!("{text}... ({hidden} more bytes)"),
        None => text.to_owned(),
    }
}

/// Characters compared by the closest-record search before it stops: about
/// 10 ms in a release build, whatever the size of the log.
const SEARCH_BUDGET: usize = 8_000_000;
/// Characters of a message the search looks at.
const SEARCHED_CHARS: usize = 4096;
/// Characters of the marker the search looks for, so that comparing one
/// record costs at most a million pairs.
const SEARCHED_MARKER_CHARS: usize = 256;

/// What the closest-record search found, and how far it got.
#[derive(Debug, PartialEq, Eq)]
struct Search {
    /// Index of the closest record, if one shares at least half the marker.
    found: Option<usize>,
    /// How many records it compared, counted from the newest.
    searched: usize,
}

/// The record whose message shares the longest run of characters with
/// `marker` (its first 256 characters, ignoring case), if it shares at
/// least half of it. The newest
/// records are compared first, and the search stops once it has compared
/// `budget` pairs of characters, so a huge log still fails fast; ties go to
/// the newer record.
fn closest(records: &[CapturedRecord], marker: &str, budget: usize) -> Search {
    let marker: Vec<char> = marker
        .chars()
        .take(SEARCHED_MARKER_CHARS)
        .flat_map(char::to_lowercase)
        .collect();
    let mut search = Search {
        found: None,
        searched: 0,
    };
    if marker.is_empty() {
        search.searched = records.len();
        return search;
    }
    let mut message = Vec::with_capacity(256);
    let mut scratch = (Vec::new(), Vec::new());
    let mut best = 0;
    let mut spent = 0usize;
    for (index, record) in records.iter().enumerate().rev() {
        message.clear();
        message.extend(
            record
                .message
                .chars()
                .take(SEARCHED_CHARS)
                .flat_map(char::to_lowercase),
        );
        let cost = marker.len() * message.len().max(1);
        if search.searched > 0 && spent.saturating_add(cost) > budget {
            break;
        }
        spent += cost;
        search.searched += 1;
        let score = longest_common_run(&marker, &message, &mut scratch);
        if score > best {
            best = score;
            search.found = Some(index);
        }
    }
    if best * 2 < marker.len() {
        search.found = None;
    }
    search
}

/// The length of the longest run of characters `a` and `b` share; `scratch`
/// is reused between calls.
#[expect(
    clippy::indexing_slicing,
    reason = "both rows are resized to `b.len() + 1` and `j < b.len()`"
)]
fn longest_common_run(a: &[char], b: &[char], scratch: &mut (Vec<usize>, Vec<usize>)) -> usize {
    let (prev, cur) = scratch;
    prev.clear();
    prev.resize(b.len() + 1, 0);
    cur.clear();
    cur.resize(b.len() + 1, 0);
    let mut best = 0;
    for &ca in a {
        for (j, &cb) in b.iter().enumerate() {
            cur[j + 1] = if ca == cb { prev[j] + 1 } else { 0 };
            best = best.max(cur[j + 1]);
        }
        std::mem::swap(prev, cur);
    }
    best
}

#[cfg(test)]
mod should {
    use super::*;

    fn rec(message: &str) -> CapturedRecord {
        CapturedRecord {
            level: log::Level::Info,
            target: "t".into(),
            message: message.into(),
            thread: None,
            timestamp: std::time::UNIX_EPOCH,
            generation: 1,
            fields: Vec::new(),
            spans: Vec::new(),
            span_fields: Vec::new(),
        }
    }

    #[test]
    fn find_the_closest_record_ignoring_case() {
        let records = [rec("alpha"), rec("Connection REFUSED by peer"), rec("beta")];
        assert_eq!(
            closest(&records, "connection refused", SEARCH_BUDGET),
            Search {
                found: Some(1),
                searched: 3
            }
        );
        assert_eq!(closest(&records, "zzzz", SEARCH_BUDGET).found, None);
    }

    #[test]
    fn prefer_the_newest_of_equally_close_records() {
        let records = [rec("retry 1 failed"), rec("ok"), rec("retry 2 failed")];
        assert_eq!(
            closest(&records, "retry failed", SEARCH_BUDGET).found,
            Some(2)
        );
    }

    #[test]
    fn search_a_small_log_whole_and_say_nothing_about_the_search() {
        let mut records: Vec<_> = (0..1_000).map(|i| rec(&format!("tick {i}"))).collect();
        records[3] = rec("user 42 logged out");
        let mut out = String::new();
        render_closest(&mut out, &records, "user 42 logged in", SEARCH_BUDGET);
        assert_eq!(
            out,
            format!("closest record (#4):\n  {}\n", shown(&records[3]))
        );
    }

    #[test]
    fn cut_a_big_search_short_and_say_so() {
        let records: Vec<_> = (0..10_000).map(|i| rec(&format!("tick {i:05}"))).collect();
        // "tick 09999" against "tock 0999": 10 x 9 = 90 pairs per record.
        let search = closest(&records, "tock 0999", 90 * 100);
        assert_eq!(
            search.searched, 100,
            "the newest 100 records fit the budget"
        );
        assert_eq!(search.found, Some(9_999));
        let mut out = String::new();
        render_closest(&mut out, &records, "tock 0999", 90 * 100);
        assert!(
            out.starts_with(
                "closest record (#10000; the search was cut short: it compared the last 100 of 10000 records):"
            ),
            "{out}"
        );
        out.clear();
        render_closest(&mut out, &records, "zzzzzzzzz", 90 * 100);
        assert_eq!(
            out,
            "closest record: none close enough (the search was cut short: it compared the last 100 of 10000 records)\n"
        );
    }

    #[test]
    fn bound_the_search_of_a_million_records() {
        let records: Vec<_> = (0..1_000_000)
            .map(|i| rec(&format!("record {i}")))
            .collect();
        let search = closest(&records, "a marker nobody logged", SEARCH_BUDGET);
        assert!(search.searched < records.len() / 10, "{search:?}");
        assert!(search.searched > 10_000, "{search:?}");
    }

    #[test]
    fn cut_a_huge_message_before_formatting_it() {
        let huge = rec(&"é".repeat(1_000_000));
        let text = shown(&huge);
        let full = huge.to_string();
        let kept = text.split("... (").next().unwrap();
        assert!(full.starts_with(kept));
        assert_eq!(kept.chars().count(), SHOWN_CHARS);
        assert!(
            text.ends_with(&format!("... ({} more bytes)", full.len() - kept.len())),
            "{}",
            &text[text.len() - 40..]
        );
    }

    #[test]
    fn show_only_the_last_records() {
        let records: Vec<_> = (0..60).map(|i| rec(&format!("line {i}"))).collect();
        let mut out = String::new();
        render_records(&mut out, &records, 50);
        assert!(out.contains("10 earlier records omitted"), "{out}");
        assert!(!out.contains("line 9\n"));
        assert!(out.contains("line 59"));
    }
}
