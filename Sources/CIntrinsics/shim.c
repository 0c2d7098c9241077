// Intentionally empty: the wrappers are static inline functions in include/banyan_intrinsics.h.
