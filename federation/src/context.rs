//! The JSON-LD `@context` of every document Convene emits: Mobilizon's (5.x), so that Mobilizon
//! reads our `mz:`/`pt:`/`sc:` terms as its own and other software sees the usual vocabulary.

use serde_json::{json, Value};

pub const ACTIVITY_STREAMS: &str = "https://www.w3.org/ns/activitystreams";
pub const SECURITY: &str = "https://w3id.org/security/v1";
/// The public collection, and the two short forms peers also write.
pub const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";
pub const PUBLIC_FORMS: [&str; 3] = [PUBLIC, "as:Public", "Public"];

/// The `@context` value: the ActivityStreams and security contexts, then Mobilizon's terms.
pub fn context() -> Value {
    let typed = |id: &str, kind: &str| json!({ "@id": id, "@type": kind });
    let terms: Vec<(&str, Value)> = vec![
        ("@language", json!("und")),
        ("sc", json!("http://schema.org#")),
        ("ical", json!("http://www.w3.org/2002/12/cal/ical#")),
        ("pt", json!("https://joinpeertube.org/ns#")),
        ("toot", json!("http://joinmastodon.org/ns#")),
        ("mz", json!("https://joinmobilizon.org/ns#")),
        ("discoverable", json!("toot:discoverable")),
        ("suspended", json!("toot:suspended")),
        (
            "manuallyApprovesFollowers",
            json!("as:manuallyApprovesFollowers"),
        ),
        ("Hashtag", json!("as:Hashtag")),
        ("category", json!("sc:category")),
        ("uuid", json!("sc:identifier")),
        (
            "maximumAttendeeCapacity",
            json!("sc:maximumAttendeeCapacity"),
        ),
        (
            "remainingAttendeeCapacity",
            json!("sc:remainingAttendeeCapacity"),
        ),
        ("location", typed("sc:location", "sc:Place")),
        ("PostalAddress", json!("sc:PostalAddress")),
        ("address", typed("sc:address", "sc:PostalAddress")),
        ("addressCountry", json!("sc:addressCountry")),
        ("addressRegion", json!("sc:addressRegion")),
        ("postalCode", json!("sc:postalCode")),
        ("addressLocality", json!("sc:addressLocality")),
        ("streetAddress", json!("sc:streetAddress")),
        ("PropertyValue", json!("sc:PropertyValue")),
        ("value", json!("sc:value")),
        ("propertyID", json!("sc:propertyID")),
        ("inLanguage", json!("sc:inLanguage")),
        ("commentsEnabled", typed("pt:commentsEnabled", "sc:Boolean")),
        ("status", json!("ical:status")),
        (
            "repliesModerationOptionType",
            typed("mz:repliesModerationOptionType", "rdfs:Class"),
        ),
        (
            "repliesModerationOption",
            typed(
                "mz:repliesModerationOption",
                "mz:repliesModerationOptionType",
            ),
        ),
        ("joinModeType", typed("mz:joinModeType", "rdfs:Class")),
        ("joinMode", typed("mz:joinMode", "mz:joinModeType")),
        (
            "anonymousParticipationEnabled",
            typed("mz:anonymousParticipationEnabled", "sc:Boolean"),
        ),
        (
            "participationMessage",
            typed("mz:participationMessage", "sc:Text"),
        ),
        (
            "participantCount",
            typed("mz:participantCount", "sc:Integer"),
        ),
        ("memberCount", typed("mz:memberCount", "sc:Integer")),
        ("isOnline", typed("mz:isOnline", "sc:Boolean")),
        (
            "externalParticipationUrl",
            typed("mz:externalParticipationUrl", "sc:URL"),
        ),
        ("timezone", typed("mz:timezone", "sc:Text")),
        ("discussions", typed("mz:discussions", "@id")),
        ("events", typed("mz:events", "@id")),
        ("members", typed("mz:members", "@id")),
        ("openness", typed("mz:openness", "@id")),
        ("posts", typed("mz:posts", "@id")),
        ("resources", typed("mz:resources", "@id")),
        ("todos", typed("mz:todos", "@id")),
    ];
    let terms: serde_json::Map<String, Value> = terms
        .into_iter()
        .map(|(term, definition)| (term.to_string(), definition))
        .collect();
    json!([ACTIVITY_STREAMS, SECURITY, terms])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_context_defines_every_extension_term_we_emit() {
        let context = context();
        assert_eq!(context[0], ACTIVITY_STREAMS);
        assert_eq!(context[1], SECURITY);
        let terms = &context[2];
        for term in [
            "suspended",
            "joinMode",
            "anonymousParticipationEnabled",
            "participantCount",
            "maximumAttendeeCapacity",
            "remainingAttendeeCapacity",
            "timezone",
            "isOnline",
            "commentsEnabled",
            "repliesModerationOption",
            "externalParticipationUrl",
            "category",
            "uuid",
            "PropertyValue",
            "propertyID",
            "inLanguage",
            "Hashtag",
            "PostalAddress",
        ] {
            assert!(terms.get(term).is_some(), "{term} is not defined");
        }
        assert_eq!(terms["mz"], "https://joinmobilizon.org/ns#");
        assert_eq!(terms["ical"], "http://www.w3.org/2002/12/cal/ical#");
    }
}
