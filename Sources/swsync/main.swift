import SwsyncCLI

#if canImport(Glibc)
import Glibc
#endif

// All output is written and flushed by then (write(2), not stdio). _exit skips the C library's exit
// handlers, which would tear down libssh's state while its I/O thread may still be winding down.
let status = SwsyncCommand.run(Array(CommandLine.arguments.dropFirst()))
fflush(nil)
_exit(status)
