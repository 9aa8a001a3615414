//! Timestamps as the session file writes them (`YYYY-MM-DDTHH:MM:SS.ffffffZ`,
//! UTC) and the calendar arithmetic behind them.

use std::fmt::Write as _;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// `YYYY-MM-DDTHH:MM:SS.ffffffZ`, UTC.
pub(super) fn write_timestamp(out: &mut String, t: SystemTime) {
    thread_local! {
        /// The last second written, as `YYYY-MM-DDTHH:MM:SS.`: records come
        /// in bursts, so the calendar arithmetic runs once a second.
        static SECOND: std::cell::RefCell<(u64, String)> =
            const { std::cell::RefCell::new((u64::MAX, String::new())) };
    }
    let since = t.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO);
    let secs = since.as_secs();
    // A crash dump must not touch a thread-local (its first use may
    // allocate): it does the arithmetic each time.
    #[cfg(unix)]
    let dumping = crate::engine::crash::dumping();
    #[cfg(not(unix))]
    let dumping = false;
    let cached = (!dumping).then(|| {
        SECOND.try_with(|cell| {
            let mut cell = cell.try_borrow_mut().ok()?;
            if cell.0 != secs {
                cell.1.clear();
                write_second(&mut cell.1, secs);
                cell.0 = secs;
            }
            out.push_str(&cell.1);
            Some(())
        })
    });
    if !matches!(cached, Some(Ok(Some(())))) {
        write_second(out, secs);
    }
    let mut micros = since.subsec_micros();
    let mut digits = [b'0'; 6];
    for d in digits.iter_mut().rev() {
        *d = b'0' + (micros % 10) as u8;
        micros /= 10;
    }
    for d in digits {
        out.push(char::from(d));
    }
    out.push('Z');
}

/// `YYYY-MM-DDTHH:MM:SS.` of `secs` since the epoch, UTC.
fn write_second(out: &mut String, secs: u64) {
    let (year, month, day) = civil_from_days((secs / 86_400) as i64);
    let tod = secs % 86_400;
    let _ = write!(
        out,
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.",
        tod / 3600,
        (tod / 60) % 60,
        tod % 60,
    );
}

pub(super) fn parse_timestamp(s: &str) -> Option<SystemTime> {
    let s = s.strip_suffix('Z')?;
    let (date, time) = s.split_once('T')?;
    let mut d = date.splitn(3, '-').map(|p| p.parse::<i64>().ok());
    let (year, month, day) = (d.next()??, d.next()??, d.next()??);
    let (hms, micros) = time.split_once('.')?;
    let mut t = hms.splitn(3, ':').map(|p| p.parse::<u64>().ok());
    let (h, m, sec) = (t.next()??, t.next()??, t.next()??);
    let micros: u32 = micros.parse().ok()?;
    let days = u64::try_from(days_from_civil(year, month, day)).ok()?;
    let secs = days * 86_400 + h * 3600 + m * 60 + sec;
    UNIX_EPOCH.checked_add(Duration::new(secs, micros.checked_mul(1000)?))
}

// Howard Hinnant's `civil_from_days` / `days_from_civil` (public domain algorithms).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year.rem_euclid(400);
    let mp = if month > 2 { month - 3 } else { month + 9 };
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod should {
    use super::*;

    #[test]
    fn format_dates_like_rfc3339() {
        let mut s = String::new();
        write_timestamp(&mut s, UNIX_EPOCH + Duration::from_secs(951_782_400)); // 2000-02-29
        assert_eq!(s, "2000-02-29T00:00:00.000000Z");
        assert_eq!(
            parse_timestamp(&s),
            Some(UNIX_EPOCH + Duration::from_secs(951_782_400))
        );
    }
}
