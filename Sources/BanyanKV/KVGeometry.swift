/// Number format of the cached keys and values.
public enum KVElementType: String, Sendable, CaseIterable, Codable {
    /// Half precision: what llama.cpp's cache keeps by default; half the bytes of f32.
    case f16
    case f32

    public var byteCount: Int { self == .f16 ? 2 : 4 }
}

/// Shape of the cache: what one token stores per layer.
public struct KVGeometry: Sendable, Equatable {
    public var layers: Int
    /// Elements of K (and of V) per token per layer: KV heads × head size.
    public var kvWidth: Int
    /// Tokens per page (1 to 256).
    public var pageSize: Int
    public var elementType: KVElementType

    public static let pageSizes = 1...256

    public init(layers: Int, kvWidth: Int, pageSize: Int = 16, elementType: KVElementType = .f32) {
        self.layers = layers
        self.kvWidth = kvWidth
        self.pageSize = pageSize
        self.elementType = elementType
    }

    /// Bytes of K plus V for one token across all layers.
    public var tokenBytes: Int { 2 * layers * kvWidth * elementType.byteCount }
    /// Bytes of K plus V for one page across all layers.
    public var pageBytes: Int { pageSize * tokenBytes }

    /// Pages a sequence of `tokens` tokens occupies on its own.
    public func pages(forTokens tokens: Int) -> Int { (tokens + pageSize - 1) / pageSize }
}
