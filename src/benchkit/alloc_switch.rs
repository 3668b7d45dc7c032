//! A global allocator chosen at run time, for comparing allocators with one build (features
//! `jemalloc` and `mimalloc` both on): `BENCH_ALLOCATOR=system|jemalloc|mimalloc`
//! (default `system`), read on the first allocation. Every variant pays the same one
//! predictable branch per call, so the comparison between them stays fair; the binaries a
//! user builds use [`global_allocator!`](crate::global_allocator) instead, with no switch.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU8, Ordering};

/// The environment variable naming the allocator.
pub const VAR: &str = "BENCH_ALLOCATOR";

const UNSET: u8 = 0;
const SYSTEM: u8 = 1;
const JEMALLOC: u8 = 2;
const MIMALLOC: u8 = 3;

static CHOICE: AtomicU8 = AtomicU8::new(UNSET);

/// Reads the choice without allocating (`getenv` on a static name).
fn choose() -> u8 {
    let name = c"BENCH_ALLOCATOR";
    // SAFETY: `getenv` on a valid NUL-terminated name; the result is only read, as a C
    // string, before any other thread can change the environment of this benchmark binary.
    let value = unsafe { libc::getenv(name.as_ptr()) };
    if value.is_null() {
        return SYSTEM;
    }
    // SAFETY: a non-null `getenv` result is a NUL-terminated string.
    let value = unsafe { std::ffi::CStr::from_ptr(value) };
    match value.to_bytes() {
        b"jemalloc" => JEMALLOC,
        b"mimalloc" => MIMALLOC,
        _ => SYSTEM,
    }
}

#[inline]
fn choice() -> u8 {
    match CHOICE.load(Ordering::Relaxed) {
        UNSET => {
            let c = choose();
            CHOICE.store(c, Ordering::Relaxed);
            c
        }
        c => c,
    }
}

/// The allocator in use (`"system"`, `"jemalloc"` or `"mimalloc"`).
pub fn name() -> &'static str {
    match choice() {
        JEMALLOC => "jemalloc",
        MIMALLOC => "mimalloc",
        _ => "system",
    }
}

/// The switching allocator; see the [module docs](self).
#[derive(Debug, Clone, Copy, Default)]
pub struct Switch;

// SAFETY: every call is forwarded to the one allocator chosen before the first allocation
// (the choice never changes afterwards), so each block is freed by the allocator that
// allocated it.
unsafe impl GlobalAlloc for Switch {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees.
        unsafe {
            match choice() {
                JEMALLOC => tikv_jemallocator::Jemalloc.alloc(layout),
                MIMALLOC => mimalloc::MiMalloc.alloc(layout),
                _ => System.alloc(layout),
            }
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees.
        unsafe {
            match choice() {
                JEMALLOC => tikv_jemallocator::Jemalloc.alloc_zeroed(layout),
                MIMALLOC => mimalloc::MiMalloc.alloc_zeroed(layout),
                _ => System.alloc_zeroed(layout),
            }
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded with the caller's guarantees, to the allocator that made `ptr`.
        unsafe {
            match choice() {
                JEMALLOC => tikv_jemallocator::Jemalloc.dealloc(ptr, layout),
                MIMALLOC => mimalloc::MiMalloc.dealloc(ptr, layout),
                _ => System.dealloc(ptr, layout),
            }
        }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees, to the allocator that made `ptr`.
        unsafe {
            match choice() {
                JEMALLOC => tikv_jemallocator::Jemalloc.realloc(ptr, layout, new_size),
                MIMALLOC => mimalloc::MiMalloc.realloc(ptr, layout, new_size),
                _ => System.realloc(ptr, layout, new_size),
            }
        }
    }
}
