#ifndef CBROKERSUPPORT_H
#define CBROKERSUPPORT_H
#include <stddef.h>

/// Bytes the C allocator has handed out and not yet taken back (glibc's mallinfo2), or 0 where
/// the platform cannot tell.
size_t switchboard_heap_bytes_in_use(void);

#endif
