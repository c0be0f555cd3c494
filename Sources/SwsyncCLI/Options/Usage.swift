/// `--help`, `--version` and the short usage text.
enum Usage {
    static let shortUsage = """
        Usage: swsync [OPTION]... SRC [SRC]... DEST
          or   swsync [OPTION]... SRC [SRC]... [USER@]HOST:DEST
          or   swsync [OPTION]... [USER@]HOST:SRC [DEST]
          or   swsync [OPTION]... SRC
        Try "swsync --help" for more information.

        """

    static func versionText(_ version: String) -> String {
        """
        swsync  version \(version)  protocol version 32
        (rsync 3.5's command line and output; local, or over SSH to swsync --server in its own protocol)
        Capabilities:
            filter rules (rsync's language, plus --match-full-path), delta transfer, --bwlimit,
            built-in SSH client (libssh), -e remote shells, xattrs, ACLs
        Checksum list:
            xxh128 xxh3 xxh64
        Compress list:
            zstd zlib none
        swsync comes with ABSOLUTELY NO WARRANTY.

        """
    }

    static let help = """
        swsync is an rsync-compatible file copying tool: same options, same output, same exit codes.

        Usage: swsync [OPTION]... SRC [SRC]... DEST
          or   swsync [OPTION]... SRC [SRC]... [USER@]HOST:DEST      (push)
          or   swsync [OPTION]... [USER@]HOST:SRC [DEST]             (pull)
          or   swsync [OPTION]... SRC          (list the source, like --list-only)

        Options
        --verbose, -v            increase verbosity
        --info=FLAGS             fine-grained informational verbosity
        --debug=FLAGS            fine-grained debug verbosity
        --quiet, -q              suppress non-error messages
        --checksum, -c           skip based on checksum, not mod-time & size
        --archive, -a            archive mode is -rlptgoD (no -A,-X,-U,-N,-H)
        --no-OPTION              turn off an implied OPTION (e.g. --no-D)
        --recursive, -r          recurse into directories
        --relative, -R           use relative path names
        --no-implied-dirs        don't send implied directories with --relative
        --backup, -b             make backups (see --suffix & --backup-dir)
        --backup-dir=DIR         make backups into hierarchy based in DIR
        --suffix=SUFFIX          backup suffix (default ~ w/o --backup-dir)
        --update, -u             skip files that are newer on the receiver
        --inplace                update destination files in-place
        --sparse, -S             turn sequences of nulls into sparse blocks
        --preallocate            allocate dest files before writing them
        --fsync                  fsync every written file
        --append                 append data onto shorter files
        --append-verify          --append w/old data in file checksum
        --dirs, -d               transfer directories without recursing
        --old-dirs, --old-d      works like --dirs when talking to old rsync
        --mkpath                 create destination's missing path components
        --links, -l              copy symlinks as symlinks
        --copy-links, -L         transform symlink into referent file/dir
        --copy-unsafe-links      only "unsafe" symlinks are transformed
        --safe-links             ignore symlinks that point outside the tree
        --munge-links            munge symlinks to make them safe & unusable
        --copy-dirlinks, -k      transform symlink to dir into referent dir
        --keep-dirlinks, -K      treat symlinked dir on receiver as dir
        --hard-links, -H         preserve hard links
        --perms, -p              preserve permissions
        --executability, -E      preserve executability
        --acls, -A               preserve ACLs (implies --perms)
        --xattrs, -X             preserve extended attributes
        --chmod=CHMOD            affect file and/or directory permissions
        --owner, -o              preserve owner (super-user only)
        --group, -g              preserve group
        --devices                preserve device files (super-user only)
        --copy-devices           copy device contents as a regular file
        --write-devices          write to devices as files (implies --inplace)
        --specials               preserve special files
        --drop-D                 receiver refuses to create devices/specials
        -D                       same as --devices --specials
        --times, -t              preserve modification times
        --omit-dir-times, -O     omit directories from --times
        --omit-link-times, -J    omit symlinks from --times
        --atimes, -U             preserve access (use) times
        --super                  receiver attempts super-user activities
        --fake-super             store/recover privileged attrs using xattrs
        --copy-as=USER[:GROUP]   specify user & optional group for the copy
        --dry-run, -n            perform a trial run with no changes made
        --whole-file, -W         copy files whole (the default for local copies)
        --no-whole-file          send only the changed blocks (delta transfer)
        --fuzzy, -y              find similar file for basis if no dest file
        --block-size=SIZE, -B    force a fixed checksum block-size
        --checksum-choice=STR    choose the checksum algorithm (xxh128, xxh3, xxh64)
        --compress, -z           compress file data during the transfer (remote only)
        --rsh=COMMAND, -e        the remote shell to use (default: the built-in SSH client)
        --rsync-path=PROGRAM     the program to run on the remote machine (default: swsync)
        --remote-option=OPT, -M  send OPTION to the remote side only
        --iconv=CONVERT_SPEC     request charset conversion of filenames (LOCAL,REMOTE; "-": none)
        --no-iconv               no charset conversion (overrides RSYNC_ICONV)
        --ipv4, -4               prefer IPv4
        --ipv6, -6               prefer IPv6
        --blocking-io            accepted; swsync's transports manage their pipes
        --timeout=SECONDS        set I/O timeout in seconds
        --contimeout=SECONDS     set the connection timeout in seconds
        --stop-after=MINS        Stop rsync after MINS minutes have elapsed
        --stop-at=y-m-dTh:m      Stop rsync at the specified point in time
        --compress-choice=STR    choose the compression algorithm (zstd, zlib)
        --compress-level=NUM     explicitly set compression level
        --skip-compress=LIST     skip compressing files with suffix in LIST
        --bwlimit=RATE           limit the data rate (KiB/s, or with a K/M/G suffix)
        --jobs=N                 threads per role for lookups and writes (default: by cores and storage)
                                 (swsync extension; see Docs/scale.md)
        --write-batch=FILE       write a batched update to FILE
        --only-write-batch=FILE  like --write-batch but w/o updating dest
        --read-batch=FILE        read a batched update from FILE
        --one-file-system, -x    don't cross filesystem boundaries
        --prune-empty-dirs, -m   prune empty directory chains from file-list
        --remove-source-files    sender removes synchronized files (non-dir)
        --existing               skip creating new files on receiver
        --ignore-missing-args    ignore missing source args without error
        --delete-missing-args    delete missing source args from destination
        --ignore-existing        skip updating files that exist on receiver
        --del                    an alias for --delete-during
        --delete                 delete extraneous files from dest dirs
        --delete-before          receiver deletes before xfer, not during
        --delete-during          receiver deletes during the transfer
        --delete-delay           find deletions during, delete after
        --delete-after           receiver deletes after transfer, not during
        --ignore-errors          delete even if there are I/O errors
        --force                  force deletion of dirs even if not empty
        --max-delete=NUM         don't delete more than NUM files
        --max-size=SIZE          don't transfer any file larger than SIZE
        --min-size=SIZE          don't transfer any file smaller than SIZE
        --partial                keep partially transferred files
        --partial-dir=DIR        put a partially transferred file into DIR
        --delay-updates          put all updated files into place at end
        --numeric-ids            don't map uid/gid values by user/group name
        --usermap=STRING         custom username mapping
        --groupmap=STRING        custom groupname mapping
        --chown=USER:GROUP       simple username/groupname mapping
        --ignore-times, -I       don't skip files that match size and time
        --size-only              skip files that match in size
        --modify-window=NUM, -@  set the accuracy for mod-time comparisons
        --temp-dir=DIR, -T       create temporary files in directory DIR
        --insecure-links         follow attacker-owned symlinks in operator paths
        --confine-root=DIR       refuse operator paths resolving outside DIR
        --no-landlock            a server does not confine itself with Landlock
        --compare-dest=DIR       also compare destination files relative to DIR
        --copy-dest=DIR          ... and include copies of unchanged files
        --link-dest=DIR          hardlink to files in DIR when unchanged
        --cvs-exclude, -C        auto-ignore files in the same way CVS does
        --filter=RULE, -f        add a file-filtering RULE
        -F                       same as --filter='dir-merge /.rsync-filter'
                                 repeated: --filter='- .rsync-filter'
        --exclude=PATTERN        exclude files matching PATTERN
        --exclude-from=FILE      read exclude patterns from FILE
        --include=PATTERN        don't exclude files matching PATTERN
        --include-from=FILE      read include patterns from FILE
        --files-from=FILE        read list of source-file names from FILE
        --from0, -0              all *-from/filter files are delimited by 0s
        --delete-excluded        also delete excluded files from dest dirs
        --match-full-path        rules match whole paths, no directory pruning
                                 (swsync extension; see Docs/filters.md)
        --shard=K/N              do part K of N of the top-level entries (N runs
                                 together are one; swsync extension; Docs/scale.md)
        --stats                  give some file-transfer stats
        --8-bit-output, -8       leave high-bit chars unescaped in output
        --human-readable, -h     output numbers in a human-readable format
        --progress               show progress during transfer
        -P                       same as --partial --progress
        --itemize-changes, -i    output a change-summary for all updates
        --out-format=FORMAT      output updates using the specified FORMAT
        --log-file=FILE          log what we're doing to the specified FILE
        --log-file-format=FMT    log updates using the specified FMT
        --list-only              list the files instead of copying them
        --version, -V            print the version + other info and exit
        --help, -h (*)           show this help (* -h is help only on its own)

        Exit values are rsync's (see swsync(1), EXIT VALUES).

        """
}
