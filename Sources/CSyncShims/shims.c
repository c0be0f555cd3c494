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

#include <errno.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/syscall.h>

/// Set once openat2 has answered ENOSYS (a kernel before 5.6), or by a test, to use the walk.
static int openat2_missing = 0;

void csync_disable_openat2(int disabled) { openat2_missing = disabled; }

/// The fallback for kernels without openat2: one component at a time, each directory opened with
/// O_NOFOLLOW | O_DIRECTORY relative to the one before, the last one with O_NOFOLLOW. "..", an absolute
/// path and a symlink anywhere fail as openat2 fails them (EXDEV, EXDEV, ELOOP).
static int open_walking(int root, const char *path, int flags) {
    if (path[0] == '/') { errno = EXDEV; return -1; }
    char component[4096];
    int current = root;
    const char *cursor = path;
    for (;;) {
        while (*cursor == '/') cursor++;
        const char *end = strchr(cursor, '/');
        size_t length = end ? (size_t)(end - cursor) : strlen(cursor);
        const char *after = cursor + length;
        while (*after == '/') after++;
        int last = *after == '\0';
        if (length >= sizeof component) { if (current != root) close(current); errno = ENAMETOOLONG; return -1; }
        memcpy(component, cursor, length);
        component[length] = '\0';
        if (length == 2 && component[0] == '.' && component[1] == '.') {
            if (current != root) close(current);
            errno = EXDEV;
            return -1;
        }
        if (length == 0) strcpy(component, ".");
        int next;
        do {
            next = last ? openat(current, component, flags | O_NOFOLLOW | O_CLOEXEC, 0)
                        : openat(current, component, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        } while (next < 0 && errno == EINTR);
        if (next < 0 && !last && errno == ENOTDIR) {
            // A symlink where a directory was: ELOOP, as openat2 says.
            struct stat info;
            if (fstatat(current, component, &info, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(info.st_mode)) errno = ELOOP;
        }
        int saved = errno;
        if (current != root) close(current);
        errno = saved;
        if (next < 0 || last) return next;
        current = next;
        cursor = after;
    }
}

int csync_open_beneath(int root, const char *path, int flags) {
    if (!openat2_missing) {
        struct open_how how;
        memset(&how, 0, sizeof how);
        how.flags = (unsigned long long)(flags | O_CLOEXEC);
        how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
        long descriptor;
        do {
            descriptor = syscall(SYS_openat2, root, path, &how, sizeof how);
        } while (descriptor < 0 && (errno == EINTR || errno == EAGAIN));
        if (descriptor >= 0 || errno != ENOSYS) return (int)descriptor;
        openat2_missing = 1;
    }
    return open_walking(root, path, flags);
}
