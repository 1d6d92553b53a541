//! Pages: the tera templates (embedded at build time), the strings of the visitor's language,
//! and the shape every page shares.

use crate::i18n::{Catalogue, Catalogues};
use crate::visitor::{set_cookie, Visitor, FLASH_COOKIE};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use convene_api::Class;
use include_dir::{include_dir, Dir};
use serde::Serialize;
use tera::{Context, Kwargs, State, Tera};

static TEMPLATES: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/templates");

/// The template engine and the catalogues, built once at start.
pub struct Pages {
    tera: Tera,
    pub catalogues: Catalogues,
    /// The tile server maps are drawn from; none: no maps.
    pub tiles: Option<crate::map::TileServer>,
    /// The favicon and logo an administrator chose, if any.
    pub brand: crate::assets::Brand,
}

#[derive(Debug, thiserror::Error)]
pub enum PagesError {
    #[error("templates/{0}")]
    Template(String),
    #[error(transparent)]
    Catalogue(#[from] crate::i18n::CatalogueError),
}

/// A profile in the page header's menu.
#[derive(Serialize)]
struct MenuProfile<'a> {
    username: &'a str,
    display_name: &'a str,
}

impl Pages {
    pub fn new() -> Result<Self, PagesError> {
        let mut tera = Tera::new();
        // `{{ t.seats_left | fill(n=3) }}`: a catalogue string with its placeholders filled.
        tera.register_filter("fill", |text: &str, kwargs: Kwargs, _: &State| {
            let mut out = text.to_string();
            for (key, value) in kwargs.iter() {
                let value = match value.as_str() {
                    Some(s) => s.to_string(),
                    None => value.to_string(),
                };
                out = out.replace(&format!("{{{key}}}"), &value);
            }
            out
        });
        // `{{ tag | urlencode }}`: a value for a URL's query.
        tera.register_filter("urlencode", |text: &str, _: Kwargs, _: &State| {
            crate::pages::encode(text)
        });
        // All at once: a template may include one whose name sorts after its own.
        let mut templates = Vec::new();
        for file in TEMPLATES.files() {
            let name = file.path().display().to_string();
            let text = file
                .contents_utf8()
                .ok_or_else(|| PagesError::Template(format!("{name}: not UTF-8")))?;
            templates.push((name, text));
        }
        tera.add_raw_templates(templates)
            .map_err(|e| PagesError::Template(e.to_string()))?;
        Ok(Self {
            tera,
            catalogues: Catalogues::embedded()?,
            tiles: None,
            brand: crate::assets::Brand::default(),
        })
    }

    /// The same pages, with maps drawn from `tiles`.
    pub fn with_tiles(mut self, tiles: Option<crate::map::TileServer>) -> Self {
        self.tiles = tiles;
        self
    }

    /// The same pages, with the instance's own favicon and logo.
    pub fn with_brand(mut self, brand: crate::assets::Brand) -> Self {
        self.brand = brand;
        self
    }

    pub fn catalogue(&self, visitor: &Visitor) -> &Catalogue {
        self.catalogues.get(&visitor.lang)
    }

    /// `template` rendered for `visitor`, with `status`.
    pub fn render(
        &self,
        visitor: &Visitor,
        status: StatusCode,
        template: &str,
        mut context: Context,
    ) -> Response {
        let catalogue = self.catalogue(visitor);
        context.insert("t", &catalogue.t);
        context.insert("lang", &catalogue.code);
        context.insert("assets", &crate::assets::links(&self.brand));
        context.insert("languages", &self.catalogues.languages());
        context.insert("csrf", &visitor.masked_csrf());
        context.insert("here", &visitor.here);
        context.insert("here_encoded", &crate::pages::encode(&visitor.here));
        context.insert("logged_in", &visitor.logged_in());
        context.insert(
            "instance_staff",
            &visitor.session.as_ref().is_some_and(|s| {
                matches!(
                    s.account.role,
                    convene_domain::Role::Moderator | convene_domain::Role::Administrator
                )
            }),
        );
        context.insert("unread", &visitor.unread);
        let menu: Vec<MenuProfile> = visitor
            .profiles
            .iter()
            .map(|p| MenuProfile {
                username: &p.username,
                display_name: &p.display_name,
            })
            .collect();
        context.insert("own_profiles", &menu);
        if let Some(key) = &visitor.flash {
            context.insert("flash", &catalogue.text(key));
        }
        match self.tera.render(template, &context) {
            Ok(html) => {
                let mut response = visitor.finish((status, Html(html)).into_response());
                if visitor.flash.is_some() {
                    // Said once: the next page has nothing to repeat.
                    response.headers_mut().append(
                        header::SET_COOKIE,
                        set_cookie(FLASH_COOKIE, "", Some(0), visitor.secure()),
                    );
                }
                response
            }
            Err(error) => {
                tracing::error!(template, %error, "a page failed to render");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "the page failed to render",
                )
                    .into_response()
            }
        }
    }

    /// A template rendered as it is (feeds), without the page frame.
    pub fn render_raw(&self, template: &str, context: &Context) -> Result<String, tera::Error> {
        self.tera.render(template, context)
    }

    /// The page for an error status (404, 403, 500…), in the site's style.
    pub fn error(&self, visitor: &Visitor, status: StatusCode) -> Response {
        self.error_page(visitor, status, None)
    }

    /// The error page: a heading for the kind of failure, and one explanation — `detail` when
    /// there is one, else the general words for that kind.
    fn error_page(&self, visitor: &Visitor, status: StatusCode, detail: Option<&str>) -> Response {
        let kind = match status.as_u16() {
            403 => "403",
            404 => "404",
            code if code >= 500 => "500",
            _ => "other",
        };
        let catalogue = self.catalogue(visitor);
        let mut context = Context::new();
        context.insert("code", &status.as_u16());
        context.insert("heading", &catalogue.text(&format!("error_{kind}_title")));
        context.insert("generic", &catalogue.text(&format!("error_{kind}")));
        if let Some(detail) = detail {
            context.insert("detail", detail);
        }
        self.render(visitor, status, "error.html", context)
    }

    /// The page for a use case that failed: the status its class deserves, and the broken
    /// rule said in the visitor's language when the catalogue knows it (otherwise as the
    /// application wrote it). The one place errors become pages.
    pub fn failure(&self, visitor: &Visitor, error: &convene_api::Error) -> Response {
        let status = status_of(error);
        // A busy server is said as such (with when to come back); other failures stay vague.
        if status.is_server_error() && error.class() != Class::Unavailable {
            return self.error(visitor, status);
        }
        let rule = error.rule().replace('-', "_");
        let catalogue = self.catalogue(visitor);
        let detail = catalogue
            .t
            .get(&format!("problem_{rule}"))
            .cloned()
            .unwrap_or_else(|| error.detail());
        let mut response = self.error_page(visitor, status, Some(&detail));
        if let convene_api::Error::RateLimited { retry_after }
        | convene_api::Error::Busy { retry_after } = error
        {
            response.headers_mut().insert(
                header::RETRY_AFTER,
                header::HeaderValue::from(retry_after.as_secs().max(1)),
            );
        }
        response
    }

    /// The page for a mailed link that failed: spent or mistyped links get their own page.
    pub fn link_failure(&self, visitor: &Visitor, error: &convene_api::Error) -> Response {
        if error.class() == Class::NotFound {
            self.link_invalid(visitor)
        } else {
            self.failure(visitor, error)
        }
    }

    /// The 404 page for a mailed link that is spent or mistyped.
    pub fn link_invalid(&self, visitor: &Visitor) -> Response {
        let catalogue = self.catalogue(visitor);
        let mut response = self.message(
            visitor,
            &catalogue.text("link_invalid_title"),
            &catalogue.text("link_invalid"),
        );
        *response.status_mut() = StatusCode::NOT_FOUND;
        response
    }

    /// A page saying one thing (after a form, a link from a mail).
    pub fn message(&self, visitor: &Visitor, title: &str, text: &str) -> Response {
        self.message_back(visitor, title, text, None)
    }

    /// A page saying one thing, leading back to event `event` (else home).
    pub fn message_back(
        &self,
        visitor: &Visitor,
        title: &str,
        text: &str,
        event: Option<&str>,
    ) -> Response {
        let mut context = Context::new();
        context.insert("title", title);
        context.insert("text", text);
        if let Some(event) = event.filter(|e| !e.is_empty()) {
            context.insert("event", event);
        }
        self.render(visitor, StatusCode::OK, "message.html", context)
    }
}

pub use convene_api::http::problem::status_of;

/// After a form: go to `to` (303, so a reload does not post again).
pub fn see_other(visitor: &Visitor, to: &str) -> Response {
    visitor.finish(Redirect::to(to).into_response())
}

/// After a form: go to `to`, where the catalogue's message `flash` (a `flash_…` key) says
/// once what was done.
pub fn see_other_saying(visitor: &Visitor, to: &str, flash: &str) -> Response {
    let mut response = see_other(visitor, to);
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(FLASH_COOKIE, flash, Some(600), visitor.secure()),
    );
    response
}
