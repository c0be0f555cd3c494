/// rsync's built-in `-C` (`--cvs-exclude`) list (`default_cvsignore` in rsync `exclude.c`, man rsync).
enum CVSIgnore {
    static let defaultList: [UInt8] = Array(
        ("RCS SCCS CVS CVS.adm RCSLOG cvslog.* tags TAGS .make.state .nse_depinfo *~ #* .#* ,* _$* *$ *.old *.bak"
            + " *.BAK *.orig *.rej .del-* *.a *.olb *.o *.obj *.so *.exe *.Z *.elc *.ln core .svn/ .git/ .hg/ .bzr/")
            .utf8)
}
