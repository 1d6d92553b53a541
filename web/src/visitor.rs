//! Who is looking at a page: their session (from a cookie), their language, their time zone,
//! and the CSRF token every form they post must carry back.

use crate::Web;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::Response;
use convene_api::auth::{new_token, Origin, Session};
use convene_domain::Source;
use convene_projections::profiles::ProfileView;
use rand::RngCore;

pub const SESSION_COOKIE: &str = "convene_session";
pub const CSRF_COOKIE: &str = "convene_csrf";
pub const LANG_COOKIE: &str = "convene_lang";
pub const TZ_COOKIE: &str = "convene_tz";
/// What the last action did, said once on the next page: the catalogue key of the message.
pub const FLASH_COOKIE: &str = "convene_flash";

/// The person behind a page request.
pub struct Visitor {
    /// Where the request comes from: what the changes it makes record, and what limits count.
    pub origin: Origin,
    pub session: Option<Session>,
    /// Their profiles, first the default one (empty when logged out).
    pub profiles: Vec<ProfileView>,
    pub lang: String,
    /// Their time zone, when their browser told us (a cookie set by a line of script).
    pub time_zone: Option<String>,
    pub csrf: String,
    new_csrf: bool,
    /// The path and query of the page, for "back here" links.
    pub here: String,
    /// Their unread notifications (0 when logged out), for the page header.
    pub unread: i64,
    /// Whether the request reads (GET) rather than posts a form.
    pub reading: bool,
    /// The message the last action left for this page (a `flash_…` catalogue key).
    pub flash: Option<String>,
    secure: bool,
}

/// The token a masked CSRF value stands for (see [`Visitor::masked_csrf`]).
fn unmask(posted: &str) -> Option<String> {
    let bytes = hex::decode(posted.trim()).ok()?;
    let (pad, masked) = bytes.split_at(bytes.len() / 2);
    if pad.len() != masked.len() || pad.is_empty() {
        return None;
    }
    String::from_utf8(pad.iter().zip(masked).map(|(p, m)| p ^ m).collect()).ok()
}

/// The value of cookie `name` in the request.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_string())
}

/// A `Set-Cookie` value: HttpOnly and SameSite=Lax always, Secure when served over HTTPS.
pub fn set_cookie(name: &str, value: &str, max_age: Option<i64>, secure: bool) -> HeaderValue {
    let mut cookie = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if let Some(age) = max_age {
        cookie.push_str(&format!("; Max-Age={age}"));
    }
    if secure {
        cookie.push_str("; Secure");
    }
    HeaderValue::from_str(&cookie).unwrap_or_else(|_| HeaderValue::from_static(""))
}

impl Visitor {
    pub fn logged_in(&self) -> bool {
        self.session.is_some()
    }

    /// Whether a posted form carries this visitor's CSRF token.
    pub fn csrf_ok(&self, posted: Option<&String>) -> bool {
        !self.new_csrf
            && posted
                .and_then(|p| unmask(p))
                .is_some_and(|t| t == self.csrf)
    }

    /// The CSRF token as a form carries it: XORed with a fresh random pad for every page, so
    /// that compressed pages which also echo what a visitor typed never repeat the secret
    /// (BREACH). Any masking of the token unmasks to it.
    pub fn masked_csrf(&self) -> String {
        let token = self.csrf.as_bytes();
        let mut pad = vec![0u8; token.len()];
        rand::rngs::OsRng.fill_bytes(&mut pad);
        let masked: Vec<u8> = token.iter().zip(&pad).map(|(t, p)| t ^ p).collect();
        format!("{}{}", hex::encode(pad), hex::encode(masked))
    }

    pub fn secure(&self) -> bool {
        self.secure
    }

    /// Adds the cookies this visit needs to `response` (a new CSRF token).
    pub fn finish(&self, mut response: Response) -> Response {
        if self.new_csrf {
            response.headers_mut().append(
                header::SET_COOKIE,
                set_cookie(CSRF_COOKIE, &self.csrf, None, self.secure),
            );
        }
        response
    }
}

impl FromRequestParts<Web> for Visitor {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, web: &Web) -> Result<Self, Response> {
        let origin = convene_api::http::extract::origin(parts, &web.app, Source::Web);
        let headers = &parts.headers;
        let secure = web.app.config.public_url.starts_with("https://");
        let session = match cookie(headers, SESSION_COOKIE) {
            Some(token) => Session::open(&web.app, &token, origin.clone())
                .await
                .unwrap_or(None),
            None => None,
        };
        let profiles = match &session {
            Some(session) => {
                let mut own = convene_api::profiles::own(&web.app, session)
                    .await
                    .unwrap_or_default();
                let default = session.account.default_profile.clone();
                own.sort_by_key(|p| Some(&p.username) != default.as_ref());
                own
            }
            None => Vec::new(),
        };
        // One indexed count per page: the header shows it.
        let unread = match &session {
            Some(session) => convene_notifications::inbox::unread(&web.app, session)
                .await
                .unwrap_or(0),
            None => 0,
        };
        let catalogues = &web.pages.catalogues;
        let lang = cookie(headers, LANG_COOKIE)
            .filter(|l| catalogues.has(l))
            .or_else(|| {
                session
                    .as_ref()
                    .map(|s| s.account.locale.clone())
                    .filter(|l| catalogues.has(l))
            })
            .unwrap_or_else(|| {
                let accept = headers
                    .get(header::ACCEPT_LANGUAGE)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default();
                catalogues.negotiate(accept)
            });
        let time_zone = cookie(headers, TZ_COOKIE)
            .map(|tz| tz.replace("%2F", "/"))
            .filter(|tz| tz.parse::<chrono_tz::Tz>().is_ok());
        let (csrf, new_csrf) = match cookie(headers, CSRF_COOKIE).filter(|c| c.len() >= 32) {
            Some(csrf) => (csrf, false),
            None => (new_token(), true),
        };
        let here = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(|| "/".into());
        let reading = parts.method == axum::http::Method::GET;
        // Only keys of the catalogue's messages: a forged cookie cannot say anything else.
        let flash = cookie(headers, FLASH_COOKIE).filter(|key| {
            key.starts_with("flash_") && catalogues.get(&lang).t.contains_key(key.as_str())
        });
        Ok(Visitor {
            origin,
            reading,
            flash,
            unread,
            session,
            profiles,
            lang,
            time_zone,
            csrf,
            new_csrf,
            here,
            secure,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::unmask;

    #[test]
    fn a_masked_token_differs_every_time_and_unmasks_to_the_token() {
        let token = "q2C1pVn0uS0m2lR0dQ0w4u7bP4x1y9kA3sZcT6eHh8M";
        let mask = |pad: &[u8]| {
            let masked: Vec<u8> = token.bytes().zip(pad).map(|(t, p)| t ^ p).collect();
            format!("{}{}", hex::encode(pad), hex::encode(masked))
        };
        let (a, b) = (mask(&[7; 43]), mask(&[201; 43]));
        assert_ne!(a, b);
        assert_eq!(unmask(&a).as_deref(), Some(token));
        assert_eq!(unmask(&b).as_deref(), Some(token));
        assert_eq!(unmask(token), None, "the bare token is not a masked one");
        assert_eq!(unmask("abcd00"), None);
        assert_eq!(unmask(""), None);
    }
}
