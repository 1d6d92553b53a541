//! The links mailed to people (confirm an address, confirm or cancel a participation) open a
//! page with one button that posts the token: mail scanners and link previews follow links, and
//! a GET must change nothing. The POST takes the token as JSON or as the page's form.

use super::problem::{BodyBytes, Problem};
use axum::extract::{FromRequest, Request};
use axum::http::header;
use axum::response::Html;
use serde::Deserialize;

/// A token from a mailed link, posted as JSON (`{"token": …}`) or as a form (`token=…`).
pub struct PostedToken(pub String);

impl<S: Send + Sync> FromRequest<S> for PostedToken {
    type Rejection = Problem;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let form = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        let BodyBytes(body) = BodyBytes::from_request(request, state).await?;
        #[derive(Deserialize)]
        struct Json {
            token: String,
        }
        let token = if form {
            url::form_urlencoded::parse(&body)
                .find(|(k, _)| k == "token")
                .map(|(_, v)| v.into_owned())
        } else {
            serde_json::from_slice::<Json>(&body).ok().map(|b| b.token)
        };
        token
            .filter(|token| !super::edge::has_control(token))
            .map(PostedToken)
            .ok_or_else(|| Problem::invalid_field("token", "send the token from the mail"))
    }
}

/// A page with one button posting `token` to `action`.
pub fn button_page(title: &str, action: &str, token: &str, button: &str) -> Html<String> {
    // Tokens are URL-safe base64: anything else is dropped rather than escaped.
    let token: String = token
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title></head><body><main>\
         <h1>{title}</h1>\
         <form method=\"post\" action=\"/api/v1{action}\">\
         <input type=\"hidden\" name=\"token\" value=\"{token}\">\
         <button type=\"submit\">{button}</button></form></main></body></html>"
    ))
}

#[cfg(test)]
mod tests {
    use super::button_page;

    #[test]
    fn the_page_posts_the_token_and_nothing_else() {
        let page = button_page("Confirm", "/accounts/confirm", "ab-C_9\"><script>", "Yes").0;
        assert!(page.contains("action=\"/api/v1/accounts/confirm\""));
        assert!(page.contains("value=\"ab-C_9script\""), "{page}");
        assert!(!page.contains("<script>"));
    }
}
