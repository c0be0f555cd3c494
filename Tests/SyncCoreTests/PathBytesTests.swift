import Testing
@testable import SyncCore

/// `PathBytes.isChild` is `parent(path) == directory` without making the parent: the same answer for
/// every spelling the generator meets (top-level names, nested ones, trailing and doubled slashes).
struct PathBytesTests {
    @Test(arguments: ["a", "a/b", "a/b/c", "dir/file", "a//b", "a/b/", "/a", "/", ".", "ab/c", "a/bc/d"])
    func isChildAgreesWithParent(_ path: String) {
        let bytes = Array(path.utf8)
        for directory in [".", "a", "a/b", "ab", "a/bc", "/", "dir", ""] {
            let expected = PathBytes.parent(bytes) == Array(directory.utf8)
            #expect(PathBytes.isChild(bytes, of: Array(directory.utf8)) == expected, "\(path) in \(directory)")
        }
    }
}
