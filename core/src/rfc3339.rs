//! RFC 3339 date-times as Sigstore documents write them (protobuf `Timestamp` JSON, cosign annotations):
//! parsing into Unix seconds, and formatting Unix seconds back as `YYYY-MM-DDTHH:MM:SSZ`.
//!
//! The accepted grammar is RFC 3339 `date-time`: `YYYY-MM-DD`, `T` (or `t`), `HH:MM:SS`, an optional
//! fraction of any length, then `Z` (or `z`) or a `+HH:MM` / `-HH:MM` offset. Every field has its exact
//! number of digits and is range-checked (the day against the month and the leap year). A leap second (`:60`)
//! is refused, as Go's `time.Parse` and protobuf's `Timestamp` refuse it. Nothing may follow the offset.

/// Parses an RFC 3339 date-time into Unix seconds, dropping any fraction of a second (the result is the
/// whole second at or before the instant). `None` when `s` is not RFC 3339.
pub fn parse(s: &str) -> Option<i64> {
    parse_nanos(s).map(|(secs, _)| secs)
}

/// Parses an RFC 3339 date-time into Unix seconds and the nanoseconds past that second (`0..1_000_000_000`),
/// as protobuf's `Timestamp` holds them. Fraction digits past the ninth are dropped. `None` when `s` is not
/// RFC 3339.
pub fn parse_nanos(s: &str) -> Option<(i64, u32)> {
    let mut p = Cursor { rest: s.as_bytes() };
    let year = p.digits(4)?;
    p.expect(b"-")?;
    let month = p.digits(2)?;
    p.expect(b"-")?;
    let day = p.digits(2)?;
    p.expect(b"Tt")?;
    let hour = p.digits(2)?;
    p.expect(b":")?;
    let minute = p.digits(2)?;
    p.expect(b":")?;
    let second = p.digits(2)?;
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let mut nanos = 0u32;
    if p.peek() == Some(b'.') {
        p.rest = p.rest.get(1..)?;
        let count = p.rest.iter().take_while(|b| b.is_ascii_digit()).count();
        if count == 0 {
            return None;
        }
        let (fraction, rest) = p.rest.split_at(count);
        for i in 0..9 {
            let digit = fraction.get(i).map_or(0, |b| u32::from(b - b'0'));
            nanos = nanos * 10 + digit;
        }
        p.rest = rest;
    }
    let offset = match p.peek()? {
        b'Z' | b'z' => {
            p.rest = p.rest.get(1..)?;
            0
        }
        sign @ (b'+' | b'-') => {
            p.rest = p.rest.get(1..)?;
            let hours = p.digits(2)?;
            p.expect(b":")?;
            let minutes = p.digits(2)?;
            if hours > 23 || minutes > 59 {
                return None;
            }
            let offset = hours * 3600 + minutes * 60;
            if sign == b'-' { -offset } else { offset }
        }
        _ => return None,
    };
    if !p.rest.is_empty() {
        return None;
    }
    let secs = days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second - offset;
    Some((secs, nanos))
}

/// Formats Unix seconds as RFC 3339 UTC with whole seconds: `2021-01-12T11:53:27Z`. Times before 1970 work;
/// years outside `0000..=9999` are written with as many digits (and the sign) as they need.
pub fn format(secs: i64) -> String {
    format_days(secs.div_euclid(86_400), secs.rem_euclid(86_400))
}

/// [`format`] for an unsigned count of seconds: exact over the whole `u64` range.
pub(crate) fn format_u64(secs: u64) -> String {
    // Both fit: u64::MAX / 86 400 is far below i64::MAX, and the remainder is below 86 400.
    let days = i64::try_from(secs / 86_400).unwrap_or(i64::MAX);
    let rem = i64::try_from(secs % 86_400).unwrap_or(0);
    format_days(days, rem)
}

/// The civil date of `days` since 1970-01-01 plus `rem` seconds into that day (`0..86_400`).
fn format_days(days: i64, rem: i64) -> String {
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Days from 1970-01-01 to the civil date `year-month-day` (Howard Hinnant's algorithm, inverse of the one in
/// [`format_days`]).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = if month > 2 { month - 3 } else { month + 9 };
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// The unread rest of the input; every step checks the length before reading.
struct Cursor<'a> {
    rest: &'a [u8],
}

impl Cursor<'_> {
    /// Exactly `n` ASCII digits as a number.
    fn digits(&mut self, n: usize) -> Option<i64> {
        let field = self.rest.get(..n)?;
        let mut value = 0i64;
        for &b in field {
            if !b.is_ascii_digit() {
                return None;
            }
            value = value * 10 + i64::from(b - b'0');
        }
        self.rest = self.rest.get(n..)?;
        Some(value)
    }

    /// One byte out of `allowed`.
    fn expect(&mut self, allowed: &[u8]) -> Option<()> {
        let (&b, rest) = self.rest.split_first()?;
        if !allowed.contains(&b) {
            return None;
        }
        self.rest = rest;
        Some(())
    }

    fn peek(&self) -> Option<u8> {
        self.rest.first().copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_epoch_and_sigstore_timestamps() {
        assert_eq!(parse("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse("2021-01-12T11:53:27Z"), Some(1_610_452_407));
        assert_eq!(parse("2021-01-12T11:53:27.000Z"), Some(1_610_452_407));
        assert_eq!(parse("2022-11-25T07:37:13Z"), Some(1_669_361_833));
    }

    #[test]
    fn truncates_fractions_of_any_length() {
        assert_eq!(parse("2022-12-31T23:59:59.999Z"), Some(1_672_531_199));
        assert_eq!(
            parse_nanos("2022-12-31T23:59:59.999Z"),
            Some((1_672_531_199, 999_000_000))
        );
        assert_eq!(
            parse_nanos("2022-12-31T23:59:59.5Z"),
            Some((1_672_531_199, 500_000_000))
        );
        assert_eq!(
            parse_nanos("2022-12-31T23:59:59.123456789987Z"),
            Some((1_672_531_199, 123_456_789))
        );
        assert_eq!(parse_nanos("1970-01-01T00:00:00Z"), Some((0, 0)));
        // Before 1970 the seconds are still the whole second at or before the instant.
        assert_eq!(parse_nanos("1969-12-31T23:59:59.25Z"), Some((-1, 250_000_000)));
    }

    #[test]
    fn applies_offsets() {
        assert_eq!(parse("2021-01-12T11:53:27+00:00"), Some(1_610_452_407));
        assert_eq!(parse("2021-01-12T11:53:27-00:00"), Some(1_610_452_407));
        assert_eq!(parse("2021-01-12T13:53:27+02:00"), Some(1_610_452_407));
        assert_eq!(parse("2021-01-12T06:23:27-05:30"), Some(1_610_452_407));
        assert_eq!(parse("1970-01-01T00:00:00+01:00"), Some(-3600));
        assert_eq!(parse("2021-01-12t11:53:27z"), Some(1_610_452_407));
    }

    #[test]
    fn knows_leap_years() {
        assert_eq!(parse("2000-02-29T00:00:00Z"), Some(951_782_400));
        assert_eq!(parse("2024-02-29T12:00:00Z"), Some(1_709_208_000));
        assert_eq!(parse("2024-03-01T00:00:00Z"), Some(1_709_251_200));
        assert_eq!(parse("2023-02-29T00:00:00Z"), None);
        assert_eq!(parse("1900-02-29T00:00:00Z"), None);
        assert_eq!(parse("2100-02-29T00:00:00Z"), None);
        assert_eq!(parse("2023-04-31T00:00:00Z"), None);
        assert_eq!(parse("2023-12-31T23:59:59Z"), Some(1_704_067_199));
    }

    #[test]
    fn handles_2038_and_beyond() {
        assert_eq!(parse("2038-01-19T03:14:07Z"), Some(i64::from(i32::MAX)));
        assert_eq!(parse("2038-01-19T03:14:08Z"), Some(i64::from(i32::MAX) + 1));
        assert_eq!(parse("2106-02-07T06:28:15Z"), Some(i64::from(u32::MAX)));
        assert_eq!(parse("9999-12-31T23:59:59Z"), Some(253_402_300_799));
        assert_eq!(parse("0001-01-01T00:00:00Z"), Some(-62_135_596_800));
    }

    #[test]
    fn refuses_what_is_not_rfc3339() {
        for bad in [
            "",
            "2021-13-01T00:00:00Z",
            "2021-00-01T00:00:00Z",
            "2021-01-00T00:00:00Z",
            "2021-01-32T00:00:00Z",
            "2021-1-1T00:00:00Z",
            "2021-1-1",
            "2021-01-01",
            "2021-01-01T00:00:00",
            "2021-01-01 00:00:00Z",
            "2021-01-01T24:00:00Z",
            "2021-01-01T00:60:00Z",
            "2021-01-01T00:00:60Z",
            "2021-01-01T00:00:00Zjunk",
            "2021-01-01T00:00:00Z ",
            " 2021-01-01T00:00:00Z",
            "2021-01-01T00:00:00.Z",
            "2021-01-01T00:00:00+0100",
            "2021-01-01T00:00:00+01",
            "2021-01-01T00:00:00+24:00",
            "2021-01-01T00:00:00+01:60",
            "2021-01-01T00:00:00+01:00:00",
            "+2021-01-01T00:00:00Z",
            "20210-01-01T00:00:00Z",
            "2021-01-01T0a:00:00Z",
            "2021-01-01T00:00:00.12a3Z",
            "2021-01-01T00:00:00\u{2014}",
            "１９７０-01-01T00:00:00Z",
        ] {
            assert_eq!(parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn formats_whole_seconds() {
        assert_eq!(format(0), "1970-01-01T00:00:00Z");
        assert_eq!(format(1_669_361_833), "2022-11-25T07:37:13Z");
        assert_eq!(format(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(format(i64::from(i32::MAX) + 1), "2038-01-19T03:14:08Z");
        assert_eq!(format(-1), "1969-12-31T23:59:59Z");
        assert_eq!(format(253_402_300_799), "9999-12-31T23:59:59Z");
        assert_eq!(format_u64(1_669_361_833), "2022-11-25T07:37:13Z");
        // The extremes do not overflow.
        assert!(!format(i64::MAX).is_empty());
        assert!(!format(i64::MIN).is_empty());
        assert!(!format_u64(u64::MAX).is_empty());
    }

    #[test]
    fn format_and_parse_round_trip() {
        for secs in [
            0,
            1,
            -1,
            59,
            86_399,
            86_400,
            951_782_400,
            1_610_452_407,
            4_102_444_800,
            -62_135_596_800,
        ] {
            assert_eq!(parse(&format(secs)), Some(secs), "{secs}");
        }
        // Every year from 0000 to 9999, the range RFC 3339 can write.
        for secs in (-62_167_219_200i64..=253_402_300_799).step_by(777_777_777) {
            assert_eq!(parse(&format(secs)), Some(secs), "{secs}");
        }
    }
}
