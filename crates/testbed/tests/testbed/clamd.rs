//! Tests of the clamd fixture.
