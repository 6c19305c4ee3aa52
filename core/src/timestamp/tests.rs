//! Unit tests against tokens built here, from a throwaway P-256 TSA (a root CA and a signing certificate):
//! the cases the recorded vectors do not cover (a fraction in genTime, a subjectKeyIdentifier signer, a
//! wrong signingCertificateV2, a certificate without the timestamping usage, response statuses).

use der::oid::ObjectIdentifier;
use hsign_keys::{HashAlgorithm, PrivateKey};

use super::*;
use crate::trust::{CertificateAuthority, TrustedRoot, Validity};

fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let len = content.len();
    let mut out = vec![tag];
    if len < 0x80 {
        out.push(len as u8);
    } else if len < 0x100 {
        out.extend([0x81, len as u8]);
    } else {
        out.extend([0x82, (len >> 8) as u8, len as u8]);
    }
    out.extend_from_slice(content);
    out
}

fn seq(parts: &[&[u8]]) -> Vec<u8> {
    tlv(0x30, &parts.concat())
}

fn oid(dotted: &str) -> Vec<u8> {
    tlv(0x06, ObjectIdentifier::new_unwrap(dotted).as_bytes())
}

fn name(cn: &str) -> Vec<u8> {
    seq(&[&tlv(0x31, &seq(&[&oid("2.5.4.3"), &tlv(0x0c, cn.as_bytes())]))])
}

fn extension(id: &str, critical: bool, value: &[u8]) -> Vec<u8> {
    let flag = if critical { tlv(0x01, &[0xff]) } else { Vec::new() };
    seq(&[&oid(id), &flag, &tlv(0x04, value)])
}

const ECDSA_SHA256: &str = "1.2.840.10045.4.3.2";
const SHA256: &str = "2.16.840.1.101.3.4.2.1";
const SKI: [u8; 4] = [1, 2, 3, 4];

/// A certificate for `subject_key` named `subject`, signed by `issuer_key` as `issuer`, valid in 2025.
fn certificate(
    subject: &str,
    subject_key: &PrivateKey,
    issuer: &str,
    issuer_key: &PrivateKey,
    ca: bool,
    eku: bool,
) -> Vec<u8> {
    let mut exts = vec![extension("2.5.29.14", false, &tlv(0x04, &SKI))];
    if ca {
        exts.push(extension("2.5.29.19", true, &seq(&[&tlv(0x01, &[0xff])])));
        exts.push(extension("2.5.29.15", true, &tlv(0x03, &[0x01, 0x06])));
    }
    if eku {
        exts.push(extension("2.5.29.37", true, &seq(&[&oid("1.3.6.1.5.5.7.3.8")])));
    }
    let tbs = seq(&[
        &tlv(0xa0, &tlv(0x02, &[2])),
        &tlv(0x02, &[if ca { 1 } else { 2 }]),
        &seq(&[&oid(ECDSA_SHA256)]),
        &name(issuer),
        &seq(&[&tlv(0x17, b"250101000000Z"), &tlv(0x17, b"251231235959Z")]),
        &name(subject),
        &subject_key.public_key().to_spki_der(),
        &tlv(0xa3, &seq(&exts.iter().map(Vec::as_slice).collect::<Vec<_>>())),
    ]);
    let signature = issuer_key.sign_message(&tbs).unwrap();
    let mut bits = vec![0];
    bits.extend(signature);
    seq(&[&tbs, &seq(&[&oid(ECDSA_SHA256)]), &tlv(0x03, &bits)])
}

struct Tsa {
    key: PrivateKey,
    leaf: Vec<u8>,
    root: Vec<u8>,
}

fn tsa(eku: bool) -> Tsa {
    let root_key = PrivateKey::generate_p256().unwrap();
    let key = PrivateKey::generate_p256().unwrap();
    Tsa {
        leaf: certificate("test tsa", &key, "test root", &root_key, false, eku),
        root: certificate("test root", &root_key, "test root", &root_key, true, false),
        key,
    }
}

#[derive(Default)]
struct Options {
    status: u8,
    by_key_id: bool,
    embed: bool,
    wrong_ess: bool,
}

const GEN_TIME: &str = "20250601120000.123456789123Z";
const SIGNED: &[u8] = b"the artifact signature";

fn token(tsa: &Tsa, options: &Options) -> Vec<u8> {
    let imprint = seq(&[
        &seq(&[&oid(SHA256), &[0x05, 0x00]]),
        &tlv(0x04, &HashAlgorithm::Sha256.digest(SIGNED)),
    ]);
    let tst = seq(&[
        &tlv(0x02, &[1]),
        &oid("1.2.3.4"),
        &imprint,
        &tlv(0x02, &[0x42]),
        &tlv(0x18, GEN_TIME.as_bytes()),
    ]);
    let cert_hash = HashAlgorithm::Sha256.digest(if options.wrong_ess { &tsa.root } else { &tsa.leaf });
    let attrs = [
        seq(&[
            &oid("1.2.840.113549.1.9.3"),
            &tlv(0x31, &oid("1.2.840.113549.1.9.16.1.4")),
        ]),
        seq(&[
            &oid("1.2.840.113549.1.9.4"),
            &tlv(0x31, &tlv(0x04, &HashAlgorithm::Sha256.digest(&tst))),
        ]),
        seq(&[
            &oid("1.2.840.113549.1.9.16.2.47"),
            &tlv(0x31, &seq(&[&seq(&[&seq(&[&tlv(0x04, &cert_hash)])])])),
        ]),
    ]
    .concat();
    let signature = tsa.key.sign_message(&tlv(0x31, &attrs)).unwrap();
    let sid = if options.by_key_id {
        tlv(0x80, &SKI)
    } else {
        seq(&[&name("test root"), &tlv(0x02, &[2])])
    };
    let signer_info = seq(&[
        &tlv(0x02, &[if options.by_key_id { 3 } else { 1 }]),
        &sid,
        &seq(&[&oid(SHA256)]),
        &tlv(0xa0, &attrs),
        &seq(&[&oid(ECDSA_SHA256)]),
        &tlv(0x04, &signature),
    ]);
    let certs = if options.embed {
        tlv(0xa0, &tsa.leaf)
    } else {
        Vec::new()
    };
    let signed_data = seq(&[
        &tlv(0x02, &[3]),
        &tlv(0x31, &seq(&[&oid(SHA256)])),
        &seq(&[&oid("1.2.840.113549.1.9.16.1.4"), &tlv(0xa0, &tlv(0x04, &tst))]),
        &certs,
        &tlv(0x31, &signer_info),
    ]);
    let content_info = seq(&[&oid("1.2.840.113549.1.7.2"), &tlv(0xa0, &signed_data)]);
    seq(&[&seq(&[&tlv(0x02, &[options.status])]), &content_info])
}

fn trust(chain: Vec<Vec<u8>>, valid_for: Validity) -> TrustedRoot {
    TrustedRoot {
        timestamp_authorities: vec![CertificateAuthority {
            cert_chain: chain,
            valid_for,
            ..Default::default()
        }],
        ..Default::default()
    }
}

#[test]
fn verifies_a_gen_time_with_twelve_fraction_digits() {
    let tsa = tsa(true);
    let root = trust(vec![tsa.leaf.clone(), tsa.root.clone()], Validity::OPEN);
    let v = verify(&token(&tsa, &Options::default()), SIGNED, &root).unwrap();
    // 2025-06-01T12:00:00.123456789Z
    assert_eq!(
        v,
        VerifiedTimestamp {
            time: 1_748_779_200,
            nanos: 123_456_789,
            authority: 0
        }
    );
    assert_eq!(
        verify(&token(&tsa, &Options::default()), b"other", &root),
        Err(TimestampError::ImprintMismatch)
    );

    // A fraction past the last second of the authority's validity is after it.
    let ending = trust(
        vec![tsa.leaf.clone(), tsa.root.clone()],
        Validity {
            start: None,
            end: Some(v.time),
        },
    );
    let e = verify(&token(&tsa, &Options::default()), SIGNED, &ending).unwrap_err();
    assert!(matches!(e, TimestampError::AuthorityNotValidAt { .. }), "{e}");
}

#[test]
fn finds_the_signer_by_key_id_or_embedded_certificate() {
    let tsa = tsa(true);
    let full = trust(vec![tsa.leaf.clone(), tsa.root.clone()], Validity::OPEN);
    let by_key_id = Options {
        by_key_id: true,
        ..Default::default()
    };
    assert!(verify(&token(&tsa, &by_key_id), SIGNED, &full).is_ok());

    let root_only = trust(vec![tsa.root.clone()], Validity::OPEN);
    let embedded = Options {
        embed: true,
        ..Default::default()
    };
    assert!(verify(&token(&tsa, &embedded), SIGNED, &root_only).is_ok());
    let e = verify(&token(&tsa, &Options::default()), SIGNED, &root_only).unwrap_err();
    assert_eq!(e, TimestampError::UnknownAuthority);

    let other = self::tsa(true);
    let e = verify(&token(&other, &embedded), SIGNED, &full).unwrap_err();
    assert_eq!(e, TimestampError::UnknownAuthority);
}

#[test]
fn refuses_a_wrong_signing_certificate_attribute() {
    let tsa = tsa(true);
    let root = trust(vec![tsa.leaf.clone(), tsa.root.clone()], Validity::OPEN);
    let e = verify(
        &token(
            &tsa,
            &Options {
                wrong_ess: true,
                ..Default::default()
            },
        ),
        SIGNED,
        &root,
    )
    .unwrap_err();
    assert!(e.to_string().contains("signingCertificateV2"), "{e}");
}

#[test]
fn refuses_a_certificate_without_timestamping_usage() {
    let tsa = tsa(false);
    let root = trust(vec![tsa.leaf.clone(), tsa.root.clone()], Validity::OPEN);
    let e = verify(&token(&tsa, &Options::default()), SIGNED, &root).unwrap_err();
    assert_eq!(e, TimestampError::NotTimestampingCert);
}

#[test]
fn accepts_granted_with_mods_and_refuses_other_statuses() {
    let tsa = tsa(true);
    let root = trust(vec![tsa.leaf.clone(), tsa.root.clone()], Validity::OPEN);
    assert!(
        verify(
            &token(
                &tsa,
                &Options {
                    status: 1,
                    ..Default::default()
                }
            ),
            SIGNED,
            &root
        )
        .is_ok()
    );
    let e = verify(
        &token(
            &tsa,
            &Options {
                status: 2,
                ..Default::default()
            },
        ),
        SIGNED,
        &root,
    )
    .unwrap_err();
    assert_eq!(e, TimestampError::NotGranted("status 2 (rejection)".into()));
}

#[test]
fn parse_reports_the_claims_without_verifying() {
    let tsa = tsa(true);
    let info = parse(&token(
        &tsa,
        &Options {
            embed: true,
            ..Default::default()
        },
    ))
    .unwrap();
    assert_eq!((info.time, info.nanos), (1_748_779_200, 123_456_789));
    assert_eq!(info.imprint, HashAlgorithm::Sha256.digest(SIGNED));
    assert_eq!(info.serial_number, [0x42]);
    assert_eq!(info.policy, "1.2.3.4");
    assert_eq!(info.certificates, std::slice::from_ref(&tsa.leaf));
}
