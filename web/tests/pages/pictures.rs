//! Pictures on the pages: the edit page's picture form (multipart, no JavaScript), the picture
//! on the event page and the cards, link previews and JSON-LD, the renditions served with long
//! cache headers, refusals said in the visitor's language with nothing stored.

#[path = "../../../api/tests/fixtures/images.rs"]
mod images;

use crate::sites;
use crate::support::{create_event, Browser, Page};
use images::*;

/// Posts the edit page's picture form.
async fn send_picture(
    browser: &Browser,
    id: &str,
    alt: Option<&str>,
    file: Option<(&str, &str, &[u8])>,
) -> Page {
    let form = browser.get(&format!("/events/{id}/edit")).await;
    assert_eq!(form.status, 200, "{}", form.body);
    let csrf = form.csrf();
    let mut fields = vec![("_csrf", csrf.as_str())];
    if let Some(alt) = alt {
        fields.push(("alt", alt));
    }
    let (content_type, body) = multipart(&fields, file);
    browser
        .post_body(&format!("/events/{id}/picture"), content_type, body)
        .await
}

/// The `srcset` of the first WebP `<source>` of `body`.
fn source_srcset(body: &str) -> Option<String> {
    let start = body.find("<source type=\"image/webp\"")?;
    let tag = &body[start..start + body[start..].find('>')?];
    let from = tag.find(" srcset=\"")? + " srcset=\"".len();
    Some(tag[from..].chars().take_while(|c| *c != '"').collect())
}

/// The value of attribute `name` in the first `<img class="picture"` of `body`.
fn picture_attribute(body: &str, name: &str) -> Option<String> {
    let start = body.find("<img class=\"picture\"")?;
    let tag = &body[start..start + body[start..].find('>')?];
    let marker = format!(" {name}=\"");
    let from = tag.find(&marker)? + marker.len();
    Some(tag[from..].chars().take_while(|c| *c != '"').collect())
}

#[tokio::test]
async fn an_organiser_adds_a_picture_from_the_edit_page_and_everyone_sees_it() {
    for (db, site) in sites("web_pictures").await {
        let label = db.label;
        let organiser = Browser::member(&site, "org@example.org", "org", "en").await;
        let id = create_event(&organiser, &[("title", "Repair café")]).await;
        let edit = organiser.get(&format!("/events/{id}/edit")).await;
        assert!(
            edit.body.contains("enctype=\"multipart/form-data\""),
            "{label}"
        );
        assert!(edit
            .body
            .contains("<label for=\"alt\">Describe the picture</label>"));
        assert!(edit.body.contains("at most 10 MB"), "{label}");

        let bytes = png_with_exif(900, 600, &exif(1, false));
        let saved = send_picture(
            &organiser,
            &id,
            Some("Volunteers fixing a lamp"),
            Some(("lamp.png", "image/png", &bytes)),
        )
        .await;
        assert_eq!(saved.status, 303, "{label}: {}", saved.body);
        assert_eq!(
            saved.location.as_deref(),
            Some(format!("/events/{id}").as_str())
        );

        let visitor = site.browser("en");
        let page = visitor.get(&format!("/events/{id}")).await;
        assert_eq!(
            picture_attribute(&page.body, "alt").as_deref(),
            Some("Volunteers fixing a lamp"),
            "{label}"
        );
        assert_eq!(
            picture_attribute(&page.body, "width").as_deref(),
            Some("900")
        );
        assert_eq!(
            picture_attribute(&page.body, "height").as_deref(),
            Some("600")
        );
        let srcset = picture_attribute(&page.body, "srcset").expect("srcset");
        assert_eq!(srcset.matches("w, ").count() + 1, 3, "{srcset}");
        assert!(srcset.ends_with(" 900w"), "{srcset}");
        assert!(picture_attribute(&page.body, "sizes").is_some());
        assert!(picture_attribute(&page.body, "style")
            .is_some_and(|s| s.contains("background-color: #")));
        // Link previews and search engines get the widest rendition, with its size.
        let src = picture_attribute(&page.body, "src").expect("src");
        let widest = src.replace("-640.jpg", "-900.jpg");
        assert!(
            page.body.contains(&format!(
                "<meta property=\"og:image\" content=\"{}{widest}\">",
                site.base
            )),
            "{label}"
        );
        assert!(page
            .body
            .contains("<meta property=\"og:image:width\" content=\"900\">"));
        assert!(page
            .body
            .contains("<meta property=\"og:image:height\" content=\"600\">"));
        assert!(
            page.body
                .contains(&format!("\"image\":[\"{}/pictures/", site.base)),
            "{label}"
        );

        // The rendition is served as JPEG, cached for a year.
        let served = visitor.get(&src).await;
        assert_eq!(served.status, 200, "{label}");
        assert_eq!(served.content_type, "image/jpeg");
        assert_eq!(
            served.header("cache-control"),
            "public, max-age=31536000, immutable"
        );
        let decoded = image::load_from_memory(&served.bytes).expect("a JPEG");
        assert_eq!((decoded.width(), decoded.height()), (640, 427));
        for path in [
            "/pictures/nothing.jpg",
            "/pictures/..%2F..%2Fetc%2Fpasswd",
            &src.replace("-640.jpg", "-641.jpg"),
        ] {
            assert_eq!(visitor.get(path).await.status, 404, "{path}");
        }

        // Browsers that take WebP get the same widths in it, smaller; the blurhash, drawn as a
        // tiny inline PNG, stands in the picture's place while it loads.
        let webp_srcset = source_srcset(&page.body).expect("a WebP source");
        assert_eq!(webp_srcset, srcset.replace(".jpg", ".webp"), "{label}");
        let style = picture_attribute(&page.body, "style").expect("style");
        assert!(
            style.contains("background-image: url(data:image&#x2F;png;base64,")
                || style.contains("background-image: url(data:image/png;base64,"),
            "{label}: {style}"
        );
        let webp = src.replace("-640.jpg", "-640.webp");
        let served_webp = visitor.get(&webp).await;
        assert_eq!(served_webp.status, 200, "{label}");
        assert_eq!(served_webp.content_type, "image/webp");
        assert_eq!(
            served_webp.header("cache-control"),
            "public, max-age=31536000, immutable"
        );
        let decoded =
            image::load_from_memory_with_format(&served_webp.bytes, image::ImageFormat::WebP)
                .expect("a WebP");
        assert_eq!((decoded.width(), decoded.height()), (640, 427));
        // An upload stored before WebP renditions were made gets its WebP when first asked
        // for, made from its JPEG and kept; a WebP nobody uploaded is not made.
        let name = webp.trim_start_matches("/pictures/");
        let path = convene_api::pictures::store::path_of(&site.state.config.pictures.folder, name);
        std::fs::remove_file(&path).expect("the WebP rendition was stored");
        let remade = visitor.get(&webp).await;
        assert_eq!(remade.status, 200, "{label}");
        assert_eq!(remade.content_type, "image/webp");
        assert!(path.exists(), "{label}: kept for the next visitor");
        assert_eq!(
            visitor
                .get(&format!("/pictures/{}-640.webp", "ab".repeat(32)))
                .await
                .status,
            404
        );

        // The home page's card shows it too, small.
        let home = visitor.get("/").await;
        assert!(
            home.body.contains(&format!("src=\"{src}\"")),
            "{label}: the card shows the picture"
        );
        assert!(home.body.contains("sizes=\"8rem\""));
        assert!(home.body.contains("<source type=\"image/webp\""), "{label}");

        // Removed: the event shows its category's picture again.
        let edit = organiser.get(&format!("/events/{id}/edit")).await;
        assert!(edit.body.contains("Replace the picture"), "{label}");
        let removed = organiser
            .post(&format!("/events/{id}/picture/remove"), &edit.csrf(), &[])
            .await;
        assert_eq!(removed.status, 303, "{label}: {}", removed.body);
        let page = visitor.get(&format!("/events/{id}")).await;
        let shown = picture_attribute(&page.body, "src").unwrap_or_default();
        assert!(shown.starts_with("/static/categories/causes."), "{label}");
        assert!(!page.body.contains(&src), "{label}");
    }
}

/// The `content` of the `<meta property="{property}">` of `body`.
fn meta(body: &str, property: &str) -> Option<String> {
    let marker = format!("<meta property=\"{property}\" content=\"");
    let from = body.find(&marker)? + marker.len();
    Some(body[from..].chars().take_while(|c| *c != '"').collect())
}

#[tokio::test]
async fn an_event_without_a_picture_shows_its_category_s_on_its_card_page_and_link_preview() {
    for (db, site) in sites("web_category_pictures").await {
        let label = db.label;
        let organiser = Browser::member(&site, "org@example.org", "org", "en").await;
        let music = create_event(
            &organiser,
            &[("title", "Choir rehearsal"), ("category", "MUSIC")],
        )
        .await;
        let visitor = site.browser("fr");
        let page = visitor.get(&format!("/events/{music}")).await;
        let src = picture_attribute(&page.body, "src").expect("a picture");
        assert!(
            src.starts_with("/static/categories/music.") && src.ends_with(".svg"),
            "{label}: {src}"
        );
        // Decorative: the category is written beside it.
        assert_eq!(picture_attribute(&page.body, "alt").as_deref(), Some(""));
        assert_eq!(
            picture_attribute(&page.body, "width").as_deref(),
            Some("1200")
        );
        assert!(!page.body.contains("class=\"picture-band\""), "{label}");
        // Link previews take it by its absolute address, with its type and size.
        assert_eq!(
            meta(&page.body, "og:image"),
            Some(format!("{}{src}", site.base)),
            "{label}"
        );
        assert_eq!(
            meta(&page.body, "og:image:type").as_deref(),
            Some("image/svg+xml")
        );
        assert_eq!(meta(&page.body, "og:image:width").as_deref(), Some("1200"));
        assert_eq!(meta(&page.body, "og:image:height").as_deref(), Some("630"));
        assert_eq!(meta(&page.body, "og:image:alt").as_deref(), Some("Musique"));
        // So does the event's JSON-LD.
        let marker = "<script type=\"application/ld+json\">";
        let start = page.body.find(marker).expect("JSON-LD") + marker.len();
        let end = start + page.body[start..].find("</script>").expect("closed");
        let ld: serde_json::Value = serde_json::from_str(&page.body[start..end]).expect("JSON");
        assert_eq!(
            ld["image"],
            serde_json::json!([format!("{}{src}", site.base)]),
            "{label}"
        );

        // The card on the home page shows the same picture; another category, its own.
        let sports = create_event(
            &organiser,
            &[("title", "Five-a-side football"), ("category", "SPORTS")],
        )
        .await;
        let home = visitor.get("/").await;
        assert!(
            home.body.contains(&format!("src=\"{src}\"")),
            "{label}: the card shows the category's picture"
        );
        let sport = visitor.get(&format!("/events/{sports}")).await;
        let sport_src = picture_attribute(&sport.body, "src").expect("a picture");
        assert!(
            sport_src.starts_with("/static/categories/sports."),
            "{label}"
        );
        assert!(
            home.body.contains(&format!("src=\"{sport_src}\"")),
            "{label}"
        );

        // Served as a picture that runs nothing, kept a year under its hashed name.
        let served = visitor.get(&src).await;
        assert_eq!(served.status, 200, "{label}");
        assert_eq!(served.content_type, "image/svg+xml");
        assert_eq!(
            served.header("cache-control"),
            "public, max-age=31536000, immutable"
        );
        assert!(served
            .header("content-security-policy")
            .contains("default-src 'none'"));
        assert!(served.body.starts_with("<svg"));
    }
}

#[tokio::test]
async fn the_webp_renditions_are_made_right_after_the_upload_and_served_before_too() {
    for (db, site) in sites("web_pictures_webp").await {
        let label = db.label;
        let organiser = Browser::member(&site, "org@example.org", "org", "en").await;
        let id = create_event(&organiser, &[("title", "Repair café")]).await;
        let bytes = png_with_exif(900, 600, &exif(1, false));
        let saved = send_picture(
            &organiser,
            &id,
            Some("Volunteers fixing a lamp"),
            Some(("lamp.png", "image/png", &bytes)),
        )
        .await;
        assert_eq!(saved.status, 303, "{label}: {}", saved.body);
        let page = organiser.get(&format!("/events/{id}")).await;
        let webps: Vec<String> = source_srcset(&page.body)
            .expect("a WebP source")
            .split(", ")
            .map(|entry| entry.split(' ').next().unwrap_or_default().to_string())
            .collect();
        assert_eq!(webps.len(), 3, "{label}: {webps:?}");
        // Asked for at once, before the background has surely made it: made then.
        let widest = organiser.get(&webps[2]).await;
        assert_eq!(widest.status, 200, "{label}");
        let decoded = image::load_from_memory_with_format(&widest.bytes, image::ImageFormat::WebP)
            .expect("a WebP");
        assert_eq!(decoded.width(), 900, "{label}");
        // Every width's WebP is on disk shortly after, none of them asked for.
        let folder = &site.state.config.pictures.folder;
        let paths: Vec<_> = webps
            .iter()
            .map(|url| {
                convene_api::pictures::store::path_of(folder, url.trim_start_matches("/pictures/"))
            })
            .collect();
        for _ in 0..600 {
            if paths.iter().all(|p| p.exists()) {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        for (path, size) in paths.iter().zip([(320, 213), (640, 427), (900, 600)]) {
            let stored = std::fs::read(path).unwrap_or_else(|_| panic!("{label}: {path:?}"));
            let decoded = image::load_from_memory_with_format(&stored, image::ImageFormat::WebP)
                .expect("a WebP");
            assert_eq!((decoded.width(), decoded.height()), size, "{label}");
        }
    }
}

#[tokio::test]
async fn refused_pictures_say_why_in_the_visitors_language_and_store_nothing() {
    for (db, site) in sites("web_pictures_refused").await {
        let label = db.label;
        for (language, no_alt, not_a_picture, too_large) in [
            (
                "en",
                "Describe the picture in one line",
                "is not a picture that can be read",
                "larger than 10 MB",
            ),
            (
                "fr",
                "Décrivez l’image en une ligne",
                "n’est pas une image lisible",
                "dépasse 10 Mo",
            ),
        ] {
            let organiser = Browser::member(
                &site,
                &format!("org-{language}@example.org"),
                &format!("org_{language}"),
                language,
            )
            .await;
            let id = create_event(&organiser, &[("title", "Repair café")]).await;
            let png = png(40, 30);
            let page =
                send_picture(&organiser, &id, None, Some(("a.png", "image/png", &png))).await;
            assert_eq!(page.status, 422, "{label} {language}: {}", page.body);
            assert!(page.body.contains(no_alt), "{label} {language}");
            assert!(page.body.contains("id=\"alt-error\""));
            let text = b"this is a text file".to_vec();
            let page = send_picture(
                &organiser,
                &id,
                Some("A lamp"),
                Some(("lamp.jpg", "image/jpeg", &text)),
            )
            .await;
            assert_eq!(page.status, 422, "{label} {language}");
            assert!(page.body.contains(not_a_picture), "{label} {language}");
            assert!(page.body.contains("id=\"file-error\""));
            // What was typed stays in the field.
            assert!(page.body.contains("value=\"A lamp\""));
            let big = vec![0u8; 10 * 1024 * 1024 + 10];
            let page = send_picture(
                &organiser,
                &id,
                Some("A lamp"),
                Some(("big.jpg", "image/jpeg", &big)),
            )
            .await;
            assert_eq!(page.status, 413, "{label} {language}");
            assert!(
                page.body.contains(too_large),
                "{label} {language}: {}",
                page.body
            );
            let event = site.browser(language).get(&format!("/events/{id}")).await;
            let shown = picture_attribute(&event.body, "src").unwrap_or_default();
            assert!(
                shown.starts_with("/static/categories/"),
                "{label} {language}: still its category's"
            );
        }
        let folder = &site.state.config.pictures.folder;
        assert!(
            !folder.exists() || std::fs::read_dir(folder).map(|d| d.count()).unwrap_or(0) == 0,
            "{label}: no file stored"
        );
        // Without the form's token, nothing is even read.
        let organiser = Browser::member(&site, "forger@example.org", "forger", "en").await;
        let id = create_event(&organiser, &[]).await;
        let (content_type, body) = multipart(
            &[("alt", "A lamp")],
            Some(("a.png", "image/png", &png(10, 10))),
        );
        let forged = organiser
            .post_body(&format!("/events/{id}/picture"), content_type, body)
            .await;
        assert_eq!(forged.status, 403, "{label}");
        // Someone who does not organise the event may not.
        let stranger = Browser::member(&site, "stranger@example.org", "stranger", "en").await;
        let page = stranger.get(&format!("/events/{id}/edit")).await;
        assert_eq!(page.status, 403, "{label}");
    }
}

#[tokio::test]
async fn an_avatar_from_the_settings_shows_on_the_profile_and_beside_the_organisers_name() {
    for (db, site) in sites("web_avatars").await {
        let label = db.label;
        let ana = Browser::member(&site, "ana@example.org", "ana", "fr").await;
        let id = create_event(&ana, &[("title", "Repair café")]).await;
        let settings = ana.get("/settings").await;
        assert!(settings.body.contains("action=\"/@ana/avatar\""), "{label}");
        assert!(settings.body.contains("2 Mo au plus"), "{label}");
        let post = |bytes: Vec<u8>| {
            let ana = ana.clone();
            async move {
                let csrf = ana.get("/settings").await.csrf();
                let (content_type, body) = multipart(
                    &[("_csrf", csrf.as_str())],
                    Some(("me.jpg", "image/jpeg", &bytes)),
                );
                ana.post_body("/@ana/avatar", content_type, body).await
            }
        };
        let too_large = post(vec![0u8; 2 * 1024 * 1024 + 1]).await;
        assert_eq!(too_large.status, 413, "{label}");
        assert!(
            too_large.body.contains("dépasse 2 Mo"),
            "{label}: {}",
            too_large.body
        );
        let not_a_picture = post(b"GIF89a but not really".to_vec()).await;
        assert_eq!(not_a_picture.status, 422, "{label}");
        let profile = site.browser("en").get("/@ana").await;
        assert!(!profile.body.contains("class=\"avatar\""), "{label}");
        let saved = post(jpeg(800, 400)).await;
        assert_eq!(saved.status, 303, "{label}: {}", saved.body);
        // On the event's card — on the home page and among search results — the narrowest
        // rendition, described, in the visitor's language.
        site.indexed().await;
        for (language, alt) in [("en", "Avatar of @ana"), ("fr", "Avatar de @ana")] {
            for path in ["/", "/search?q=repair"] {
                let page = site.browser(language).get(path).await;
                let card = &page.body[page.body.find("café</").expect("the card")..];
                let start = card
                    .find("<img class=\"avatar\"")
                    .unwrap_or_else(|| panic!("{label} {path}: an avatar on the card"));
                let tag = &card[start..start + card[start..].find('>').expect("a tag")];
                assert!(tag.contains("-320.jpg\""), "{label} {path}: {tag}");
                assert!(
                    tag.contains(&format!("alt=\"{alt}\"")),
                    "{label} {path}: {tag}"
                );
            }
        }
        let profile = site.browser("en").get("/@ana").await;
        assert!(
            profile
                .body
                .contains("<img class=\"avatar\" src=\"/pictures/"),
            "{label}"
        );
        let event = site.browser("en").get(&format!("/events/{id}")).await;
        assert!(
            event
                .body
                .contains("<img class=\"avatar\" src=\"/pictures/"),
            "{label}: beside the organiser's name"
        );
        // Someone else's profile is not theirs to change.
        let bob = Browser::member(&site, "bob@example.org", "bob", "en").await;
        let csrf = bob.get("/settings").await.csrf();
        let (content_type, body) = multipart(
            &[("_csrf", csrf.as_str())],
            Some(("me.jpg", "image/jpeg", &jpeg(50, 50))),
        );
        let refused = bob.post_body("/@ana/avatar", content_type, body).await;
        assert!(
            refused.status == 403 || refused.status == 422,
            "{label}: {}",
            refused.status
        );
        // Removed.
        let csrf = ana.get("/settings").await.csrf();
        let removed = ana.post("/@ana/avatar/remove", &csrf, &[]).await;
        assert_eq!(removed.status, 303, "{label}");
        assert!(!site
            .browser("en")
            .get("/@ana")
            .await
            .body
            .contains("class=\"avatar\""));
        let found = site.browser("en").get("/search?q=repair").await;
        assert!(found.body.contains("<mark>Repair</mark> café"), "{label}");
        assert!(!found.body.contains("class=\"avatar\""), "{label}");
    }
}

#[tokio::test]
async fn the_new_event_form_takes_a_picture_checked_before_anything_is_saved() {
    for (db, site) in sites("web_pictures_new").await {
        let label = db.label;
        let organiser = Browser::member(&site, "org@example.org", "org", "en").await;
        let form = organiser.get("/events/new").await;
        assert!(
            form.body.contains("enctype=\"multipart/form-data\""),
            "{label}"
        );
        assert!(form.body.contains("id=\"file\"") && form.body.contains("id=\"alt\""));
        let title = ("title", "Lamp repair evening");
        let no_alt = post_new_event(&organiser, &[title], Some(&png(60, 40))).await;
        assert_eq!(no_alt.status, 422, "{label}: {}", no_alt.body);
        assert!(no_alt.body.contains("id=\"alt-error\""));
        assert!(
            no_alt.body.contains("value=\"Lamp repair evening\""),
            "what was typed stays"
        );
        let text =
            post_new_event(&organiser, &[title, ("alt", "Lamps")], Some(b"plain text")).await;
        assert_eq!(text.status, 422, "{label}");
        assert!(text.body.contains("id=\"file-error\""));
        let home = site.browser("en").get("/").await;
        assert!(
            !home.body.contains("Lamp repair evening"),
            "{label}: no event was created"
        );
        let with_alt = [title, ("alt", "Lamps on a table")];
        let created = post_new_event(&organiser, &with_alt, Some(&png(60, 40))).await;
        assert_eq!(created.status, 303, "{label}: {}", created.body);
        let page = site
            .browser("en")
            .get(created.location.as_deref().unwrap_or("/"))
            .await;
        assert_eq!(
            picture_attribute(&page.body, "alt").as_deref(),
            Some("Lamps on a table"),
            "{label}"
        );
    }
}

/// Posts the new-event form as `who`: the usual fields with `overrides` (an empty value leaves a
/// field out), and `file` as its picture.
async fn post_new_event(who: &Browser, overrides: &[(&str, &str)], file: Option<&[u8]>) -> Page {
    let csrf = who.get("/events/new").await.csrf();
    let mut fields = crate::support::event_form(overrides);
    fields.push(("_csrf", csrf.as_str()));
    let (content_type, body) = multipart(&fields, file.map(|f| ("p.png", "image/png", f)));
    who.post_body("/events/new", content_type, body).await
}

/// The upload the new-event form keeps in `body`, if any.
fn kept_picture(body: &str) -> Option<String> {
    let marker = "name=\"kept_picture\" value=\"";
    let from = body.find(marker)? + marker.len();
    Some(body[from..].chars().take_while(|c| *c != '"').collect())
}

#[tokio::test]
async fn a_picture_chosen_on_the_new_event_form_is_kept_through_every_step_that_saves_nothing() {
    for (db, site) in sites("web_pictures_kept").await {
        let label = db.label;
        let organiser = Browser::member(&site, "org@example.org", "org", "en").await;
        let other = Browser::member(&site, "bo@example.org", "bo", "en").await;
        // A preview with a picture: nothing is saved but the picture, kept as an upload.
        let preview = [
            ("title", "Lamp repair evening"),
            ("alt", "Lamps"),
            ("preview", "1"),
        ];
        let previewed = post_new_event(&organiser, &preview, Some(&png(60, 40))).await;
        assert_eq!(previewed.status, 200, "{label}: {}", previewed.body);
        let kept = kept_picture(&previewed.body).expect("the picture kept");
        assert!(previewed
            .body
            .contains("This picture is kept with the form"));
        assert!(previewed.body.contains("class=\"picture-preview\""));
        let home = site.browser("en").get("/").await;
        assert!(!home.body.contains("Lamp repair evening"), "{label}");
        // "Find the address" too (nothing is known of Paris here: it says so), with a new file.
        let find = [
            ("find_address", "1"),
            ("alt", "Lamps"),
            ("kept_picture", kept.as_str()),
        ];
        let found = post_new_event(&organiser, &find, Some(&png(50, 40))).await;
        assert_eq!(found.status, 422, "{label}: {}", found.body);
        assert!(found.body.contains("id=\"find_address-error\""), "{label}");
        let replaced = kept_picture(&found.body).expect("the new picture kept");
        assert_ne!(replaced, kept, "{label}: a new file replaces the kept one");

        // Refused for a missing title, then for an empty text: still kept, nothing chosen again.
        let untitled = [("title", ""), ("kept_picture", kept.as_str())];
        let refused = post_new_event(&organiser, &untitled, None).await;
        assert_eq!(refused.status, 422, "{label}: {}", refused.body);
        assert_eq!(kept_picture(&refused.body).as_deref(), Some(kept.as_str()));
        let no_alt = [
            ("title", "Lamp repair evening"),
            ("alt", " "),
            ("kept_picture", kept.as_str()),
        ];
        let refused = post_new_event(&organiser, &no_alt, None).await;
        assert_eq!(refused.status, 422, "{label}: {}", refused.body);
        assert!(refused.body.contains("id=\"alt-error\""), "{label}");
        assert_eq!(kept_picture(&refused.body).as_deref(), Some(kept.as_str()));

        // Someone else's upload, or one that is gone, is asked for again.
        for (who, id) in [(&other, kept.as_str()), (&organiser, "no-such-upload")] {
            let theirs = [
                ("title", "Not theirs"),
                ("alt", "Lamps"),
                ("kept_picture", id),
            ];
            let refused = post_new_event(who, &theirs, None).await;
            assert_eq!(refused.status, 422, "{label}: {}", refused.body);
            assert!(
                refused.body.contains("no longer kept: choose it again"),
                "{label}: {}",
                refused.body
            );
            assert_eq!(kept_picture(&refused.body), None);
        }

        // Published at last, with the text as it now reads.
        let publish = [
            ("title", "Lamp repair evening"),
            ("alt", "Lamps on a table"),
            ("kept_picture", kept.as_str()),
        ];
        let created = post_new_event(&organiser, &publish, None).await;
        assert_eq!(created.status, 303, "{label}: {}", created.body);
        let page = site
            .browser("en")
            .get(created.location.as_deref().unwrap_or("/"))
            .await;
        assert_eq!(
            picture_attribute(&page.body, "alt").as_deref(),
            Some("Lamps on a table"),
            "{label}"
        );
        let home = site.browser("en").get("/").await;
        assert!(!home.body.contains("Not theirs"), "{label}");
    }
}

/// Posts one of a group's picture forms (`avatar` or `banner`) from its settings page.
async fn send_group_picture(
    browser: &Browser,
    handle: &str,
    slot: &str,
    alt: Option<&str>,
    file: Option<(&str, &str, &[u8])>,
) -> Page {
    let form = browser.get(&format!("/@{handle}/settings")).await;
    let csrf = form.csrf();
    let mut fields = vec![("_csrf", csrf.as_str())];
    if let Some(alt) = alt {
        fields.push(("alt", alt));
    }
    let (content_type, body) = multipart(&fields, file);
    browser
        .post_body(&format!("/@{handle}/settings/{slot}"), content_type, body)
        .await
}

#[tokio::test]
async fn a_group_s_administrators_give_it_an_avatar_and_a_banner_from_its_settings() {
    for (db, site) in sites("web_group_pictures").await {
        let label = db.label;
        let ana = Browser::member(&site, "ana@example.org", "ana", "en").await;
        let form = ana.get("/groups/new").await;
        let created = ana
            .post(
                "/groups/new",
                &form.csrf(),
                &[
                    ("handle", "choir"),
                    ("display_name", "Choir"),
                    ("visibility", "public"),
                    ("openness", "open"),
                ],
            )
            .await;
        assert_eq!(created.status, 303, "{label}: {}", created.body);
        let settings = ana.get("/@choir/settings").await;
        assert_eq!(settings.status, 200, "{label}");
        for needed in [
            "action=\"/@choir/settings/avatar\" enctype=\"multipart/form-data\"",
            "action=\"/@choir/settings/banner\" enctype=\"multipart/form-data\"",
            "<label for=\"banner-alt\">Describe the picture</label>",
        ] {
            assert!(settings.body.contains(needed), "{label}: {needed}");
        }

        // Without a description, the banner is refused, said on the form, and nothing kept.
        let banner = jpeg(1200, 400);
        let refused = send_group_picture(
            &ana,
            "choir",
            "banner",
            None,
            Some(("b.jpg", "image/jpeg", &banner)),
        )
        .await;
        assert_eq!(refused.status, 422, "{label}: {}", refused.body);
        assert!(refused.body.contains("id=\"banner-alt-error\""), "{label}");
        assert!(refused.body.contains("Describe the picture in one line"));

        let saved = send_group_picture(
            &ana,
            "choir",
            "banner",
            Some("Singers on the stairs"),
            Some(("b.jpg", "image/jpeg", &banner)),
        )
        .await;
        assert_eq!(saved.status, 303, "{label}: {}", saved.body);
        let avatar = png(200, 200);
        let saved = send_group_picture(
            &ana,
            "choir",
            "avatar",
            Some("A tuning fork"),
            Some(("a.png", "image/png", &avatar)),
        )
        .await;
        assert_eq!(saved.status, 303, "{label}: {}", saved.body);

        // Everyone sees them on the group's page, described.
        let page = site.browser("en").get("/@choir").await;
        assert!(
            page.body.contains("<img class=\"picture banner\""),
            "{label}: {}",
            page.body
        );
        assert!(
            page.body.contains("alt=\"Singers on the stairs\""),
            "{label}"
        );
        assert!(page.body.contains("alt=\"A tuning fork\""), "{label}");
        // And on the group's card among the groups found.
        site.indexed().await;
        let found = site.browser("fr").get("/search?kind=groups&q=choir").await;
        assert!(
            found.body.contains("alt=\"A tuning fork\""),
            "{label}: {}",
            found.body
        );

        // A member who is no administrator changes nothing.
        let zoe = Browser::member(&site, "zoe@example.org", "zoe", "fr").await;
        let group = zoe.get("/@choir").await;
        zoe.post("/@choir/join", &group.csrf(), &[]).await;
        let (content_type, body) = multipart(
            &[("_csrf", group.csrf().as_str()), ("alt", "Taken over")],
            Some(("a.png", "image/png", &avatar)),
        );
        let refused = zoe
            .post_body("/@choir/settings/avatar", content_type, body)
            .await;
        assert_eq!(refused.status, 403, "{label}: {}", refused.body);
        let refused = zoe
            .post("/@choir/settings/banner/remove", &group.csrf(), &[])
            .await;
        assert_eq!(refused.status, 403, "{label}");

        let settings = ana.get("/@choir/settings").await;
        let removed = ana
            .post(
                "/@choir/settings/banner/remove",
                &settings.csrf(),
                &[("profile", "ana")],
            )
            .await;
        assert_eq!(removed.status, 303, "{label}: {}", removed.body);
        let page = site.browser("en").get("/@choir").await;
        assert!(!page.body.contains("Singers on the stairs"), "{label}");
        assert!(page.body.contains("alt=\"A tuning fork\""), "{label}");
    }
}

#[tokio::test]
async fn a_group_s_event_form_takes_a_picture_on_creation_and_on_its_edit_page() {
    for (db, site) in sites("web_pictures_group_event").await {
        let label = db.label;
        let ana = Browser::member(&site, "ana@example.org", "ana", "en").await;
        let form = ana.get("/groups/new").await;
        let fields = [
            ("handle", "repair"),
            ("display_name", "Repair café"),
            ("visibility", "public"),
            ("openness", "open"),
        ];
        let group = ana.post("/groups/new", &form.csrf(), &fields).await;
        assert_eq!(group.status, 303, "{label}: {}", group.body);
        let form = ana.get("/@repair/events/new").await;
        assert_eq!(form.status, 200, "{label}: {}", form.body);
        assert!(
            form.body.contains("enctype=\"multipart/form-data\""),
            "{label}"
        );
        assert!(form.body.contains("id=\"file\"") && form.body.contains("id=\"alt\""));
        let post = |overrides: Vec<(&'static str, &'static str)>, file: Option<Vec<u8>>| {
            let (ana, csrf) = (&ana, form.csrf());
            async move {
                let mut fields = crate::support::event_form(&overrides);
                fields.push(("_csrf", csrf.as_str()));
                let file = file.as_deref().map(|f| ("p.png", "image/png", f));
                let (content_type, body) = multipart(&fields, file);
                ana.post_body("/@repair/events/new", content_type, body)
                    .await
            }
        };
        // Without its text: refused on the form, what was typed kept, nothing created.
        let head = site.head().await;
        let title = ("title", "Bike repair evening");
        let refused = post(vec![title, ("members_only", "on")], Some(png(60, 40))).await;
        assert_eq!(refused.status, 422, "{label}: {}", refused.body);
        assert!(refused.body.contains("id=\"alt-error\""), "{label}");
        assert!(refused.body.contains("value=\"Bike repair evening\""));
        assert!(refused.body.contains("name=\"members_only\" checked"));
        assert!(refused.body.contains("organised by the group @repair"));
        assert_eq!(site.head().await, head, "{label}: nothing written");

        let created = post(vec![title, ("alt", "Bikes upside down")], Some(png(60, 40))).await;
        assert_eq!(created.status, 303, "{label}: {}", created.body);
        let id = created
            .location
            .unwrap_or_default()
            .trim_start_matches("/events/")
            .to_string();
        let page = site.browser("en").get(&format!("/events/{id}")).await;
        assert!(page.body.contains("Organised by the group"), "{label}");
        assert_eq!(
            picture_attribute(&page.body, "alt").as_deref(),
            Some("Bikes upside down"),
            "{label}"
        );
        let first = picture_attribute(&page.body, "src").expect("the picture");
        assert!(first.starts_with("/pictures/"), "{label}: {first}");

        // Its edit page replaces it.
        let replaced = send_picture(
            &ana,
            &id,
            Some("A wheel"),
            Some(("wheel.jpg", "image/jpeg", &jpeg(90, 60))),
        )
        .await;
        assert_eq!(replaced.status, 303, "{label}: {}", replaced.body);
        let page = site.browser("en").get(&format!("/events/{id}")).await;
        assert_eq!(
            picture_attribute(&page.body, "alt").as_deref(),
            Some("A wheel"),
            "{label}"
        );
        assert_ne!(picture_attribute(&page.body, "src"), Some(first));
    }
}
