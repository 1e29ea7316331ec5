#include "CBrokerSupport.h"
#include <stdlib.h> /* defines __GLIBC__ (stddef.h alone does not), so the checks below see it */
#if defined(__GLIBC__)
#include <malloc.h>
#endif

size_t switchboard_heap_bytes_in_use(void) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
    struct mallinfo2 info = mallinfo2();
    return info.uordblks + info.hblkhd;
#else
    return 0;
#endif
}

int switchboard_heap_trim(void) {
#if defined(__GLIBC__)
    return malloc_trim(0);
#else
    return 0;
#endif
}
