// `sqlx::migrate!` embeds the migrations when this crate compiles: compile again whenever one
// is added or changed (as sqlx recommends), or a build would run without it.
fn main() {
    println!("cargo:rerun-if-changed=../migrations");
}
