//! citeseek: a search engine and citation index for health guides and the studies they cite.
pub mod extract;
pub mod passage;
