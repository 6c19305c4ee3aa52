//! Format detection (Sigstore bundle / cosign legacy bundle / DSSE envelope) and the legacy bundle parser.
//! Property: the detected entity agrees with the dedicated parser it dispatched to.
#![no_main]

use hsign_core::bundle::Bundle;
use hsign_core::dsse::Envelope;
use hsign_core::legacy_bundle::LegacyBundle;
use hsign_core::verify::SignedEntity;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let legacy = LegacyBundle::from_json(data);
    let Ok(entity) = SignedEntity::from_json(data) else { return };

    // Exercise the accessors of whatever was detected.
    let _ = (entity.content(), entity.signer(), entity.timestamps(), entity.claimed_digest());

    let format = entity.format();
    if format == "DSSE envelope" {
        assert!(Envelope::from_json(data).is_ok(), "detected a DSSE envelope that Envelope::from_json rejects");
        assert!(!entity.is_message_signature(), "a DSSE envelope was reported as a message signature");
    } else if format == "cosign bundle (legacy)" {
        assert!(legacy.is_ok(), "detected a legacy bundle that LegacyBundle::from_json rejects");
        assert!(entity.is_message_signature(), "a legacy bundle was not reported as a message signature");
    } else {
        let bundle = Bundle::from_json(data);
        assert!(bundle.is_ok(), "detected format '{format}' but Bundle::from_json rejects the input");
        assert_eq!(bundle.map(|b| b.version.media_type()).ok(), Some(format), "media type mismatch");
    }
});
