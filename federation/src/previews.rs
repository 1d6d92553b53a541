//! Link previews of a group's resources. A link is stored at once with what the member typed;
//! this fetcher then reads the links waiting for a preview from the read model, fetches each
//! page through the one outgoing client (behind the SSRF guard, only http and https, bounded in
//! time and in the bytes read), takes what the page says of itself (its `<title>` and
//! OpenGraph `og:title`, `og:description`, `og:image`), and records it as a change of the
//! group. A page that cannot be reached for the moment (timed out, refused the connection,
//! answered 5xx or 429) is asked again later, a few times; a page refused for good (by the
//! guard, a 4xx, not HTML) or that says nothing gives an empty preview, recorded all the same,
//! so that it is not fetched again and again. It lives here because the client does.

use crate::client::{Client, FetchError};
use convene_api::group_resources::{self, Unreachable, WantedPreview};
use convene_api::AppState;
use convene_domain::group::LinkPreview;
use html5ever::tendril::StrTendril;
use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{
    BufferQueue, CharacterTokens, EndTag, StartTag, TagToken, Token, TokenSink, TokenSinkResult,
    Tokenizer, TokenizerOpts,
};
use std::cell::RefCell;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use url::Url;

/// The most of a page read for its preview: its head is at the start.
pub const PAGE_MAX_BYTES: usize = 256 * 1024;
/// Links previewed in one round; the next round takes the rest.
const ROUND_MAX: i64 = 50;
/// How often the fetcher looks for links waiting for a preview.
pub const POLL: Duration = Duration::from_secs(15);

/// Fetches and records the previews of the links waiting for one at `now` (Unix seconds), at
/// most a round's worth. Returns how many were recorded (given up on included); those to be
/// asked again later are not counted.
pub async fn preview_waiting(
    state: &AppState,
    client: &Client,
    now: i64,
) -> Result<usize, convene_api::Error> {
    let wanted = group_resources::previews_wanted(state, ROUND_MAX, now).await?;
    let mut recorded = 0;
    for link in wanted {
        let done = match fetch(client, &link).await {
            Ok(preview) => group_resources::record_preview(state, &link, preview)
                .await
                .map(|()| 1),
            Err(error) => {
                let reason = error.to_string();
                group_resources::preview_unreachable(state, &link, &reason, now)
                    .await
                    .map(|later| match later {
                        Unreachable::RetryAt(at) => {
                            tracing::info!(
                                reason,
                                url = link.url,
                                at,
                                "a link's page asked again later"
                            );
                            0
                        }
                        Unreachable::GivenUp => 1,
                    })
            }
        };
        match done {
            Ok(count) => recorded += count,
            Err(error) => tracing::warn!(
                %error,
                group = link.group,
                resource = link.resource,
                "a link's preview could not be recorded"
            ),
        }
    }
    Ok(recorded)
}

/// Looks for links waiting for a preview every [`POLL`], until shutdown.
pub async fn run(state: AppState, client: Client, shutdown: CancellationToken) {
    let mut every = tokio::time::interval(POLL);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = every.tick() => {}
        }
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        match preview_waiting(&state, &client, now).await {
            Ok(0) => {}
            Ok(recorded) => tracing::info!(recorded, "link previews recorded"),
            Err(error) => tracing::error!(%error, "links waiting for a preview could not be read"),
        }
    }
}

/// The preview of `link`'s page: empty when it is refused for good (by the guard, a 4xx other
/// than 408 and 429, too many redirects) or is not HTML; the error when it may answer later.
async fn fetch(client: &Client, link: &WantedPreview) -> Result<LinkPreview, FetchError> {
    let page = match client.get_page(&link.url, PAGE_MAX_BYTES).await {
        Ok(page) => page,
        Err(error) if for_the_moment(&error) => return Err(error),
        Err(error) => {
            tracing::info!(%error, url = link.url, "a link's page could not be fetched");
            return Ok(LinkPreview::default());
        }
    };
    let html = page.content_type.as_deref().is_none_or(|t| {
        let essence = t.split(';').next().unwrap_or_default().trim();
        essence.eq_ignore_ascii_case("text/html")
            || essence.eq_ignore_ascii_case("application/xhtml+xml")
    });
    if !html {
        return Ok(LinkPreview::default());
    }
    Ok(preview_of(&String::from_utf8_lossy(&page.body), &page.url))
}

/// Whether a page that could not be fetched may well answer later.
fn for_the_moment(error: &FetchError) -> bool {
    match error {
        FetchError::Timeout | FetchError::Connection(_) => true,
        FetchError::Status(status) => matches!(status, 408 | 425 | 429 | 500..=599),
        _ => false,
    }
}

/// What an HTML page says of itself: OpenGraph first, `<title>` and `<meta name=description>`
/// else; a relative image made absolute against `base`. The domain trims and cuts it.
pub fn preview_of(html: &str, base: &Url) -> LinkPreview {
    let sink = Head::default();
    let input = BufferQueue::default();
    input.push_back(StrTendril::from_slice(html));
    let tokenizer = Tokenizer::new(sink, TokenizerOpts::default());
    let _ = tokenizer.feed(&input);
    tokenizer.end();
    let found = tokenizer.sink.found.into_inner();
    let image = found
        .og_image
        .and_then(|image| base.join(image.trim()).ok())
        .map(String::from);
    LinkPreview {
        title: found.og_title.or(found.title),
        description: found.og_description.or(found.description),
        image,
    }
}

/// What the head of a page said, as the tokenizer went.
#[derive(Debug, Default)]
struct Found {
    title: Option<String>,
    description: Option<String>,
    og_title: Option<String>,
    og_description: Option<String>,
    og_image: Option<String>,
    /// Inside `<title>`: its text so far.
    in_title: Option<String>,
    /// Past `<body>`: nothing more is looked for.
    done: bool,
}

#[derive(Debug, Default)]
struct Head {
    found: RefCell<Found>,
}

impl TokenSink for Head {
    type Handle = ();

    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        let mut found = self.found.borrow_mut();
        if found.done {
            return TokenSinkResult::Continue;
        }
        match token {
            TagToken(tag) => {
                let name: &str = &tag.name;
                match (tag.kind, name) {
                    (StartTag, "title") if found.title.is_none() => {
                        found.in_title = Some(String::new());
                        return TokenSinkResult::RawData(RawKind::Rcdata);
                    }
                    (EndTag, "title") => {
                        if let Some(title) = found.in_title.take() {
                            found.title = Some(title);
                        }
                    }
                    (StartTag, "meta") => {
                        let attr = |wanted: &str| {
                            tag.attrs
                                .iter()
                                .find(|a| {
                                    AsRef::<str>::as_ref(&a.name.local).eq_ignore_ascii_case(wanted)
                                })
                                .map(|a| a.value.to_string())
                        };
                        let key = attr("property").or_else(|| attr("name"));
                        if let (Some(key), Some(content)) = (key, attr("content")) {
                            let slot = match key.to_ascii_lowercase().as_str() {
                                "og:title" => &mut found.og_title,
                                "og:description" => &mut found.og_description,
                                "og:image" | "og:image:url" => &mut found.og_image,
                                "description" => &mut found.description,
                                _ => return TokenSinkResult::Continue,
                            };
                            slot.get_or_insert(content);
                        }
                    }
                    // Their text is never a page's title.
                    (StartTag, "script") => return TokenSinkResult::RawData(RawKind::ScriptData),
                    (StartTag, "style") => return TokenSinkResult::RawData(RawKind::Rawtext),
                    (StartTag, "body") => found.done = true,
                    _ => {}
                }
            }
            CharacterTokens(text) => {
                if let Some(title) = found.in_title.as_mut() {
                    title.push_str(&text);
                }
            }
            _ => {}
        }
        TokenSinkResult::Continue
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Url {
        Url::parse("https://pad.example.org/p/minutes").expect("a URL")
    }

    #[test]
    fn opengraph_comes_first_then_the_title_and_description() {
        let html = r#"<!doctype html><html><head>
            <title>Minutes &amp; notes</title>
            <meta name="description" content="Plain description">
            <meta property="og:title" content="Minutes of the week">
            <meta property="og:description" content="What we said &lt;and did&gt;">
            <meta property="og:image" content="/images/pad.png">
            <script>document.title = "<title>not this</title>"</script>
            </head><body><title>nor this</title><meta property="og:image" content="x"></body>"#;
        assert_eq!(
            preview_of(html, &base()),
            LinkPreview {
                title: Some("Minutes of the week".into()),
                description: Some("What we said <and did>".into()),
                image: Some("https://pad.example.org/images/pad.png".into()),
            }
        );
        let plain = "<title>Minutes &amp; notes</title><meta name=description content='Plain'>";
        assert_eq!(
            preview_of(plain, &base()),
            LinkPreview {
                title: Some("Minutes & notes".into()),
                description: Some("Plain".into()),
                image: None,
            }
        );
        assert_eq!(
            preview_of("not html at all", &base()),
            LinkPreview::default()
        );
    }
}
