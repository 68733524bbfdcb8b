// Debian's libopenblas-dev puts cblas.h under the selected flavour's include directory,
// which pkg-config (openblas.pc) adds to the search path.
#include <cblas.h>
// openblas_set_num_threads / openblas_get_num_threads
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
