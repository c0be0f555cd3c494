#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include "CSyncShims.h"

ssize_t csync_copy_file_range(int fd_in, int fd_out, size_t length) {
    return copy_file_range(fd_in, NULL, fd_out, NULL, length, 0);
}

long csync_utime_omit(void) { return UTIME_OMIT; }

int csync_o_noatime(void) { return O_NOATIME; }

#include <malloc.h>

void csync_keep_large_allocations(void) {
    mallopt(M_MMAP_THRESHOLD, 64 << 20);
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
}
