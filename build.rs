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
//! Applied only where it is known to work: release builds for x86_64 Linux that rustc
//! links with lld (rustup's toolchains since 1.90), with no linker chosen by the user. `TAURUSDB_LINK_ORDER=0` turns it
//! off; `TAURUSDB_LINK_MAP=PATH` also writes lld's map file (the order script reads it).

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

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
    let turned_off = env::var("TAURUSDB_LINK_ORDER").is_ok_and(|value| value == "0");
    // The probe (a link by rustc) last: only when everything else says yes.
    if target != ORDER_TARGET
        || profile != "release"
        || turned_off
        || !linked_by_default_lld(&target)
    {
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

/// Whether rustc links this target with lld (`-fuse-ld=lld`): rustup's toolchains do on
/// x86_64 Linux since 1.90; older ones, and distributions' builds, use the system's
/// linker, which may not know `--symbol-ordering-file` (GNU ld does not). Asked of rustc
/// itself by linking an empty program with the build's flags; a linker chosen in cargo's
/// configuration (which rustc does not see here) counts as not lld.
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
    let Some(out_dir) = env::var_os("OUT_DIR").map(PathBuf::from) else {
        return false;
    };
    let probe = out_dir.join("link-probe.rs");
    if std::fs::write(&probe, "fn main() {}\n").is_err() {
        return false;
    }
    let rustc = env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let rustflags = env::var("CARGO_ENCODED_RUSTFLAGS").unwrap_or_default();
    let output = Command::new(rustc)
        .args(rustflags.split('\x1f').filter(|flag| !flag.is_empty()))
        .args(["--print", "link-args", "--target", target, "-o"])
        .arg(out_dir.join("link-probe"))
        .arg(&probe)
        .output();
    output.is_ok_and(|output| {
        output.status.success() && String::from_utf8_lossy(&output.stdout).contains("-fuse-ld=lld")
    })
}
