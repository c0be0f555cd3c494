import CSyncShims
import SwsyncCLI

#if canImport(Glibc)
import Glibc
#endif

// All output is written and flushed by then (write(2), not stdio). _exit skips the C library's exit
// handlers, which would tear down libssh's state while its I/O thread may still be winding down.
// Frames, file buffers and delta pieces are a few hundred KiB each and come and go all run long: keep
// them in the heap instead of an mmap and munmap (and fresh zeroed pages) for every one.
csync_keep_large_allocations()
// Directory handles travel with queued writes (up to a remote run's 1024 requests in flight, plus the
// lister's queued listings): allow as many open descriptors as the hard limit does.
var openFiles = rlimit()
if getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &openFiles) == 0 && openFiles.rlim_cur < openFiles.rlim_max {
    openFiles.rlim_cur = openFiles.rlim_max
    _ = setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &openFiles)
}
let status = SwsyncCommand.run(Array(CommandLine.arguments.dropFirst()))
fflush(nil)
_exit(status)
