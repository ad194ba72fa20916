//! Plan computation timed inside Rust, without Python: `cargo bench --bench plan`.
//!
//! The same input as `bench_plan` in benches/run.py: N env entries spread over 20
//! components, N/20 desired GENERAL keys synced into every component, 10% of them
//! with a new value. A second case adds a full sync state (SECRET entries with a
//! record each, 10% of them changed), the path a real sync takes after its first run.
//!
//! Arguments: `[sizes...]` (default 1000 10000 100000), `--repeats N` (default 15),
//! `--case general|state|all` (default all). Prints wall time (median, least), the thread's CPU time (median) and the time to build the spec to PUT (which applying a plan does) per case and
//! size; growth is computed from the CPU time.

use std::time::Instant;

use chrono::Utc;
use std::sync::Arc;

use do_envsync::sync::{
    plan_shared, Desired, DesiredValue, Fingerprinter, Origin, Scope, StateRecord, SyncOptions,
    Targets, VarType,
};
use serde_json::{json, Value};

// The allocator the Python extension uses, so these figures match the ones from Python
// (with the `python` feature the library itself declares it).
#[cfg(not(feature = "python"))]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const COMPONENTS: usize = 20;

fn component_names() -> Vec<String> {
    (0..COMPONENTS).map(|c| format!("svc-{c}")).collect()
}

fn spec_of(n: usize, var_type: &str, value: impl Fn(usize) -> String) -> Value {
    let per = n / COMPONENTS;
    let services: Vec<Value> = component_names()
        .into_iter()
        .map(|name| {
            let envs: Vec<Value> = (0..per)
                .map(|j| json!({"key": format!("K{j:06}"), "value": value(j), "type": var_type}))
                .collect();
            json!({"name": name, "envs": envs})
        })
        .collect();
    json!({"name": "plan-bench", "services": services})
}

fn desired_of(n: usize, var_type: VarType) -> Desired {
    let mut desired = Desired::new();
    for j in 0..n / COMPONENTS {
        let value = if j % 10 == 0 {
            format!("new{j}")
        } else {
            format!("v{j}")
        };
        desired.insert(
            format!("K{j:06}"),
            DesiredValue::new(value).with_type(var_type),
        );
    }
    desired
}

struct Case {
    /// Shared with each plan, as the engine shares the spec it read.
    spec: Arc<Value>,
    desired: Desired,
    state: Vec<StateRecord>,
    options: SyncOptions,
    fp: Fingerprinter,
}

fn general_case(n: usize) -> Case {
    Case {
        spec: Arc::new(spec_of(n, "GENERAL", |j| format!("v{j}"))),
        desired: desired_of(n, VarType::General),
        state: Vec::new(),
        options: SyncOptions {
            targets: Targets::Components(component_names()),
            ..SyncOptions::default()
        },
        fp: Fingerprinter::new([7; 32]),
    }
}

fn state_case(n: usize) -> Case {
    let fp = Fingerprinter::new([7; 32]);
    let ev = |j: usize| format!("EV[1:abc{j}:ciphertext{j}]");
    let spec = spec_of(n, "SECRET", ev);
    let mut state = Vec::with_capacity(n);
    for target in component_names() {
        for j in 0..n / COMPONENTS {
            state.push(StateRecord {
                app_id: "app".to_owned(),
                target: target.clone(),
                key: format!("K{j:06}"),
                fingerprint: fp.fingerprint(&format!("v{j}")),
                ev: Some(ev(j)),
                var_type: VarType::Secret,
                scope: Scope::RunAndBuildTime,
                origin: Origin::Created,
                updated_at: Utc::now(),
            });
        }
    }
    Case {
        spec: Arc::new(spec),
        desired: desired_of(n, VarType::Secret),
        state,
        options: SyncOptions {
            targets: Targets::Components(component_names()),
            ..SyncOptions::default()
        },
        fp,
    }
}

/// CPU time of the calling thread, in ms: unlike wall time, it leaves out the time other
/// processes on a shared machine hold the CPU.
fn thread_cpu_ms() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid timespec for the call to fill in.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed");
    ts.tv_sec as f64 * 1000.0 + ts.tv_nsec as f64 / 1e6
}

struct Timings {
    wall_median: f64,
    wall_least: f64,
    cpu_median: f64,
    /// Building the spec to PUT from the plan, which applying it does (not in the above).
    build_median: f64,
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

/// Wall and CPU time of `repeats` plans, in ms.
fn timings_ms(case: &Case, repeats: usize) -> Timings {
    let mut times = Vec::with_capacity(repeats);
    let mut cpu = Vec::with_capacity(repeats);
    let mut build = Vec::with_capacity(repeats);
    for _ in 0..repeats {
        let cpu_started = thread_cpu_ms();
        let started = Instant::now();
        let plan = plan_shared(
            Arc::clone(&case.spec),
            &case.desired,
            &case.options,
            &case.state,
            &case.fp,
        )
        .expect("the bench input plans");
        times.push(started.elapsed().as_secs_f64() * 1000.0);
        cpu.push(thread_cpu_ms() - cpu_started);
        let started = Instant::now();
        std::hint::black_box(plan.new_spec());
        build.push(started.elapsed().as_secs_f64() * 1000.0);
        let updates = plan
            .changes()
            .iter()
            .filter(|c| c.action == do_envsync::sync::Action::Update)
            .count();
        assert_eq!(updates, case.spec_size() / 10, "10% of the keys change");
    }
    let wall_least = times.iter().copied().fold(f64::INFINITY, f64::min);
    Timings {
        wall_median: median(times),
        wall_least,
        cpu_median: median(cpu),
        build_median: median(build),
    }
}

impl Case {
    fn spec_size(&self) -> usize {
        self.state.len().max(self.desired.len() * COMPONENTS)
    }
}

fn main() {
    let mut sizes = Vec::new();
    let mut repeats = 15;
    let mut which = "all".to_owned();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--repeats" => repeats = args.next().and_then(|v| v.parse().ok()).unwrap_or(15),
            "--case" => which = args.next().unwrap_or_default(),
            // `cargo bench` passes `--bench`; nothing else is expected.
            "--bench" => {}
            size => sizes.push(size.parse::<usize>().expect("sizes are integers")),
        }
    }
    if sizes.is_empty() {
        sizes = vec![1_000, 10_000, 100_000];
    }
    type Build = fn(usize) -> Case;
    let cases: [(&str, Build); 2] = [("general", general_case), ("state", state_case)];
    for (name, build) in cases {
        if which != "all" && which != name {
            continue;
        }
        let mut per_entry = Vec::new();
        for &n in &sizes {
            let case = build(n);
            let t = timings_ms(&case, repeats);
            per_entry.push(t.cpu_median / n as f64);
            println!(
                "plan {name:8} {n:>7} entries x {COMPONENTS} components: wall {:8.3} ms median, {:8.3} ms least; CPU {:8.3} ms median; spec to PUT built in {:8.3} ms",
                t.wall_median, t.wall_least, t.cpu_median, t.build_median
            );
        }
        let growth: Vec<String> = per_entry
            .windows(2)
            .map(|w| format!("{:.2}", w[1] / w[0]))
            .collect();
        if !growth.is_empty() {
            println!(
                "plan {name:8} growth per size step (1.0 = linear): {}",
                growth.join(", ")
            );
        }
    }
}
