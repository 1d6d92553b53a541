//! A member's resource in a group, as Mobilizon federates it (its `converter/resource.ex`): a
//! `Document` (a link, its address in `url`) or a `ResourceCollection` (a folder), with a
//! `name`, a `summary`, the folder or the group's `resources` holding it as `context`, and the
//! member who added it as `actor`.

use super::values::{kind, non_empty, same_origin, text, web_id};
use super::Ignored;
use convene_domain::group::{ResourceContent, ResourceKind};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq)]
pub struct IncomingResource {
    pub id: String,
    /// The member who added it.
    pub actor: String,
    /// The folder holding it, or the group's `resources`, when it names one.
    pub context: Option<String>,
    /// Checked by the rules of a group's resources.
    pub content: ResourceContent,
}

pub fn parse_resource(object: &Value) -> Result<IncomingResource, Ignored> {
    let resource_kind = match kind(object) {
        Some("ResourceCollection") => ResourceKind::Folder,
        Some("Document") => ResourceKind::Link,
        Some(other) => return Err(Ignored::UnsupportedObject(other.chars().take(64).collect())),
        None => return Err(Ignored::MissingField("type")),
    };
    let id = web_id(object, "id")?;
    let actor = web_id(object, "actor").or_else(|_| web_id(object, "attributedTo"))?;
    if !same_origin(&id, &actor) {
        return Err(Ignored::ForeignOrigin { id, actor });
    }
    // A link's address: a string, or a `Link` with its `href`.
    let url = match object.get("url") {
        Some(Value::Object(link)) => text(link.get("href")),
        url => text(url),
    };
    let content = ResourceContent {
        kind: resource_kind,
        title: text(object.get("name")).unwrap_or_default(),
        url: url.filter(|_| !resource_kind.is_folder()),
        summary: non_empty(text(object.get("summary"))),
    };
    Ok(IncomingResource {
        id,
        actor,
        context: web_id(object, "context").ok(),
        content: content.validate().map_err(Ignored::Invalid)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A link as a Mobilizon member's instance sends it (`converter/resource.ex`).
    fn document() -> Value {
        json!({
            "id": "https://b.example/resource/1",
            "type": "Document",
            "name": " Drill manual ",
            "url": "https://docs.example/drill.pdf",
            "summary": "How to drill",
            "context": "https://a.example/@club/resources",
            "actor": "https://b.example/@bea",
            "attributedTo": "https://a.example/@club",
        })
    }

    #[test]
    fn a_link_and_a_folder_are_read_by_the_resources_rules() {
        let read = parse_resource(&document()).expect("a link");
        assert_eq!(read.actor, "https://b.example/@bea");
        assert_eq!(
            read.context.as_deref(),
            Some("https://a.example/@club/resources")
        );
        let mut expected = ResourceContent::link(
            ResourceKind::Link,
            "Drill manual",
            "https://docs.example/drill.pdf",
        );
        expected.summary = Some("How to drill".into());
        assert_eq!(read.content, expected);

        let mut folder = document();
        folder["type"] = json!("ResourceCollection");
        folder["name"] = json!("Manuals");
        let read = parse_resource(&folder).expect("a folder");
        assert_eq!(read.content.kind, ResourceKind::Folder);
        assert_eq!(read.content.url, None);

        let mut linked = document();
        linked["url"] = json!({"type": "Link", "href": "https://docs.example/saw.pdf"});
        let read = parse_resource(&linked).expect("a link as a Link");
        assert_eq!(
            read.content.url.as_deref(),
            Some("https://docs.example/saw.pdf")
        );
    }

    #[test]
    fn a_resource_breaking_the_rules_or_from_another_origin_is_ignored() {
        let mut no_url = document();
        no_url["url"] = json!("ftp://docs.example/drill.pdf");
        assert_eq!(
            parse_resource(&no_url).map_err(|e| e.rule()),
            Err("invalid")
        );
        let mut foreign = document();
        foreign["actor"] = json!("https://c.example/@tom");
        assert!(matches!(
            parse_resource(&foreign),
            Err(Ignored::ForeignOrigin { .. })
        ));
        let mut untitled = document();
        untitled["name"] = json!("");
        assert_eq!(
            parse_resource(&untitled).map_err(|e| e.rule()),
            Err("invalid")
        );
    }

    /// A member on c.example asks the group to change a link b.example's member added: the
    /// `Update` embeds it from another origin than its own, kept as the change asked for; the
    /// same object in a `Create` is not.
    #[test]
    fn an_update_keeps_the_resource_it_embeds_whatever_its_origin() {
        let activity = |kind: &str| {
            json!({
                "id": "https://c.example/activities/1", "type": kind,
                "actor": "https://c.example/@tom", "object": document(),
            })
        };
        let update = crate::incoming::parse_activity(&activity("Update")).expect("an Update");
        let Some(crate::incoming::IncomingObject::Resource(changed)) = update.work.as_deref()
        else {
            panic!("the resource asked for: {update:?}")
        };
        assert_eq!(changed.id, "https://b.example/resource/1");
        assert_eq!(changed.content.title, "Drill manual");
        assert!(matches!(update.object, crate::incoming::ObjectRef::Id(_)));
        let create = crate::incoming::parse_activity(&activity("Create")).expect("a Create");
        assert_eq!(create.work, None);
    }
}
