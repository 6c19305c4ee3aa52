//! Sigstore's `signing_config.json` (media type `application/vnd.dev.sigstore.signingconfig.v0.2+json`): which
//! Fulcio, Rekor and timestamp authority URLs a signer uses, each with the API version and validity period of
//! the service. hsign picks, for each kind, the first service valid now with an API version it speaks.

use serde::Deserialize;

use crate::error::FormatError;

const DOC: &str = "signing config";

/// The media type this module reads.
pub const MEDIA_TYPE: &str = "application/vnd.dev.sigstore.signingconfig.v0.2+json";

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawConfig {
    media_type: String,
    #[serde(default)]
    ca_urls: Vec<RawService>,
    #[serde(default)]
    rekor_tlog_urls: Vec<RawService>,
    #[serde(default)]
    tsa_urls: Vec<RawService>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawService {
    url: String,
    major_api_version: u32,
    #[serde(default)]
    valid_for: Option<RawValidity>,
}

#[derive(Deserialize)]
struct RawValidity {
    start: Option<String>,
    end: Option<String>,
}

/// One service of a signing config.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Service {
    /// Its base URL.
    pub url: String,
    /// Its major API version.
    pub major_api_version: u32,
    /// When it may be used (unix seconds; open ends are `None`).
    pub valid_for: (Option<i64>, Option<i64>),
}

/// A parsed signing config.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SigningConfig {
    /// Fulcio instances.
    pub ca: Vec<Service>,
    /// Rekor instances.
    pub rekor: Vec<Service>,
    /// Timestamp authorities.
    pub tsa: Vec<Service>,
}

impl SigningConfig {
    /// Parses a v0.2 signing config; errors name the field.
    pub fn from_json(data: &[u8]) -> Result<Self, FormatError> {
        let raw: RawConfig = serde_json::from_slice(data).map_err(|e| FormatError::json(DOC, &e))?;
        if raw.media_type != MEDIA_TYPE {
            return Err(FormatError::new(
                DOC,
                "mediaType",
                format!("is '{}', expected '{MEDIA_TYPE}'", raw.media_type),
            ));
        }
        let services = |list: Vec<RawService>, field: &str| -> Result<Vec<Service>, FormatError> {
            list.into_iter()
                .enumerate()
                .map(|(i, s)| {
                    let time = |t: Option<String>, which: &str| -> Result<Option<i64>, FormatError> {
                        t.map(|t| {
                            crate::rfc3339::parse(&t).ok_or_else(|| {
                                FormatError::new(
                                    DOC,
                                    format!("{field}[{i}].validFor.{which}"),
                                    "is not an RFC 3339 time",
                                )
                            })
                        })
                        .transpose()
                    };
                    let (start, end) = match s.valid_for {
                        Some(v) => (time(v.start, "start")?, time(v.end, "end")?),
                        None => (None, None),
                    };
                    if s.url.is_empty() {
                        return Err(FormatError::new(DOC, format!("{field}[{i}].url"), "is empty"));
                    }
                    Ok(Service {
                        url: s.url,
                        major_api_version: s.major_api_version,
                        valid_for: (start, end),
                    })
                })
                .collect()
        };
        Ok(Self {
            ca: services(raw.ca_urls, "caUrls")?,
            rekor: services(raw.rekor_tlog_urls, "rekorTlogUrls")?,
            tsa: services(raw.tsa_urls, "tsaUrls")?,
        })
    }

    /// The first service of `list` valid at `now` whose major API version is one of `versions`.
    pub fn pick<'a>(list: &'a [Service], now: i64, versions: &[u32]) -> Option<&'a Service> {
        list.iter().find(|s| {
            versions.contains(&s.major_api_version)
                && s.valid_for.0.is_none_or(|start| start <= now)
                && s.valid_for.1.is_none_or(|end| now <= end)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_public_good_config_and_picks_services_valid_now() {
        let data = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/data/vectors/trusted-root/production/signing_config.v0.2.json"
        ))
        .unwrap();
        let c = SigningConfig::from_json(&data).unwrap();
        let now = 1_800_000_000;
        assert_eq!(
            SigningConfig::pick(&c.ca, now, &[1]).unwrap().url,
            "https://fulcio.sigstore.dev"
        );
        assert_eq!(
            SigningConfig::pick(&c.rekor, now, &[1]).unwrap().url,
            "https://rekor.sigstore.dev"
        );
        assert!(
            SigningConfig::pick(&c.tsa, now, &[1])
                .unwrap()
                .url
                .starts_with("https://timestamp.sigstore.dev")
        );
        // Before the TSA's validity start: none.
        assert!(SigningConfig::pick(&c.tsa, 1_700_000_000, &[1]).is_none());
        // An API version hsign does not speak: none.
        assert!(SigningConfig::pick(&c.rekor, now, &[2]).is_none());
    }

    #[test]
    fn refuses_other_media_types_and_bad_times() {
        let err = SigningConfig::from_json(br#"{"mediaType":"x"}"#).unwrap_err();
        assert_eq!(err.field, "mediaType");
        let bad = format!(
            r#"{{"mediaType":"{MEDIA_TYPE}","caUrls":[{{"url":"u","majorApiVersion":1,"validFor":{{"start":"yesterday"}}}}]}}"#
        );
        assert_eq!(
            SigningConfig::from_json(bad.as_bytes()).unwrap_err().field,
            "caUrls[0].validFor.start"
        );
    }
}
