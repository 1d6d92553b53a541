//! ActivityPub objects: our JSON in Mobilizon's shape, real peers' JSON read back, and hostile
//! input refused without a panic.

mod fixtures;
mod hostile;
mod round_trip;
mod shape;
mod support;
