//! Peer benchmark (under construction).

fn main() {}
