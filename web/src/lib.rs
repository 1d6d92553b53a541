//! Server-rendered pages (tera templates, static assets, i18n catalogues) and feeds (ICS, Atom).
//!
//! Pages read the read models of `convene-projections` and send commands through it, exactly as
//! the JSON API does; they never write tables themselves. May depend on `convene-domain` and
//! `convene-projections`, never on `convene-api` or `convene-federation`.
//!
//! Nothing is served from here yet: the first pages arrive with the web interface.
