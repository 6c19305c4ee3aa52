//! DSSE envelope and in-toto statement parsers.
//! Property: `to_json` of a parsed envelope parses back to an equal envelope with the same PAE.
#![no_main]

use hsign_core::dsse::Envelope;
use hsign_core::intoto::Statement;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = Statement::from_json(data);

    let Ok(envelope) = Envelope::from_json(data) else { return };
    let json = envelope.to_json();
    let again = Envelope::from_json(json.as_bytes())
        .unwrap_or_else(|e| panic!("to_json output does not parse back: {e}\n{json}"));
    assert_eq!(again, envelope, "envelope changed through to_json/from_json\n{json}");
    assert_eq!(again.pae(), envelope.pae(), "PAE changed through a round trip");
    assert_eq!(again.to_json(), json, "to_json is not stable across a round trip");

    // The payload of an envelope is usually a statement: parse it the way verification does.
    let _ = Statement::from_json(&envelope.payload);
});
