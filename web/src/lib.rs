//! Server-rendered pages (tera templates, static assets, i18n catalogues) and feeds (ICS, Atom).
//!
//! Pages work without JavaScript: forms post, then redirect. A front end of the application
//! (`convene-api`): every handler parses the request, calls one use case and renders its answer
//! in the visitor's language, recording `web` as the source of each change; failures become
//! pages in one place ([`render::Pages::failure`]). Depends on `convene-domain`,
//! `convene-projections` (for the read models' types), `convene-api` and
//! `convene-notifications` (the inbox and the notification settings, whose JSON routes it
//! serves beside the API's); never on `convene-federation`.

// Page helpers fail with the page to show instead (an axum `Response`): it is large, and it is
// exactly what the handler returns next.
#![allow(clippy::result_large_err)]

pub mod assets;
pub mod edge;
pub mod feeds;
pub mod i18n;
pub mod map;
pub(crate) mod pages;
pub mod render;
pub mod view;
pub mod visitor;

use axum::extract::Request;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use convene_api::AppState;
use render::Pages;
use std::sync::Arc;
use visitor::Visitor;

/// What every page handler may use.
#[derive(Clone)]
pub struct Web {
    pub app: AppState,
    pub pages: Arc<Pages>,
}

/// The pages and feeds.
pub fn routes(app: AppState, pages: Arc<Pages>) -> Router {
    Router::new()
        .route("/", get(pages::home::home))
        .route("/calendar", get(pages::calendar::month))
        .route("/search", get(pages::search::page))
        .route("/@{username}", get(pages::home::profile))
        .route("/@{username}/feed.ics", get(feeds::name_ics))
        .route("/@{username}/feed.atom", get(feeds::name_atom))
        .route("/@{username}/join", post(pages::home::join_group))
        .route("/@{username}/avatar", post(pages::pictures::upload_avatar))
        .route(
            "/@{username}/avatar/remove",
            post(pages::pictures::remove_avatar),
        )
        .route("/@{username}/leave", post(pages::home::leave_group))
        .route(
            "/@{username}/discussion",
            post(pages::home::write_in_discussion_elsewhere),
        )
        .route(
            "/@{username}/resource",
            post(pages::home::add_link_elsewhere),
        )
        .route("/@{username}/todo", post(pages::home::todo_elsewhere))
        .route("/@{username}/follow", post(pages::home::follow_group))
        .route(
            "/@{username}/settings",
            get(pages::groups::settings_form).post(pages::groups::save_settings),
        )
        .route(
            "/@{username}/settings/avatar",
            post(pages::pictures::upload_group_avatar),
        )
        .route(
            "/@{username}/settings/avatar/remove",
            post(pages::pictures::remove_group_avatar),
        )
        .route(
            "/@{username}/settings/banner",
            post(pages::pictures::upload_group_banner),
        )
        .route(
            "/@{username}/settings/banner/remove",
            post(pages::pictures::remove_group_banner),
        )
        .route(
            "/@{username}/members",
            get(pages::groups::members).post(pages::groups::act_on_members),
        )
        .route("/@{username}/timeline", get(pages::groups::timeline))
        .route("/@{username}/events", get(pages::groups::events))
        .route(
            "/@{username}/posts/new",
            get(pages::group_posts::new_form).post(pages::group_posts::create),
        )
        .route("/@{username}/p/{post}", get(pages::group_posts::show))
        .route(
            "/@{username}/todos",
            get(pages::group_todos::page).post(pages::group_todos::act),
        )
        .route(
            "/@{username}/resources",
            get(pages::group_resources::top).post(pages::group_resources::act_at_top),
        )
        .route(
            "/@{username}/resources/{folder}",
            get(pages::group_resources::folder).post(pages::group_resources::act_in_folder),
        )
        .route(
            "/@{username}/discussions",
            get(pages::group_discussions::list).post(pages::group_discussions::start),
        )
        .route(
            "/@{username}/c/{discussion}",
            get(pages::group_discussions::show).post(pages::group_discussions::act),
        )
        .route(
            "/@{username}/p/{post}/edit",
            get(pages::group_posts::edit_form).post(pages::group_posts::update),
        )
        .route(
            "/@{username}/p/{post}/delete",
            post(pages::group_posts::delete),
        )
        .route(
            "/@{username}/events/new",
            get(pages::event_form::group_new_form).post(pages::event_form::group_create),
        )
        .route(
            "/@{username}/invitation",
            post(pages::groups::answer_invitation),
        )
        .route(
            "/groups/new",
            get(pages::groups::new_form).post(pages::groups::create),
        )
        .route("/my/groups", get(pages::groups::my_groups))
        .route("/feed.ics", get(feeds::instance_ics))
        .route("/feed.atom", get(feeds::instance_atom))
        .route("/feeds/{token}/my-events.ics", get(feeds::private_ics))
        .route("/feeds/{token}/my-events.atom", get(feeds::private_atom))
        .route(
            "/reset-password",
            get(pages::accounts::reset_form).post(pages::accounts::reset),
        )
        .route(
            "/reset-password/complete",
            get(pages::accounts::new_password_form).post(pages::accounts::new_password),
        )
        .route(
            "/events/new",
            get(pages::event_form::new_form).post(pages::event_form::create),
        )
        .route("/events/{id}", get(pages::event::show))
        .route("/events/{id}/calendar.ics", get(feeds::event_ics))
        .route("/events/{id}/qr.svg", get(pages::share::qr))
        .route("/events/{id}/share", get(pages::share::to_instance))
        .route(
            "/events/{id}/edit",
            get(pages::event_form::edit_form).post(pages::event_form::update),
        )
        .route(
            "/events/{id}/picture",
            post(pages::pictures::upload_for_event),
        )
        .route(
            "/events/{id}/picture/remove",
            post(pages::pictures::remove_from_event),
        )
        .route("/pictures/{name}", get(pages::pictures::serve))
        .route("/events/{id}/join", post(pages::event::join))
        .route("/events/{id}/leave", post(pages::event::leave))
        .route(
            "/events/{id}/anonymous",
            post(pages::event::join_anonymously),
        )
        .route("/events/{id}/comments", post(pages::event::comment))
        .route("/events/{id}/publish", post(pages::event::publish))
        .route(
            "/events/{id}/cancel",
            get(pages::event::confirm_cancel).post(pages::event::cancel),
        )
        .route(
            "/events/{id}/delete",
            get(pages::event::confirm_delete).post(pages::event::delete),
        )
        .route(
            "/login",
            get(pages::accounts::login_form).post(pages::accounts::login),
        )
        .route("/logout", post(pages::accounts::logout))
        .route(
            "/events/{id}/participants",
            get(pages::organise::participants),
        )
        .route(
            "/events/{id}/participants.csv",
            get(pages::organise::export),
        )
        .route(
            "/events/{id}/participants/decide",
            post(pages::organise::decide_several),
        )
        .route(
            "/events/{id}/participants/{pid}/approve",
            post(pages::organise::approve),
        )
        .route(
            "/events/{id}/participants/{pid}/reject",
            post(pages::organise::reject),
        )
        .route("/events/{id}/history", get(pages::organise::history))
        .route(
            "/report",
            get(pages::moderation::report_form).post(pages::moderation::report),
        )
        .route("/admin", get(pages::admin::dashboard))
        .route(
            "/admin/settings",
            get(pages::admin::settings).post(pages::admin::save_settings),
        )
        .route("/admin/registrations", get(pages::admin::registrations))
        .route("/admin/accounts", get(pages::admin::accounts))
        .route("/admin/accounts/{id}/role", post(pages::admin::change_role))
        .route(
            "/admin/registrations/{account}",
            post(pages::admin::decide_registration),
        )
        .route("/about", get(pages::about::about))
        .route("/about/{page}", get(pages::about::about_page))
        .route("/transparency", get(pages::about::transparency))
        .route("/transparency.atom", get(pages::about::transparency_atom))
        .route("/moderation/reports", get(pages::moderation::queue))
        .route("/moderation/audit", get(pages::moderation::audit))
        .route(
            "/moderation/revert",
            get(pages::moderation::revert_form).post(pages::moderation::revert),
        )
        .route(
            "/moderation/domains",
            get(pages::moderation::domains).post(pages::moderation::decide_on_domain),
        )
        .route(
            "/admin/instances",
            get(pages::instances::list).post(pages::instances::follow),
        )
        .route(
            "/admin/instances/unfollow",
            post(pages::instances::unfollow),
        )
        .route("/admin/deliveries", get(pages::deliveries::list))
        .route(
            "/admin/deliveries/{id}/retry",
            post(pages::deliveries::retry),
        )
        .route("/moderation/reports/{id}", get(pages::moderation::show))
        .route(
            "/moderation/reports/{id}/{action}",
            post(pages::moderation::act),
        )
        .route("/my/events", get(pages::settings::my_events))
        .route("/notifications", get(pages::notifications::inbox))
        .route(
            "/notifications/read-all",
            post(pages::notifications::mark_all_read),
        )
        .route(
            "/notifications/{id}/read",
            post(pages::notifications::mark_read),
        )
        .route(
            "/settings",
            get(pages::settings::settings).post(pages::settings::save),
        )
        .route(
            "/register",
            get(pages::accounts::register_form).post(pages::accounts::register),
        )
        .route(
            "/confirm-email",
            get(pages::accounts::confirm_email_form).post(pages::accounts::confirm_email),
        )
        .route(
            "/confirm-email-change",
            get(pages::accounts::confirm_email_change_form)
                .post(pages::accounts::confirm_email_change),
        )
        .route("/language/{code}", get(pages::accounts::language))
        .route(
            "/participations/confirm",
            get(pages::anonymous::confirm_form).post(pages::anonymous::confirm),
        )
        .route(
            "/participations/cancel",
            get(pages::anonymous::cancel_form).post(pages::anonymous::cancel),
        )
        .route("/static/{*file}", get(assets::serve))
        .with_state(Web { app, pages })
}

/// Pages, feeds, the API and `/healthz`, with request ids and logs: everything `convene serve`
/// answers. Unknown API paths answer problem+json; others an HTML page.
pub fn app(app: AppState, pages: Arc<Pages>) -> Router {
    let web = Web {
        app: app.clone(),
        pages: pages.clone(),
    };
    let limits = app.config.http_limits;
    let pages = routes(app.clone(), pages).layer(axum::middleware::from_fn_with_state(
        web.clone(),
        edge::refuse,
    ));
    let router = convene_api::http::routes(app.clone())
        .merge(convene_notifications::http::api(app))
        .merge(pages)
        .fallback(move |request: Request| not_found(web.clone(), request));
    convene_api::http::with_layers(router, limits)
}

async fn not_found(web: Web, request: Request) -> Response {
    if request.uri().path().starts_with("/api/") {
        return convene_api::http::problem::not_found(request.uri().clone())
            .await
            .into_response();
    }
    let (mut parts, _) = request.into_parts();
    match <Visitor as axum::extract::FromRequestParts<Web>>::from_request_parts(&mut parts, &web)
        .await
    {
        Ok(visitor) => web.pages.error(&visitor, StatusCode::NOT_FOUND),
        Err(response) => response,
    }
}
