#ifndef CSYNCSHIMS_H
#define CSYNCSHIMS_H
#include <stddef.h>
#include <sys/types.h>

/// Glibc declares these only with _GNU_SOURCE, which Swift's Glibc module does not set.
ssize_t csync_copy_file_range(int fd_in, int fd_out, size_t length);
long csync_utime_omit(void);
int csync_o_noatime(void);
/// mallopt: large buffers stay in the heap (no mmap/munmap and fresh zeroed pages per frame).
void csync_keep_large_allocations(void);
#endif
