//! The terminal user interface: state and update (app), what panes show (view, detail),
//! pure drawing (draw), the key map (keys), themes, and the event loop (run).

pub mod app;
pub mod detail;
pub mod draw;
pub mod keys;
pub mod run;
pub mod text;
pub mod theme;
pub mod view;
