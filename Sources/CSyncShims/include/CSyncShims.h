#ifndef CSYNCSHIMS_H
#define CSYNCSHIMS_H
#include <stddef.h>
#include <sys/types.h>
#include <sys/xattr.h>

/// Glibc declares these only with _GNU_SOURCE, which Swift's Glibc module does not set.
ssize_t csync_copy_file_range(int fd_in, int fd_out, size_t length);
long long csync_seek_data(int fd, long long offset);
long long csync_seek_hole(int fd, long long offset);
int csync_preallocate(int fd, long long length);
int csync_punch_hole(int fd, long long offset, long long length);
long csync_utime_omit(void);

/// fchmodat(AT_SYMLINK_NOFOLLOW) in one call where the kernel has fchmodat2 (Linux 6.6): glibc 2.36 does
/// the flag with an O_PATH open, an fstat, a chmod through /proc and a close, for every file written.
/// 0, or -1 with errno (EOPNOTSUPP for a symlink, as glibc's).
int csync_fchmodat_nofollow(int directory, const char *name, unsigned int mode);
int csync_o_noatime(void);
/// The CPUs this process may run on (its affinity mask: taskset, a cgroup's cpuset); at least 1.
int csync_available_cpus(void);
/// The file system type (statfs f_type) of `path` and the major and minor numbers of the device it is
/// on (stat st_dev); 0, or -1 with errno.
int csync_storage_of(const char *path, long long *type, unsigned int *major, unsigned int *minor);
/// O_PATH: a descriptor that names an inode without opening it for I/O (-X on devices, unreadable files).
int csync_o_path(void);
/// mallopt: large buffers stay in the heap (no mmap/munmap and fresh zeroed pages per frame).
void csync_keep_large_allocations(void);
/// Opens `path`, relative to the directory `root`, without leaving it and without following a symlink
/// in any component: openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS), or on a
/// kernel without openat2 a component-by-component O_NOFOLLOW walk. -1 and errno as openat2 (ELOOP for
/// a symlink, EXDEV for "..", an absolute path or an escape).
int csync_open_beneath(int root, const char *path, int flags);
/// openat2 with RESOLVE_BENEATH alone: symlinks on the way are followed while they stay below `root`;
/// -1 with ENOSYS where the kernel has no openat2.
int csync_open_beneath_following(int root, const char *path, int flags);
/// Tests: nonzero makes csync_open_beneath use the walk, as on a kernel without openat2.
void csync_disable_openat2(int disabled);
/// Opens an operator path (a destination root, --temp-dir, a rules file...) under rsync's rule for
/// symlinks: each component is examined without following it, and a symlink is followed only when owned
/// by root or the effective user (its target spliced in, at most 40 times); with `confine` (absolute, no
/// trailing slash) the path reached must lie within it. `resolved` gets the path reached, its links
/// resolved. -1 and errno on failure; ELOOP with *refused = 1 for an untrusted link, 2 for a path
/// outside `confine`, 3 for a component swapped for a symlink while it was walked.
int csync_open_trusted(const char *path, int flags, unsigned mode, const char *confine, char *resolved,
                       size_t resolved_size, int *refused);
/// The kernel's Landlock ABI version, or -1 (ENOSYS, EOPNOTSUPP: no Landlock).
int csync_landlock_abi(void);
/// Restricts this process, for good, to `count` paths: read-only, or read-write where `writable[i]`
/// (everything but execute). A missing path is skipped. Returns the ABI used, or -1 with errno
/// (`*failed_index` names a path whose rule the kernel refused).
int csync_landlock_restrict(const char *const *paths, const int *writable, int count, int *failed_index);
#endif
