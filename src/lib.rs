#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

pub mod core;

#[cfg(target_arch = "wasm32")]
mod api;
#[cfg(target_arch = "wasm32")]
mod edge;

// Talc instead of Rust's default wasm allocator (dlmalloc): smaller and faster here (Cargo.toml).
#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();
