//! The core's ports: what comes in from a chat ([`event`]), what goes out ([`reply`], through a [`sink::ChatSink`]
//! and a [`directory::Directory`]), and how anything fails ([`failure`]). Chat adapters implement these and nothing
//! else; the rest of the core is reached through `Bot`.

pub mod directory;
pub mod event;
pub mod failure;
pub mod reply;
pub mod sink;
