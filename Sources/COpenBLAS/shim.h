#ifndef COPENBLAS_SHIM_H
#define COPENBLAS_SHIM_H
// Debian: resolves to openblas-pthread/cblas.h through pkg-config's -I.
#include <cblas.h>
#endif
