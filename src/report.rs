//! Failure reports of the assertion helpers, in insta's order: what failed,
//! where the log is, the evidence, the closest record, one hint.

use std::fmt::Write as _;

use crate::record::CapturedRecord;

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
        if let Some((index, record)) = closest(records, marker) {
            let _ = writeln!(out, "closest record (#{}):", index + 1);
            let _ = writeln!(out, "  {}", clip(&record.to_string()));
        }
    }
    out.push_str(
        "hint: a failing test keeps its log directory; set LOGGED_TEST_KEEP=1 to keep passing tests' too",
    );
    out
}

/// The numbered records, the last `limit` of them.
pub(crate) fn render_records(out: &mut String, records: &[CapturedRecord], limit: usize) {
    let skipped = records.len().saturating_sub(limit);
    if records.is_empty() {
        out.push_str("captured records: none\n");
        return;
    }
    if skipped > 0 {
        let _ = writeln!(
            out,
            "captured records (last {limit} of {}; {skipped} earlier records omitted):",
            records.len()
        );
    } else {
        let _ = writeln!(out, "captured records ({}):", records.len());
    }
    let width = records.len().to_string().len();
    for (n, record) in records.iter().enumerate().skip(skipped) {
        let text = clip(&record.to_string());
        let mut lines = text.split('\n');
        let _ = writeln!(out, "  {:>width$} | {}", n + 1, lines.next().unwrap_or(""));
        for more in lines {
            let _ = writeln!(out, "  {:>width$} | {more}", "");
        }
    }
}

fn clip(text: &str) -> String {
    match text.char_indices().nth(SHOWN_CHARS) {
        Some((cut, _)) => format!("{}... ({} more bytes)", &text[..cut], text.len() - cut),
        None => text.to_owned(),
    }
}

/// The record whose message shares the longest run of characters with
/// `marker`, if it shares at least half of it.
fn closest<'a>(records: &'a [CapturedRecord], marker: &str) -> Option<(usize, &'a CapturedRecord)> {
    let marker: Vec<char> = marker.to_lowercase().chars().collect();
    if marker.is_empty() {
        return None;
    }
    let mut best: Option<(usize, usize)> = None;
    for (index, record) in records.iter().enumerate() {
        let message: Vec<char> = record.message.to_lowercase().chars().take(4096).collect();
        let score = longest_common_run(&marker, &message);
        if best.is_none_or(|(_, s)| score >= s) {
            best = Some((index, score));
        }
    }
    let (index, score) = best?;
    (score * 2 >= marker.len()).then(|| (index, &records[index]))
}

fn longest_common_run(a: &[char], b: &[char]) -> usize {
    let mut prev = vec![0usize; b.len() + 1];
    let mut cur = vec![0usize; b.len() + 1];
    let mut best = 0;
    for &ca in a {
        for (j, &cb) in b.iter().enumerate() {
            cur[j + 1] = if ca == cb { prev[j] + 1 } else { 0 };
            best = best.max(cur[j + 1]);
        }
        std::mem::swap(&mut prev, &mut cur);
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
        }
    }

    #[test]
    fn find_the_closest_record_ignoring_case() {
        let records = [rec("alpha"), rec("Connection REFUSED by peer"), rec("beta")];
        assert_eq!(
            closest(&records, "connection refused").map(|c| c.0),
            Some(1)
        );
        assert_eq!(closest(&records, "zzzz"), None);
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
