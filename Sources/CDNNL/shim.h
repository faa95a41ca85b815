// oneDNN 2.6 C API (Debian libdnnl-dev), OpenBLAS's CBLAS (Debian libopenblas-dev), and the two entry points of
// libgomp, the OpenMP runtime Debian's oneDNN runs on, through which Impasto's own loops share oneDNN's threads.
// Imported by ImpastoTensor only; nothing here is public API.
#include <oneapi/dnnl/dnnl.h>
#include <cblas.h>

// What GCC emits for `#pragma omp parallel num_threads(n)`: runs fn(data) on a team of n threads, the caller
// being thread 0, and returns when all have finished. Part of libgomp's stable ABI since GCC 4.9.
void GOMP_parallel(void (*fn)(void *), void *data, unsigned num_threads, unsigned flags);
int omp_get_thread_num(void);
int omp_get_num_threads(void);
int omp_get_max_threads(void);
