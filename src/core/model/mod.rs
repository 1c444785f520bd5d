//! The objects every provider's answers are normalised onto: `Batch`, list pages, `BatchResult`,
//! `FileObject`; with the statuses and timestamps they hold.

pub mod batch;
pub mod counts;
pub mod errors;
pub mod file;
pub mod page;
pub mod record;
pub mod result;
pub mod status;
pub mod time;
pub mod usage;

pub use batch::{Batch, Slot};
pub use page::{Layout, PageSummary};
pub use record::{Role, Value};
pub use result::{LineAt, ResultLine, Source};
