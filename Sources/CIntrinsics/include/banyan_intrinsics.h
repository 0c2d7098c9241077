// One-line wrappers of the x86 intrinsics that clang's headers define as function-like macros, which
// Swift cannot import (vpdpbusd). Nothing but wrappers lives here: the kernels stay in Swift. Each wrapper
// exists only when Package.swift saw the instruction set on the build host (BANYAN_VNNI512 or
// BANYAN_AVXVNNI), and always inlines, so a Swift kernel compiled for that host gets the bare instruction.
#pragma once
#if defined(__x86_64__)
/// Asks for the cache line at `p` before it is read (prefetcht0). A hint: it never faults, even past the end
/// of a mapping.
static inline __attribute__((always_inline)) void banyan_prefetch(const void *p) { __builtin_prefetch(p, 0, 3); }
#endif
#if defined(__x86_64__) && (defined(BANYAN_VNNI512) || defined(BANYAN_AVXVNNI))
#include <immintrin.h>

#if defined(BANYAN_VNNI512)
/// acc + Σ(4 adjacent u8·s8 products) per 32-bit lane (AVX512-VNNI, 256-bit form).
static inline __attribute__((always_inline, target("avx512vnni,avx512vl")))
__m256i banyan_dpbusd(__m256i acc, __m256i u8, __m256i s8) { return _mm256_dpbusd_epi32(acc, u8, s8); }
#else
/// acc + Σ(4 adjacent u8·s8 products) per 32-bit lane (AVX-VNNI).
static inline __attribute__((always_inline, target("avxvnni")))
__m256i banyan_dpbusd(__m256i acc, __m256i u8, __m256i s8) { return _mm256_dpbusd_avx_epi32(acc, u8, s8); }
#endif
#endif
