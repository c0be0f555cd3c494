import SwsyncCLI

#if canImport(Glibc)
import Glibc
#endif

exit(SwsyncCommand.run(Array(CommandLine.arguments.dropFirst())))
