//! Scenario: arbitrary bytes (invalid UTF-8, embedded NUL, deep nesting, huge strings and
//! numbers, random mutations of valid configs) fed to the exported C entry points exactly as
//! Go calls them: `{ptr, len}` string views inside a request struct.
//! Guarantees: every input gets a reply, success or a non-empty error, and no crash or hang.
//!
//! This is a seeded random fuzzer on stable Rust (cargo-fuzz needs a nightly toolchain, which
//! these machines cannot install); it is not coverage-guided. FUZZ_EXECS sets the number of
//! inputs (default 2000; `make reliability` runs 2,000,000) and FUZZ_SEED the seed.
#![allow(unsafe_code)] // Calls the C ABI exports exactly as Go does; that is the point.
#![allow(missing_docs)]

use std::time::Instant;

mod common;

use common::{
    c_RustExtensions_create_and_start, c_RustExtensions_default_config,
    c_RustExtensions_dependencies, c_RustExtensions_validate_config, call, fuzz_settings,
    ConfigRequestView, Rng, StartRequestView, StringView,
};

const SEEDS: &[&[u8]] = &[
    b"{}",
    br#"{"endpoint":"localhost:8080","timeout_ms":5000,"enabled":true}"#,
    br#"{"timeout_ms":0}"#,
    br#"{"endpoint":""}"#,
    br#"{"depends_on":["zpages","rust_sample/a"]}"#,
    br#"{"timeout_ms":18446744073709551616}"#,
    br#"{"timeout_ms":1e999999}"#,
    br#"{"timeout_ms":-1,"enabled":"yes"}"#,
    b"{\"endpoint\":\"a\x00b\"}",
    b"{\"endpoint\":\"\xff\xfe\"}",
    b"\xff\xff\xff",
    b"null",
    b"[]",
    b"",
];

const TOKENS: &[&[u8]] = &[
    b"{",
    b"}",
    b"[",
    b"]",
    b",",
    b":",
    b"\"",
    b"\\",
    b"\x00",
    b"\xff",
    b"\xc3",
    b"1e308",
    b"-0",
    b"null",
    b"true",
    b"\"endpoint\"",
    b"\"timeout_ms\"",
    b"\"enabled\"",
    b"\"depends_on\"",
    b"\\u0000",
    b"\\ud800",
    b"99999999999999999999999",
];

fn mutate(rng: &mut Rng, input: &mut Vec<u8>) {
    match rng.below(6) {
        0 if !input.is_empty() => {
            let at = rng.below(input.len());
            input[at] = rng.next() as u8;
        }
        1 => {
            let at = rng.below(input.len() + 1);
            let token = TOKENS[rng.below(TOKENS.len())];
            input.splice(at..at, token.iter().copied());
        }
        2 if !input.is_empty() => {
            let at = rng.below(input.len());
            input.truncate(at);
        }
        3 => {
            // Deep nesting.
            let depth = 1 + rng.below(4096);
            let mut nested = vec![b'['; depth];
            nested.extend(std::iter::repeat_n(b']', rng.below(depth + 1)));
            *input = nested;
        }
        4 => {
            // A huge string value.
            let len = rng.below(1 << 18);
            let mut big = br#"{"endpoint":""#.to_vec();
            big.extend(std::iter::repeat_n(b'x', len));
            big.extend_from_slice(br#""}"#);
            *input = big;
        }
        _ => {
            let len = rng.below(64);
            input.extend((0..len).map(|_| rng.next() as u8));
        }
    }
}

#[test]
fn arbitrary_bytes_get_a_reply() {
    let (execs, mut rng) = fuzz_settings(0x5EED_0F0C_7E1C_0001);
    let began = Instant::now();
    let (mut accepted, mut rejected) = (0u64, 0u64);
    let types: &[&[u8]] = &[b"rust_sample", b"", b"\xff", b"rust_sample\x00", b"nope"];
    for exec in 0..execs {
        let mut input = SEEDS[rng.below(SEEDS.len())].to_vec();
        for _ in 0..=rng.below(4) {
            mutate(&mut rng, &mut input);
        }
        let kind = types[if exec % 8 == 0 {
            rng.below(types.len())
        } else {
            0
        }];
        let request = ConfigRequestView {
            kind: StringView::of(b"extension"),
            component_type: StringView::of(kind),
            config_json: StringView::of(&input),
        };
        let ok = match exec % 4 {
            0 => call(c_RustExtensions_dependencies, &request).ok,
            1 => call(c_RustExtensions_default_config, &request).ok,
            2 => {
                // Fuzz the context and host documents of a start that cannot bind anything.
                let disabled = br#"{"enabled":false}"#;
                let start = StartRequestView {
                    kind: StringView::of(b"extension"),
                    component_type: StringView::of(b"rust_sample"),
                    config_json: StringView::of(disabled),
                    context_json: StringView::of(&input),
                    host_json: StringView::of(&input),
                };
                call(c_RustExtensions_create_and_start, &start).ok
            }
            _ => call(c_RustExtensions_validate_config, &request).ok,
        };
        if ok {
            accepted += 1;
        } else {
            rejected += 1;
        }
    }
    println!(
        "fuzzed {execs} inputs in {:?}: {accepted} accepted, {rejected} rejected with an error",
        began.elapsed()
    );
    assert_eq!(accepted + rejected, execs as u64);
}
