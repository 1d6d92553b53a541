//! host-meta (RFC 6415): where WebFinger is, as XRD (what Mobilizon and Mastodon read) and JSON.

use serde_json::{json, Value};

fn template(public_url: &str) -> String {
    format!("{public_url}/.well-known/webfinger?resource={{uri}}")
}

/// `/.well-known/host-meta`.
pub fn xrd(public_url: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <XRD xmlns=\"http://docs.oasis-open.org/ns/xri/xrd-1.0\">\n    \
         <Link rel=\"lrdd\" type=\"application/jrd+json\" template=\"{}\" />\n\
         </XRD>\n",
        escape(&template(public_url))
    )
}

/// `/.well-known/host-meta.json`.
pub fn jrd(public_url: &str) -> Value {
    json!({
        "links": [
            {"rel": "lrdd", "type": "application/jrd+json", "template": template(public_url)}
        ]
    })
}

/// Escapes text for an XML attribute.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_xrd_points_at_webfinger() {
        let xml = super::xrd("https://events.example");
        assert!(xml
            .contains("template=\"https://events.example/.well-known/webfinger?resource={uri}\""));
        assert!(xml.contains("rel=\"lrdd\""));
    }
}
