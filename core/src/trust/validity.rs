//! The validity period of a piece of trusted material (`TimeRange` in the protobuf): a closed interval of
//! Unix seconds, either end of which may be open.

use super::DOC;
use super::raw::RawTimeRange;
use crate::FormatError;
use crate::rfc3339;

/// When a log key or an authority may be trusted: the closed interval `[start, end]` in Unix seconds, as
/// `TimeRange` in `sigstore_common.proto` defines it. A missing bound is open.
///
/// The document's timestamps may carry fractions of a second; since the times checked against a validity
/// period are whole seconds (Rekor's integrated time, an RFC 3161 generation time read to the second), a
/// fractional `start` is rounded up and a fractional `end` down, which keeps exactly the whole seconds that lie
/// inside the interval (`end: 2022-12-31T23:59:59.999Z` still contains `23:59:59`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Validity {
    /// The first second of the period, `None` when it has no start.
    pub start: Option<i64>,
    /// The last second of the period, `None` when it has no end.
    pub end: Option<i64>,
}

impl Validity {
    /// A period with neither start nor end: always valid.
    pub const OPEN: Self = Self { start: None, end: None };

    /// True when `time` (Unix seconds) lies in the period, both ends included.
    pub fn contains(&self, time: i64) -> bool {
        self.start.is_none_or(|start| start <= time) && self.end.is_none_or(|end| time <= end)
    }
}

/// Whether a `validFor` may be absent, and whether its `start` may be.
#[derive(Clone, Copy)]
pub(super) enum Bounds {
    /// A log key: `validFor` and its `start` are required (as sigstore-go requires them).
    StartRequired,
    /// A certificate authority: both optional (as sigstore-go treats them).
    Optional,
}

/// Reads the `TimeRange` at `field` (`tlogs[0].publicKey.validFor`).
pub(super) fn parse(raw: Option<RawTimeRange>, field: &str, bounds: Bounds) -> Result<Validity, FormatError> {
    let Some(raw) = raw else {
        return match bounds {
            Bounds::StartRequired => Err(FormatError::new(
                DOC,
                field,
                "is missing (a log key must say from when it is valid)",
            )),
            Bounds::Optional => Ok(Validity::OPEN),
        };
    };
    let start = match raw.start {
        Some(s) => {
            let (secs, nanos) = timestamp(&s, &format!("{field}.start"))?;
            // Round up: the first whole second not before the start.
            Some(if nanos > 0 { secs.saturating_add(1) } else { secs })
        }
        None => match bounds {
            Bounds::StartRequired => {
                return Err(FormatError::new(
                    DOC,
                    format!("{field}.start"),
                    "is missing (a validity period without a start is malformed, not unbounded)",
                ));
            }
            Bounds::Optional => None,
        },
    };
    let end = match raw.end {
        // Round down: the last whole second not after the end.
        Some(s) => Some(timestamp(&s, &format!("{field}.end"))?.0),
        None => None,
    };
    Ok(Validity { start, end })
}

fn timestamp(value: &str, field: &str) -> Result<(i64, u32), FormatError> {
    rfc3339::parse_nanos(value)
        .ok_or_else(|| FormatError::new(DOC, field, format!("is not an RFC 3339 timestamp: {value:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(start: Option<&str>, end: Option<&str>) -> Option<RawTimeRange> {
        Some(RawTimeRange {
            start: start.map(Into::into),
            end: end.map(Into::into),
        })
    }

    #[test]
    fn contains_both_ends() {
        let v = Validity {
            start: Some(100),
            end: Some(200),
        };
        assert!(!v.contains(99));
        assert!(v.contains(100));
        assert!(v.contains(150));
        assert!(v.contains(200));
        assert!(!v.contains(201));
    }

    #[test]
    fn missing_bounds_are_open() {
        assert!(Validity::OPEN.contains(i64::MIN));
        assert!(Validity::OPEN.contains(i64::MAX));
        let from = Validity {
            start: Some(100),
            end: None,
        };
        assert!(!from.contains(99));
        assert!(from.contains(i64::MAX));
        let until = Validity {
            start: None,
            end: Some(100),
        };
        assert!(until.contains(i64::MIN));
        assert!(until.contains(100));
        assert!(!until.contains(101));
    }

    #[test]
    fn fractions_keep_the_whole_seconds_inside() {
        let v = parse(
            range(Some("2021-01-12T11:53:27.500Z"), Some("2022-12-31T23:59:59.999Z")),
            "f",
            Bounds::StartRequired,
        )
        .unwrap();
        assert_eq!(v.start, Some(1_610_452_408));
        assert_eq!(v.end, Some(1_672_531_199));
        assert!(v.contains(1_672_531_199));
        assert!(!v.contains(1_672_531_200));
    }

    #[test]
    fn a_log_key_needs_a_start() {
        let e = parse(
            range(None, Some("2022-12-31T23:59:59Z")),
            "tlogs[0].publicKey.validFor",
            Bounds::StartRequired,
        )
        .unwrap_err();
        assert_eq!(e.field, "tlogs[0].publicKey.validFor.start");
        let e = parse(None, "ctlogs[2].publicKey.validFor", Bounds::StartRequired).unwrap_err();
        assert_eq!(e.field, "ctlogs[2].publicKey.validFor");
    }

    #[test]
    fn an_authority_may_omit_both() {
        assert_eq!(parse(None, "f", Bounds::Optional).unwrap(), Validity::OPEN);
        let v = parse(range(None, Some("1970-01-01T00:01:40Z")), "f", Bounds::Optional).unwrap();
        assert_eq!(
            v,
            Validity {
                start: None,
                end: Some(100)
            }
        );
    }

    #[test]
    fn bad_timestamps_name_their_field() {
        let e = parse(range(Some("2021-13-01T00:00:00Z"), None), "f", Bounds::Optional).unwrap_err();
        assert_eq!(e.field, "f.start");
        let e = parse(
            range(Some("2021-01-01T00:00:00Z"), Some("yesterday")),
            "f",
            Bounds::Optional,
        )
        .unwrap_err();
        assert_eq!(e.field, "f.end");
        assert!(e.reason.contains("yesterday"), "{e}");
    }
}
