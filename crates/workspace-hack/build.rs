// Without a build script cargo would not build this crate's build-dependencies (see Cargo.toml).
fn main() {}
