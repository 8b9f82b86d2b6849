//! Tests of the netns fixture.
