//! Text positions and edits, in the encodings editors use.

pub mod edit;
pub mod line_index;

pub use line_index::{LineCol, LineIndex, PositionEncoding};
