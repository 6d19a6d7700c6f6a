//! Unix seconds as UTC dates and times, for people and for scripts, without
//! a date-time dependency. The conversion is Howard Hinnant's
//! `civil_from_days`, exact for every `i64` of seconds.

/// `2026-11-29T18:04:05Z` (RFC 3339), for the command line and scripts.
pub fn rfc3339(unix: i64) -> String {
    let (date, (hour, minute, second)) = split(unix);
    format!("{date}T{hour:02}:{minute:02}:{second:02}Z")
}

/// `2026-11-29 18:04:05 UTC`, for pages (whose templates pass references).
pub fn readable(unix: impl std::borrow::Borrow<i64>) -> String {
    let (date, (hour, minute, second)) = split(*unix.borrow());
    format!("{date} {hour:02}:{minute:02}:{second:02} UTC")
}

/// `YYYY-MM-DD` and the time of day.
fn split(unix: i64) -> (String, (i64, i64, i64)) {
    let days = unix.div_euclid(86_400);
    let seconds = unix.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    (
        format!("{year:04}-{month:02}-{day:02}"),
        (seconds / 3600, seconds % 3600 / 60, seconds % 60),
    )
}

/// Year, month and day of the day `days` after 1970-01-01 (proleptic
/// Gregorian).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    // Count from 0000-03-01 so that the leap day ends each 4-year cycle.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153; // March = 0
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::{readable, rfc3339};

    #[test]
    fn known_instants() {
        let cases = [
            (0, "1970-01-01 00:00:00 UTC"),
            (-1, "1969-12-31 23:59:59 UTC"),
            (951_782_400, "2000-02-29 00:00:00 UTC"),
            (1_709_251_199, "2024-02-29 23:59:59 UTC"),
            (1_795_975_445, "2026-11-29 18:04:05 UTC"),
            (4_107_542_399, "2100-02-28 23:59:59 UTC"),
            (4_107_542_400, "2100-03-01 00:00:00 UTC"),
            (-62_135_596_800, "0001-01-01 00:00:00 UTC"),
        ];
        for (unix, expected) in cases {
            assert_eq!(readable(unix), expected, "{unix}");
        }
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
    }

    #[test]
    fn extremes_do_not_panic() {
        assert!(readable(i64::MAX).ends_with(" UTC"));
        assert!(rfc3339(i64::MIN).ends_with('Z'));
    }
}
