//! The subscribers this build runs, assembled from what each crate offers: the read models of
//! `convene-projections` and the search index of `convene-search`; the federation outbox and
//! notifications join the list from their own crates. `serve` runs them, `replay` rebuilds
//! them, `/healthz` reports them.

use convene_projections::Subscribers;
use std::sync::Arc;

pub fn all() -> Subscribers {
    Subscribers::new(convene_projections::read_models())
        .with([Arc::new(convene_search::SearchSubscriber::embedded()) as _])
}
