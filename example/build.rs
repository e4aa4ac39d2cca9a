//! Generates the demo's typed API (`api.rs` in `OUT_DIR`) from the deployment's function spec,
//! as an app would: `convex/function_spec.json` is what `npx convex function-spec` printed
//! (`scripts/function-spec` refreshes it from the dev backend).

fn main() {
    if let Err(e) = convex_yew_codegen::build("convex/function_spec.json", "api.rs") {
        panic!("generating the Convex API: {e}");
    }
}
