//! OCI registries: references, manifests and the distribution client hsign stores and finds signatures with.

pub mod auth;
pub(crate) mod backoff;
pub mod client;
pub mod error;
pub mod manifest;
pub mod reference;

pub use client::{Client, ClientOptions};
pub use error::RegistryError;
pub use reference::ImageRef;
