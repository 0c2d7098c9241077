// libFuzzer entry point for the GGUF and safetensors readers. Built by tools/fuzz/run.sh together with
// the BanyanWeights sources; any crash, sanitizer report or out-of-file tensor view is a finding.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzReaders(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let file = MappedFile(bytes: Array(UnsafeBufferPointer(start: data, count: size)), name: "fuzz")
    if let g = try? GGUFFile(file: file) {
        for t in g.tensors { precondition(t.offset + t.byteCount <= file.count, "tensor outside the file") }
        for (_, value) in g.metadata {
            if case .array(let a) = value { for i in 0..<min(a.count, 64) { _ = a.element(at: i) } }
        }
    }
    if let s = try? SafetensorsFile(file: file) {
        for e in s.entries.values { precondition(e.offset + e.byteCount <= file.count, "tensor outside the file") }
    }
    return 0
}
