//! Ground truth: what backstop reads from the thing itself (the archiver of each primary),
//! not from the status fields the operator and the plugin write.

pub mod archiver;
