#include <cblas.h>

// OpenBLAS's own controls of its worker threads (exported by libopenblas, not declared in cblas.h):
// re-reads the OPENBLAS_* environment variables, and stops the workers (the next threaded call
// starts them again with the settings read). BLASRuntime uses them to shorten the time idle
// workers spin before they sleep.
void openblas_read_env(void);
int blas_thread_shutdown_(void);
