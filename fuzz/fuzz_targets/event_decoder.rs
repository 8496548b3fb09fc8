//! Decoding a webhook body into an event and reading the fields the handler dispatches on, for
//! arbitrary bytes: errors are fine, panics are not.
#![no_main]

use backend::stripe::objects::Event;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(event) = serde_json::from_slice::<Event>(data) {
        let _ = event.object_id();
        for field in ["customer", "subscription", "invoice", "default_payment_method"] {
            let _ = event.object_field(field);
        }
    }
});
