//! Sigstore bundle parser. Property: `to_json` of a parsed bundle parses back to an equal bundle.
#![no_main]

use hsign_core::bundle::Bundle;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(bundle) = Bundle::from_json(data) else { return };
    let json = bundle.to_json();
    let again = Bundle::from_json(json.as_bytes())
        .unwrap_or_else(|e| panic!("to_json output does not parse back: {e}\n{json}"));
    assert_eq!(again, bundle, "bundle changed through to_json/from_json\n{json}");
    // Writing is deterministic: a second round gives the same text.
    assert_eq!(again.to_json(), json, "to_json is not stable across a round trip");
});
