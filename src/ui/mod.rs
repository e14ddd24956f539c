//! The terminal user interface: state and update (app), what panes show (view, detail),
//! pure drawing (draw), the key map (keys), themes, the
//! event loop (run), and the troubleshooting walker (walker, draw_walk).

pub mod act;
pub mod app;
pub mod detail;
pub mod draw;
pub mod draw_walk;
pub mod keys;
pub mod run;
pub mod text;
pub mod theme;
pub mod view;
pub mod walker;
