//! The `genTime` of a TSTInfo: a DER GeneralizedTime `YYYYMMDDHHMMSS[.f+]Z`, read by hand because RFC 3161
//! allows a fraction of a second with any number of digits, which `der`'s `GeneralizedTime` refuses.

/// Parses a GeneralizedTime `YYYYMMDDHHMMSS[.f+]Z` into Unix seconds and nanoseconds. The fraction may have
/// any number of digits (at least one); digits past the ninth are truncated. Returns `None` for anything
/// else: a missing `Z`, a time-zone offset, an out-of-range field, a year before 1 or a leap second.
pub(crate) fn parse_generalized_time(bytes: &[u8]) -> Option<(i64, u32)> {
    let digits = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = bytes.get(range)?;
        part.iter().try_fold(0i64, |acc, &b| {
            b.is_ascii_digit().then(|| acc * 10 + i64::from(b - b'0'))
        })
    };
    let year = digits(0..4)?;
    let month = digits(4..6)?;
    let day = digits(6..8)?;
    let hour = digits(8..10)?;
    let minute = digits(10..12)?;
    let second = digits(12..14)?;
    let rest = bytes.get(14..)?;
    let nanos = match rest {
        [b'Z'] => 0,
        [b'.', fraction @ .., b'Z'] if !fraction.is_empty() && fraction.iter().all(u8::is_ascii_digit) => {
            let mut nanos = 0u32;
            for i in 0..9 {
                let digit = fraction.get(i).map_or(0, |&b| u32::from(b - b'0'));
                nanos = nanos * 10 + digit;
            }
            nanos
        }
        _ => return None,
    };
    if year < 1 || !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    Some((days * 86_400 + hour * 3_600 + minute * 60 + second, nanos))
}

/// Days from 1970-01-01 to the given proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Option<(i64, u32)> {
        parse_generalized_time(s.as_bytes())
    }

    #[test]
    fn reads_whole_seconds() {
        assert_eq!(parse("19700101000000Z"), Some((0, 0)));
        assert_eq!(parse("20250612120220Z"), Some((1_749_729_740, 0)));
        assert_eq!(parse("20000229235959Z"), Some((951_868_799, 0)));
        assert_eq!(parse("19691231235959Z"), Some((-1, 0)));
    }

    #[test]
    fn reads_fractions_of_any_length() {
        assert_eq!(parse("20250612120220.5Z"), Some((1_749_729_740, 500_000_000)));
        assert_eq!(parse("20250612120220.123Z"), Some((1_749_729_740, 123_000_000)));
        assert_eq!(parse("20250612120220.123456Z"), Some((1_749_729_740, 123_456_000)));
        assert_eq!(parse("20250612120220.123456789Z"), Some((1_749_729_740, 123_456_789)));
        assert_eq!(
            parse("20250612120220.1234567891234Z"),
            Some((1_749_729_740, 123_456_789))
        );
        assert_eq!(parse("20250612120220.000000000001Z"), Some((1_749_729_740, 0)));
        assert_eq!(parse("20250612120220.10Z"), Some((1_749_729_740, 100_000_000)));
    }

    #[test]
    fn refuses_other_shapes() {
        for bad in [
            "",
            "20250612120220",
            "20250612120220.Z",
            "20250612120220,5Z",
            "20250612120220+0100",
            "202506121202Z",
            "2025061212022Z",
            "20250612120220.5",
            "20250612120220.5aZ",
            "20250612120220ZZ",
            "2025061212022aZ",
            "-0250612120220Z",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn refuses_out_of_range_fields() {
        for bad in [
            "20251312000000Z",
            "20250001000000Z",
            "20250100000000Z",
            "20250230000000Z",
            "21000229000000Z",
            "20250431000000Z",
            "20250101240000Z",
            "20250101006000Z",
            "20250101000060Z",
            "00000101000000Z",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
        assert!(parse("20240229000000Z").is_some());
        assert!(parse("99991231235959.999999999Z").is_some());
    }
}
