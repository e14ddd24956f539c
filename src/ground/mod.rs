//! Ground truth: what the object store and the archiver hold, read from the things
//! themselves rather than from the status fields the operator and the plugin write.
//! `layout` and `prove` are pure; `bucket` reads a barman-cloud store, `archiver` each
//! primary's archiver through `pods/proxy`.

pub mod archiver;
pub mod bucket;
pub mod layout;
pub mod prove;
