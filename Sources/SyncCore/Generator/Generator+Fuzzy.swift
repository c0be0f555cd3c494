/// `-y/--fuzzy`: the generator's side of `FuzzyBasis`. The candidates of a destination directory are
/// listed (through its open handle) when its first new file needs them, and a file the run is replacing
/// there is no longer one (rsync's rule: a changing file is no basis).
extension Generator {
    /// A basis for `entry`, which the destination lacks.
    func fuzzyBasis(for entry: FileEntry) -> DeltaBasis? {
        guard options.fuzzy > 0 else { return nil }
        let directory = PathBytes.parent(entry.name)
        if fuzzyCandidates?.directory != directory {
            fuzzyCandidates = (directory, listFuzzyCandidates(in: directory))
        }
        var lists = fuzzyCandidates!.lists
        if !lists.isEmpty { lists[0].removeAll { fuzzyChanging.contains($0.name) } }
        guard let chosen = FuzzyBasis.choose(for: PathBytes.lastComponent(entry.name), size: entry.status.size,
            mtime: entry.status.mtime, modifyWindow: options.modifyWindow, in: lists)
        else { return nil }
        if options.debugFuzzy > 0 {
            observer.info("fuzzy basis selected for \(OutputEscaper.escape(entry.name, highBytes: options.highBytes)): \(OutputEscaper.escape(chosen.shownName, highBytes: options.highBytes))")
        }
        return DeltaBasis(path: chosen.path, location: chosen.location)
    }

    /// A destination file about to be replaced: not a fuzzy basis for the files after it.
    func fuzzyNoteChanging(_ entry: FileEntry) {
        guard options.fuzzy > 0, fuzzyCandidates?.directory == PathBytes.parent(entry.name) else { return }
        fuzzyChanging.insert(PathBytes.lastComponent(entry.name))
    }

    /// The regular, non-empty files of the destination directory `directory` (the one being walked),
    /// and with `-yy` of the same directory in each reference directory, each list in name order.
    private func listFuzzyCandidates(in directory: [UInt8]) -> [[FuzzyBasis.Candidate]] {
        fuzzyChanging = []
        // Each place: its path, the name its files are shown under (`--debug=FUZZY`), and its handle.
        var places: [(path: [UInt8], shown: [UInt8], handle: any DirectoryHandle)] = []
        let shown = directory == PathBytes.dot ? [] : directory
        if let walked = destinationDirectory, walked.name == directory {
            places.append((destinationPath(directory), shown, walked.handle))
        } else {
            places.append((destinationPath(directory), shown, PathDirectoryHandle(path: destinationPath(directory))))
        }
        // rsync names a reference directory's file by its absolute path.
        if options.fuzzy > 1 {
            places += references.directories(named: directory).map { ($0.path, fs.absolute($0.path), $0.handle) }
        }
        return places.map { place in
            let names = ((try? fs.listDirectory(place.handle)) ?? []).sorted { $0.lexicographicallyPrecedes($1) }
            return names.compactMap { name -> FuzzyBasis.Candidate? in
                guard let status = try? fs.lstat(name, in: place.handle), status.kind == .regular, status.size > 0 else {
                    return nil
                }
                var candidate = FuzzyBasis.Candidate(name: name, size: status.size, mtime: status.mtime,
                    location: FileLocation(name, in: place.handle), path: PathBytes.join(place.path, name))
                candidate.shownName = PathBytes.join(place.shown, name)
                return candidate
            }
        }
    }
}
