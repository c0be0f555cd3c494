#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <linux/falloc.h>
#include <sys/stat.h>
#include <unistd.h>
#include "CSyncShims.h"

ssize_t csync_copy_file_range(int fd_in, int fd_out, size_t length) {
    return copy_file_range(fd_in, NULL, fd_out, NULL, length, 0);
}

/// -S: where the next data region or hole starts at or after `offset` (lseek's SEEK_DATA and SEEK_HOLE,
/// which need _GNU_SOURCE); -1 with errno as lseek sets it.
long long csync_seek_data(int fd, long long offset) { return (long long)lseek(fd, (off_t)offset, SEEK_DATA); }
long long csync_seek_hole(int fd, long long offset) { return (long long)lseek(fd, (off_t)offset, SEEK_HOLE); }

/// --preallocate: reserves `length` bytes (fallocate mode 0, which also sets the size).
int csync_preallocate(int fd, long long length) { return fallocate(fd, 0, 0, (off_t)length); }

/// -S over an existing file: frees [offset, offset+length), which then reads as zeros; the size stays.
int csync_punch_hole(int fd, long long offset, long long length) {
    return fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)offset, (off_t)length);
}

long csync_utime_omit(void) { return UTIME_OMIT; }

#include <errno.h>
#include <sys/syscall.h>
#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif

/// Set once the kernel (or a seccomp filter) refuses fchmodat2; then glibc's way is used.
static int fchmodat2_missing = 0;

int csync_fchmodat_nofollow(int directory, const char *name, unsigned int mode) {
    if (!fchmodat2_missing) {
        long result = syscall(SYS_fchmodat2, directory, name, (mode_t)mode, AT_SYMLINK_NOFOLLOW);
        // EPERM too: container runtimes' filters answer unknown calls so; a real EPERM comes again below.
        if (result == 0 || (errno != ENOSYS && errno != EPERM)) return (int)result;
        if (errno == ENOSYS) fchmodat2_missing = 1;
    }
    return fchmodat(directory, name, (mode_t)mode, AT_SYMLINK_NOFOLLOW);
}

int csync_o_noatime(void) { return O_NOATIME; }

int csync_o_path(void) { return O_PATH; }

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

int csync_open_beneath_following(int root, const char *path, int flags) {
    struct open_how how;
    memset(&how, 0, sizeof how);
    how.flags = (unsigned long long)(flags | O_CLOEXEC);
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
    long descriptor;
    do {
        descriptor = syscall(SYS_openat2, root, path, &how, sizeof how);
    } while (descriptor < 0 && (errno == EINTR || errno == EAGAIN));
    return (int)descriptor;
}

#include <limits.h>
#include <stdlib.h>

/// Appends "/name" to the logical path `logical` (of `capacity` bytes); 0, or -1 with ENAMETOOLONG.
static int logical_append(char *logical, size_t capacity, const char *name) {
    size_t length = strlen(logical);
    size_t extra = strlen(name) + (length > 1 ? 1 : 0);
    if (length + extra + 1 > capacity) { errno = ENAMETOOLONG; return -1; }
    if (length > 1) logical[length++] = '/';
    strcpy(logical + length, name);
    return 0;
}

static void logical_pop(char *logical) {
    char *slash = strrchr(logical, '/');
    if (slash == logical) logical[1] = '\0';
    else if (slash) *slash = '\0';
}

/// Whether the logical path lies within `confine` (an absolute path without a trailing slash, or "/").
static int within(const char *logical, const char *confine) {
    size_t length = strlen(confine);
    if (length == 1 && confine[0] == '/') return 1;
    return strncmp(logical, confine, length) == 0 && (logical[length] == '\0' || logical[length] == '/');
}

/// After an O_NOFOLLOW open of `name` failed with `error` although it was no symlink when examined:
/// when it is one now, somebody swapped it meanwhile (*refused = 3, ELOOP); otherwise `error`.
static int swapped_meanwhile(int directory, const char *name, int error, int *refused) {
    struct stat info;
    if ((error == ELOOP || error == ENOTDIR) && fstatat(directory, name, &info, AT_SYMLINK_NOFOLLOW) == 0 &&
        S_ISLNK(info.st_mode)) {
        *refused = 3;
        return ELOOP;
    }
    return error;
}

int csync_open_trusted(const char *path, int flags, unsigned mode, const char *confine, char *resolved,
                       size_t resolved_size, int *refused) {
    char rest[2 * PATH_MAX + 2], logical[PATH_MAX + 1], target[PATH_MAX + 1], component[NAME_MAX + 2];
    uid_t euid = geteuid();
    int expansions = 0;
    *refused = 0;
    if (strlen(path) >= sizeof rest / 2) { errno = ENAMETOOLONG; return -1; }
    strcpy(rest, path);
    int current;
    if (rest[0] == '/') {
        current = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        strcpy(logical, "/");
    } else {
        current = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (!getcwd(logical, sizeof logical)) { if (current >= 0) close(current); return -1; }
    }
    if (current < 0) return -1;
    size_t offset = 0;
    for (;;) {
        while (rest[offset] == '/') offset++;
        if (rest[offset] == '\0') {
            // Nothing left to name ("/", ".", "a/.."): the directory reached itself.
            if (confine && !within(logical, confine)) { close(current); errno = ELOOP; *refused = 2; return -1; }
            int descriptor = openat(current, ".", (flags & ~(O_CREAT | O_EXCL)) | O_CLOEXEC);
            int saved = errno;
            close(current);
            errno = saved;
            if (descriptor >= 0 && resolved) snprintf(resolved, resolved_size, "%s", logical);
            return descriptor;
        }
        size_t length = strcspn(rest + offset, "/");
        if (length > NAME_MAX) { close(current); errno = ENAMETOOLONG; return -1; }
        memcpy(component, rest + offset, length);
        component[length] = '\0';
        offset += length;
        size_t after = offset;
        while (rest[after] == '/') after++;
        int last = rest[after] == '\0';
        int trailing_slash = last && after > offset;
        if (strcmp(component, ".") == 0) continue;
        if (strcmp(component, "..") == 0) {
            int parent = openat(current, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
            close(current);
            if (parent < 0) return -1;
            current = parent;
            logical_pop(logical);
            continue;
        }
        struct stat info;
        if (fstatat(current, component, &info, AT_SYMLINK_NOFOLLOW) != 0) {
            int saved = errno;
            if (saved == ENOENT && last && (flags & O_CREAT)) {
                if (logical_append(logical, sizeof logical, component) != 0 ||
                    (confine && !within(logical, confine))) {
                    if (errno != ENAMETOOLONG) { errno = ELOOP; *refused = 2; }
                    saved = errno;
                    close(current);
                    errno = saved;
                    return -1;
                }
                int descriptor = openat(current, component, flags | O_NOFOLLOW | O_CLOEXEC, mode);
                saved = errno;
                close(current);
                errno = saved;
                if (descriptor >= 0 && resolved) snprintf(resolved, resolved_size, "%s", logical);
                return descriptor;
            }
            close(current);
            errno = saved;
            return -1;
        }
        if (S_ISLNK(info.st_mode)) {
            // The link itself, opened so that its owner and its target are read from the same inode.
            int link = openat(current, component, O_PATH | O_NOFOLLOW | O_CLOEXEC);
            if (link < 0 || fstat(link, &info) != 0) { int saved = errno; if (link >= 0) close(link); close(current); errno = saved; return -1; }
            if (!S_ISLNK(info.st_mode) || (info.st_uid != 0 && info.st_uid != euid) || ++expansions > 40) {
                if (S_ISLNK(info.st_mode) && expansions <= 40) *refused = 1;
                close(link);
                close(current);
                errno = ELOOP;
                return -1;
            }
            ssize_t count = readlinkat(link, "", target, sizeof target - 1);
            int saved = errno;
            close(link);
            if (count < 0) { close(current); errno = saved; return -1; }
            target[count] = '\0';
            // The target takes the link's place in what is left to walk.
            char remainder[2 * PATH_MAX + 2];
            snprintf(remainder, sizeof remainder, "%s", rest + offset);
            if ((size_t)count + strlen(remainder) + 2 > sizeof rest) { close(current); errno = ENAMETOOLONG; return -1; }
            snprintf(rest, sizeof rest, "%s%s", target, remainder);
            offset = 0;
            if (target[0] == '/') {
                close(current);
                current = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (current < 0) return -1;
                strcpy(logical, "/");
            }
            continue;
        }
        if (logical_append(logical, sizeof logical, component) != 0) { close(current); return -1; }
        if (last) {
            if (confine && !within(logical, confine)) { close(current); errno = ELOOP; *refused = 2; return -1; }
            int extra = trailing_slash ? O_DIRECTORY : 0;
            int descriptor = openat(current, component, flags | extra | O_NOFOLLOW | O_CLOEXEC, mode);
            int saved = errno;
            if (descriptor < 0) saved = swapped_meanwhile(current, component, saved, refused);
            close(current);
            errno = saved;
            if (descriptor >= 0 && resolved) snprintf(resolved, resolved_size, "%s", logical);
            return descriptor;
        }
        int next = openat(current, component, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        int saved = errno;
        if (next < 0) saved = swapped_meanwhile(current, component, saved, refused);
        close(current);
        if (next < 0) { errno = saved; return -1; }
        current = next;
    }
}

#include <stdint.h>
#include <sys/prctl.h>

#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#define SYS_landlock_add_rule 445
#define SYS_landlock_restrict_self 446
#endif

/// The kernel's Landlock ABI (ours, not the headers', which may be older than the kernel).
struct csync_ruleset_attr { uint64_t handled_access_fs; };
struct csync_path_beneath_attr { uint64_t allowed_access; int32_t parent_fd; } __attribute__((packed));
enum {
    csync_fs_execute = 1 << 0, csync_fs_write_file = 1 << 1, csync_fs_read_file = 1 << 2,
    csync_fs_read_dir = 1 << 3, csync_fs_remove_file = 1 << 5, csync_fs_refer = 1 << 13, csync_fs_truncate = 1 << 14,
    csync_fs_ioctl_dev = 1 << 15,
};

int csync_landlock_abi(void) {
    return (int)syscall(SYS_landlock_create_ruleset, NULL, 0, 1 /* LANDLOCK_CREATE_RULESET_VERSION */);
}

int csync_landlock_restrict(const char *const *paths, const int *writable, int count, int *failed_index) {
    *failed_index = -1;
    int abi = csync_landlock_abi();
    if (abi < 1) return -1;
    uint64_t handled = (1ULL << 13) - 1;  // ABI 1: execute ... make_sym
    if (abi >= 2) handled |= csync_fs_refer;
    if (abi >= 3) handled |= csync_fs_truncate;
    if (abi >= 5) handled |= csync_fs_ioctl_dev;
    uint64_t file_rights = csync_fs_execute | csync_fs_write_file | csync_fs_read_file | csync_fs_truncate |
                           csync_fs_ioctl_dev;
    struct csync_ruleset_attr attr = { handled };
    int ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof attr, 0);
    if (ruleset < 0) return -1;
    for (int index = 0; index < count; index++) {
        int descriptor = open(paths[index], O_PATH | O_CLOEXEC);
        if (descriptor < 0) continue;  // not there: nothing to allow
        struct stat info;
        // Read-only still lets a file be hard-linked out (REFER): --link-dest links from its reference.
        // Level 2 is read-only plus removing files (--remove-source-files), level 1 everything but execute.
        uint64_t read_only = csync_fs_read_file | csync_fs_read_dir | csync_fs_refer;
        uint64_t allowed = writable[index] == 1 ? (handled & ~(uint64_t)csync_fs_execute)
                         : writable[index] == 2 ? (read_only | csync_fs_remove_file) : read_only;
        if (fstat(descriptor, &info) == 0 && !S_ISDIR(info.st_mode)) allowed &= file_rights;
        struct csync_path_beneath_attr rule = { allowed & handled, descriptor };
        long added = syscall(SYS_landlock_add_rule, ruleset, 1 /* LANDLOCK_RULE_PATH_BENEATH */, &rule, 0);
        int saved = errno;
        close(descriptor);
        if (added < 0) { close(ruleset); *failed_index = index; errno = saved; return -1; }
    }
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
        syscall(SYS_landlock_restrict_self, ruleset, 0) != 0) {
        int saved = errno;
        close(ruleset);
        errno = saved;
        return -1;
    }
    close(ruleset);
    return abi;
}

int csync_available_cpus(void) {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) {
        int count = CPU_COUNT(&set);
        if (count > 0) return count;
    }
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    return online > 0 ? (int)online : 1;
}

int csync_storage_of(const char *path, long long *type, unsigned int *major_number, unsigned int *minor_number) {
    struct statfs file_system;
    struct stat status;
    if (statfs(path, &file_system) != 0 || stat(path, &status) != 0) return -1;
    *type = (long long)file_system.f_type;
    *major_number = major(status.st_dev);
    *minor_number = minor(status.st_dev);
    return 0;
}
