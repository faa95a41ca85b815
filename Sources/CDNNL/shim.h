// oneDNN 2.6 C API (Debian libdnnl-dev) and OpenBLAS's CBLAS (Debian libopenblas-dev).
// Imported by ImpastoTensor only; nothing here is public API.
#include <oneapi/dnnl/dnnl.h>
#include <cblas.h>
