//! Integration tests of `tcptrace`: the engine against simulated hops (no root), the wire
//! types' properties, and end-to-end runs over raw sockets in testbed namespaces (root).
mod e2e;
mod engine;
mod mda;
mod mda_e2e;
mod middlebox;
mod oracle;
mod props;
mod ratelimit;
mod rdns;
mod report;
mod rounds;
mod rounds_e2e;
mod scale;
mod sim;
mod wire;
