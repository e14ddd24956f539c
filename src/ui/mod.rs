//! The terminal user interface. Data flows one way: the runtime turns keys, watch events,
//! verdicts and reads into `Msg`s; `App::update` turns each into `Cmd`s the runtime
//! performs; `draw` paints the App. Panes in `panes/`, overlays in `overlays/`, every key
//! in `keys/`.

pub mod app;
pub mod board;
pub mod draw;
pub mod fleet;
pub mod headless;
pub mod keys;
pub mod msg;
pub mod overlays;
pub mod panes;
pub mod restore_task;
pub mod rules_task;
pub mod run;
pub mod runtime;
pub mod settings;
pub mod theme;
pub mod widgets;
