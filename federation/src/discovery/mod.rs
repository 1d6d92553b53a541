//! How other servers find us and our actors: WebFinger, host-meta and NodeInfo.

pub mod host_meta;
pub mod lookup;
pub mod nodeinfo;
pub mod webfinger;
