#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

pub mod core;

#[cfg(target_arch = "wasm32")]
mod api;
#[cfg(target_arch = "wasm32")]
mod edge;
