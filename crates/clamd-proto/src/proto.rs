//! The sans-IO core of the clamd protocol: commands and their bytes, reply framing with
//! bounded memory, typed replies, one command's exchange and the IDSESSION state machine. It
//! takes bytes and `now` and returns bytes or values; it never touches a socket, so both
//! clients ([`crate::blocking`] and the async one) drive the same code.

pub(crate) mod command;
pub(crate) mod decoder;
pub(crate) mod exchange;
pub(crate) mod reply;
pub(crate) mod session;
