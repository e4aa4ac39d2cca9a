//! `convex-yew-codegen SPEC.json [-o OUT.rs] [--check] [--crate PATH]`: writes the typed API
//! module for a function spec (`-` reads stdin; without `-o`, prints to stdout). `--check`
//! fails when OUT.rs is not what the spec generates.

use std::io::Read;
use std::process::ExitCode;

use convex_yew_codegen::{check_file, generate_file, generate_with_warnings, Options};

const USAGE: &str = "usage: convex-yew-codegen SPEC.json [-o OUT.rs] [--check] [--crate PATH]

Generates typed convex-yew references and types from a Convex function spec.
Get the spec from a deployment with:  npx convex function-spec > function_spec.json
  -o OUT.rs      write the module to OUT.rs (only when it changes); default: stdout
  --check        fail unless OUT.rs is what the spec generates (for CI)
  --crate PATH   crate path of the support types (default ::convex_yew::core)";

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (mut spec, mut out, mut check) = (None, None, false);
    let mut options = Options::default();
    while let Some(a) = args.next() {
        match a.as_str() {
            "-o" | "--out" => out = args.next(),
            "--check" => check = true,
            "--crate" => match args.next() {
                Some(p) => options.crate_path = p,
                None => return usage(),
            },
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            "-V" | "--version" => {
                println!("convex-yew-codegen {}", env!("CARGO_PKG_VERSION"));
                return ExitCode::SUCCESS;
            }
            _ if spec.is_none() => spec = Some(a),
            _ => return usage(),
        }
    }
    let Some(spec) = spec else { return usage() };
    let result = match (&out, check, spec.as_str()) {
        (Some(out), true, _) => check_file(&spec, out, &options),
        (Some(out), false, _) => generate_file(&spec, out, &options),
        (None, true, _) => return usage(),
        (None, false, "-") => {
            let mut text = String::new();
            if let Err(e) = std::io::stdin().read_to_string(&mut text) {
                eprintln!("convex-yew-codegen: stdin: {e}");
                return ExitCode::FAILURE;
            }
            generate_with_warnings(&text, &options).map(print_generated)
        }
        (None, false, path) => std::fs::read_to_string(path)
            .map_err(|source| convex_yew_codegen::CodegenError::Io {
                path: path.into(),
                source,
            })
            .and_then(|text| generate_with_warnings(&text, &options))
            .map(print_generated),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("convex-yew-codegen: {e}");
            ExitCode::FAILURE
        }
    }
}

fn print_generated(g: convex_yew_codegen::Generated) {
    for w in &g.warnings {
        eprintln!("convex-yew-codegen: warning: {w}");
    }
    print!("{}", g.code);
}

fn usage() -> ExitCode {
    eprintln!("{USAGE}");
    ExitCode::from(2)
}
