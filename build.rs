//! Link layout of the release binary: the code a start-up and a Terraform run execute is
//! placed together, in the order it first runs, and identical functions are kept once.
//!
//! A process maps the binary's code page by page as it first touches it, and the kernel
//! maps the cached neighbours of each touched page too (fault-around, 64 KiB). Left to
//! itself the linker lays functions out by crate and codegen order, so the few hundred
//! KiB a start-up runs are spread over most of the 8 MB of code, and a plugin process
//! (Terraform starts dozens per run) maps and faults in megabytes it never executes.
//! `link/x86_64-unknown-linux-gnu.order` lists the functions a start-up, handshake and
//! `terraform apply` ran, first-run first (`bench/link_order.py` writes it); lld places
//! them at the start of `.text`. Nothing else changes: a name the list has and the binary
//! lacks is skipped, so a stale list costs only locality, never a failed build.
//!
//! Identical code folding (`--icf=all`): release builds share no generic code between
//! crates, so every workspace crate that serializes JSON or awaits another crate's async
//! functions carries its own copy of the same machine code; lld keeps one (-100 KB).
//! Folded functions share an address, which Rust does not promise to keep distinct
//! (function pointer comparisons are unreliable by the language's own rules); data is
//! never folded.
//!
//! Applied only where it is known to work: release builds for x86_64 Linux, linked by
//! rustc's default lld, with no linker chosen by the user. `TAURUSDB_LINK_ORDER=0` turns it
//! off; `TAURUSDB_LINK_MAP=PATH` also writes lld's map file (the order script reads it).

use std::env;
use std::path::Path;

const ORDER_TARGET: &str = "x86_64-unknown-linux-gnu";

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=TAURUSDB_LINK_ORDER");
    println!("cargo::rerun-if-env-changed=TAURUSDB_LINK_MAP");
    let target = env::var("TARGET").unwrap_or_default();
    let profile = env::var("PROFILE").unwrap_or_default();
    let order = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("link")
        .join(format!("{ORDER_TARGET}.order"));
    println!("cargo::rerun-if-changed={}", order.display());
    if target != ORDER_TARGET || profile != "release" || !linked_by_default_lld(&target) {
        return;
    }
    if env::var("TAURUSDB_LINK_ORDER").is_ok_and(|value| value == "0") {
        return;
    }
    let bin = "terraform-provider-taurusdb";
    println!("cargo::rustc-link-arg-bin={bin}=-Wl,--icf=all");
    if order.is_file() {
        println!(
            "cargo::rustc-link-arg-bin={bin}=-Wl,--symbol-ordering-file={}",
            order.display()
        );
        // Names of functions that are gone or renamed are expected in a list written by
        // an earlier build; they are skipped silently.
        println!("cargo::rustc-link-arg-bin={bin}=-Wl,--no-warn-symbol-ordering");
    }
    if let Ok(map) = env::var("TAURUSDB_LINK_MAP") {
        println!("cargo::rustc-link-arg-bin={bin}=-Wl,-Map={map}");
        // Symbols as the ordering file names them, not demangled.
        println!("cargo::rustc-link-arg-bin={bin}=-Wl,--no-demangle");
    }
}

/// Whether the binary is linked the way rustc links for x86_64 Linux by default (its own
/// lld, through `cc`). A linker, linker flavour or `-fuse-ld` chosen by the user may not
/// know `--symbol-ordering-file` (GNU ld does not), so then nothing is added.
fn linked_by_default_lld(target: &str) -> bool {
    let linker_var = format!(
        "CARGO_TARGET_{}_LINKER",
        target.to_uppercase().replace('-', "_")
    );
    println!("cargo::rerun-if-env-changed={linker_var}");
    println!("cargo::rerun-if-env-changed=RUSTC_LINKER");
    if env::var_os(&linker_var).is_some() || env::var_os("RUSTC_LINKER").is_some() {
        return false;
    }
    let rustflags = env::var("CARGO_ENCODED_RUSTFLAGS").unwrap_or_default();
    !rustflags.split('\x1f').any(|flag| {
        flag.contains("linker") || flag.contains("link-self-contained") || flag.contains("fuse-ld")
    })
}
