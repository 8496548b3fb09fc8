//! The event lists against the dispatcher, Stripe's own catalog of event types and README.md.

use std::collections::BTreeSet;

use super::{Topic, CONNECT_EVENTS, PLATFORM_EVENTS};

/// Every event type Stripe has at our API version: what `POST /v1/webhook_endpoints` accepts in
/// `enabled_events[]` (the official SDK's types, as the emulator's spec records them).
fn stripe_event_types() -> Vec<String> {
    let spec: serde_json::Value =
        serde_json::from_str(include_str!("../../../../stripe-emulator/spec/endive.json"))
            .expect("the emulator's spec is JSON");
    assert_eq!(spec["api_version"], crate::stripe::API_VERSION);
    let create = spec["operations"]
        .as_array()
        .expect("operations")
        .iter()
        .find(|operation| {
            operation["method"] == "POST" && operation["path"] == "/v1/webhook_endpoints"
        })
        .expect("the spec describes creating a webhook endpoint");
    create["params"]["props"]["enabled_events"]["items"]["enum"]
        .as_array()
        .expect("enabled_events is an enumeration")
        .iter()
        .filter_map(|kind| kind.as_str())
        .filter(|kind| *kind != "*")
        .map(str::to_owned)
        .collect()
}

#[test]
fn every_listed_event_type_is_dispatched_to_a_topic() {
    for kind in PLATFORM_EVENTS {
        assert!(Topic::of_type(kind, false).is_some(), "{kind} has no topic");
    }
    for kind in CONNECT_EVENTS {
        assert!(Topic::of_type(kind, true).is_some(), "{kind} has no topic");
    }
}

#[test]
fn the_lists_hold_exactly_the_stripe_event_types_the_dispatcher_acts_on() {
    let stripe = stripe_event_types();
    assert!(stripe.len() > 200, "Stripe has hundreds of event types");
    for (listed, connected) in [(PLATFORM_EVENTS, false), (CONNECT_EVENTS, true)] {
        let acted_on: BTreeSet<&str> = stripe
            .iter()
            .map(String::as_str)
            .filter(|kind| Topic::classify(kind, connected).is_some())
            .collect();
        let listed_set: BTreeSet<&str> = listed.iter().copied().collect();
        assert_eq!(
            listed_set, acted_on,
            "connected = {connected}: the list differs from what the dispatcher acts on"
        );
        assert_eq!(listed.len(), listed_set.len(), "a type is listed twice");
        let mut sorted = listed.to_vec();
        sorted.sort_unstable();
        assert_eq!(listed, sorted.as_slice(), "keep the list in order");
    }
}

#[test]
fn a_type_outside_the_lists_is_not_acted_on_even_when_its_prefix_is() {
    assert_eq!(
        Topic::classify("invoice.new_in_2030", false),
        Some(Topic::Invoice)
    );
    assert_eq!(Topic::of_type("invoice.new_in_2030", false), None);
    // A platform event arriving as a connected account's is not acted on, and the reverse.
    assert_eq!(Topic::of_type("account.updated", false), None);
    assert_eq!(Topic::of_type("invoice.paid", true), None);
    assert_eq!(Topic::of_type("invoice.paid", false), Some(Topic::Invoice));
}

#[test]
fn readme_lists_exactly_these_events() {
    let readme = include_str!("../../../../README.md");
    let block = readme
        .split_once("<!-- stripe-events:start")
        .and_then(|(_, rest)| rest.split_once("<!-- stripe-events:end -->"))
        .map(|(block, _)| block)
        .expect("README.md has the stripe-events block");
    let listed_after = |label: &str| -> Vec<String> {
        let line = block
            .lines()
            .find(|line| line.contains(label))
            .unwrap_or_else(|| panic!("the block has a line for the {label}"));
        let (_, events) = line
            .split_once("`: ")
            .or_else(|| line.split_once("): "))
            .unwrap();
        events
            .split(", ")
            .map(|event| event.trim().trim_matches('`').to_owned())
            .collect()
    };
    assert_eq!(listed_after("platform endpoint"), PLATFORM_EVENTS);
    assert_eq!(listed_after("Connect endpoint"), CONNECT_EVENTS);
}
