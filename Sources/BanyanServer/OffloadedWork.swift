import Dispatch

/// Runs request-side CPU work (tokenizing, rendering templates, checking a body) on a dispatch queue, off
/// the cooperative thread pool that serves every connection and signal: a slow request then delays only
/// itself, and the server stays able to answer others and to shut down.
enum OffloadedWork {
    private static let queue = DispatchQueue(label: "banyan.request-work", qos: .userInitiated, attributes: .concurrent)

    static func run<T: Sendable>(_ work: @escaping @Sendable () throws(APIError) -> T) async throws(APIError) -> T {
        let result: Result<T, APIError> = await withCheckedContinuation { continuation in
            queue.async {
                do throws(APIError) { continuation.resume(returning: .success(try work())) } catch { continuation.resume(returning: .failure(error)) }
            }
        }
        return try result.get()
    }
}
