//! The one-click unsubscribe link of every notification mail. `GET` shows a page with one
//! button (mail scanners and link previews follow links; only people press buttons); `POST`
//! — the button, or the mail client's RFC 8058 one-click request — turns the kind off.

use crate::unsubscribe::{unsubscribe, Refusal};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use convene_projections::Database;
use serde::Deserialize;

#[derive(Deserialize)]
struct Token {
    #[serde(default)]
    token: String,
}

pub fn routes(db: &Database) -> Router {
    Router::new()
        .route("/notifications/unsubscribe", get(ask).post(confirm))
        .with_state(db.clone())
}

fn page(title: &str, body: &str) -> Html<String> {
    Html(format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title></head>\
         <body><main><h1>{title}</h1>{body}</main></body></html>\n"
    ))
}

async fn ask(Query(token): Query<Token>) -> Html<String> {
    let token = crate::templates::escape(&token.token);
    page(
        "Stop these mails / Ne plus recevoir ces mails",
        &format!(
            "<form method=\"post\" action=\"/notifications/unsubscribe?token={token}\">\
             <button type=\"submit\">Stop mails of this kind / Ne plus recevoir ce type de mail</button></form>"
        ),
    )
}

async fn confirm(State(db): State<Database>, Query(token): Query<Token>) -> Response {
    match unsubscribe(db.pool(), &token.token).await {
        Ok(Ok(_)) => page(
            "Done / C’est fait",
            "<p>You will get no more mails of this kind. Vous ne recevrez plus ce type de mail.</p>",
        )
        .into_response(),
        Ok(Err(refusal)) => {
            let status = match refusal {
                Refusal::Invalid => StatusCode::BAD_REQUEST,
                Refusal::Used => StatusCode::GONE,
            };
            (status, page("Not done / Rien n’a changé", &format!("<p>{refusal}</p>")))
                .into_response()
        }
        Err(error) => {
            tracing::error!(%error, "unsubscribe");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}
